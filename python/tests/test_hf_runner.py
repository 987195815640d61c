"""The hf runner: prompt building and masking (pure, with a character tokenizer) everywhere; a real
short training run of the shipped tiny model where torch, transformers and peft are installed."""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, ".."))

from tunelab_engines.hf_runner import IGNORE, alpaca_example, chat_example, messages_of, split_eval, training_kwargs  # noqa: E402


class CharTokenizer:
    """One id per character; a chat template of '<role>content\\n' lines."""

    eos_token_id = 0

    def __call__(self, text, add_special_tokens=True):
        return {"input_ids": [ord(c) for c in text]}

    def apply_chat_template(self, messages, tokenize=True, add_generation_prompt=False, return_dict=False):
        text = "".join("<%s>%s\n" % (m["role"], m["content"]) for m in messages)
        if add_generation_prompt:
            text += "<assistant>"
        ids = [ord(c) for c in text]
        return {"input_ids": ids, "attention_mask": [1] * len(ids)} if return_dict else ids


class V5CharTokenizer(CharTokenizer):
    """Transformers 5's default: apply_chat_template returns a BatchEncoding-like dict."""

    def apply_chat_template(self, messages, tokenize=True, add_generation_prompt=False, return_dict=True):
        return super().apply_chat_template(messages, tokenize, add_generation_prompt, return_dict)


class DictOnlyTokenizer(CharTokenizer):
    """A tokenizer that returns a dict whatever return_dict says."""

    def apply_chat_template(self, messages, tokenize=True, add_generation_prompt=False, return_dict=False):
        return super().apply_chat_template(messages, tokenize, add_generation_prompt, True)


class BuildersTest(unittest.TestCase):
    def test_alpaca_masks_the_prompt(self):
        tok = CharTokenizer()
        ex = alpaca_example({"instruction": "Say hi", "input": "", "output": "hi"}, tok, 10_000)
        prompt_len = len(ex["input_ids"]) - 3
        self.assertEqual(ex["labels"][:prompt_len], [IGNORE] * prompt_len)
        self.assertEqual(ex["labels"][prompt_len:], [ord("h"), ord("i"), 0])
        self.assertIn("### Instruction:\nSay hi\n\n### Response:\n", "".join(chr(i) for i in ex["input_ids"][:prompt_len]))
        cut = alpaca_example({"instruction": "Say hi", "input": "x", "output": "hi"}, tok, 20)
        self.assertEqual((len(cut["input_ids"]), len(cut["labels"])), (20, 20))

    def test_chat_trains_assistant_turns_only(self):
        tok = CharTokenizer()
        msgs = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "bc"}, {"role": "user", "content": "d"}, {"role": "assistant", "content": "e"}]
        ex = chat_example(msgs, tok, 10_000)
        trained = "".join(chr(t) for t in ex["labels"] if t != IGNORE)
        self.assertEqual(trained, "bc\ne\n")
        for tok5 in (V5CharTokenizer(), DictOnlyTokenizer()):
            ex5 = chat_example(msgs, tok5, 10_000)
            self.assertEqual(ex5, ex)

    def test_training_kwargs_follow_the_installed_transformers(self):
        cfg = {"warmup_ratio": 0.1, "val_set_size": 0.1, "eval_steps": 7, "micro_batch_size": 2}
        v4_40 = {"evaluation_strategy", "warmup_ratio", "warmup_steps", "include_num_input_tokens_seen"}
        kw = training_kwargs(cfg, True, v4_40)
        self.assertEqual((kw["evaluation_strategy"], kw["eval_steps"], kw["warmup_ratio"], kw["warmup_steps"], kw["include_num_input_tokens_seen"]), ("steps", 7, 0.1, 0, True))
        self.assertNotIn("eval_strategy", kw)
        v5 = {"eval_strategy", "warmup_steps", "include_num_input_tokens_seen"}
        kw = training_kwargs(cfg, True, v5)
        self.assertEqual((kw["eval_strategy"], kw["warmup_steps"]), ("steps", 0.1))
        self.assertNotIn("warmup_ratio", kw)
        self.assertNotIn("evaluation_strategy", kw)
        # warmup_steps wins over warmup_ratio, as in Axolotl and the Trainer; no eval split, no strategy.
        kw = training_kwargs({"warmup_steps": 5, "warmup_ratio": 0.1}, False, v5)
        self.assertEqual(kw["warmup_steps"], 5)
        self.assertFalse({"warmup_ratio", "eval_strategy", "evaluation_strategy", "eval_steps"} & set(kw))
        self.assertNotIn("include_num_input_tokens_seen", training_kwargs({}, False, {"eval_strategy"}))
        kw = training_kwargs({"gradient_checkpointing": True, "gradient_checkpointing_kwargs": {"use_reentrant": False}}, False, v5 | {"gradient_checkpointing_kwargs"})
        self.assertEqual((kw["gradient_checkpointing"], kw["gradient_checkpointing_kwargs"]), (True, {"use_reentrant": False}))

    def test_sharegpt_and_mapped_roles(self):
        rec = {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]}
        self.assertEqual(messages_of(rec, {"type": "sharegpt"}), [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}])
        rec2 = {"chat": [{"speaker": "me", "text": "q"}, {"speaker": "bot", "text": "a"}]}
        entry = {"type": "chat_template", "field_messages": "chat", "message_property_mappings": {"role": "speaker", "content": "text"}, "roles": {"user": ["me"], "assistant": ["bot"]}}
        self.assertEqual(messages_of(rec2, entry), [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}])

    def test_split_eval(self):
        train, ev = split_eval(list(range(100)), 0.05, 7)
        self.assertEqual((len(train), len(ev)), (95, 5))
        self.assertEqual(sorted(train + ev), list(range(100)))
        self.assertEqual(split_eval(list(range(10)), 3, 7)[1], split_eval(list(range(10)), 3, 7)[1])


HAVE_STACK = all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers", "peft", "accelerate", "yaml"))


@unittest.skipUnless(HAVE_STACK, "torch, transformers, peft, accelerate and pyyaml are not all installed for %s" % sys.executable)
class TrainTinyModelTest(unittest.TestCase):
    def test_four_steps_write_events_checkpoint_and_adapter(self):
        out = tempfile.mkdtemp()
        cfg = os.path.join(out, "cfg.yml")
        with open(cfg, "w") as f:
            f.write(
                "base_model: %s\ndatasets:\n  - path: %s\n    type: alpaca\nadapter: lora\nlora_r: 4\nlora_alpha: 8\nlora_target_modules: [q_proj, v_proj]\n"
                "sequence_len: 128\nmicro_batch_size: 2\ngradient_accumulation_steps: 1\nmax_steps: 4\nlearning_rate: 0.001\nsave_steps: 2\nlogging_steps: 1\n"
                "output_dir: %s\nseed: 3\n" % (os.path.join(ROOT, "examples/models/tiny-base"), os.path.join(ROOT, "examples/data/pirate.alpaca.jsonl"), os.path.join(out, "run"))
            )
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"), TUNELAB_EVENTS=os.path.join(out, "run", "events.jsonl"), TUNELAB_RUN_ID="t1", CUDA_VISIBLE_DEVICES="")
        r = subprocess.run([sys.executable, "-m", "tunelab_engines.hf_runner", cfg], env=env, capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        with open(os.path.join(out, "run", "events.jsonl")) as f:
            ev = [json.loads(l) for l in f]
        types = [e["type"] for e in ev]
        self.assertEqual(types[0], "run_start")
        self.assertEqual([e["step"] for e in ev if e["type"] == "step"], [1, 2, 3, 4])
        self.assertEqual([e["step"] for e in ev if e["type"] == "checkpoint"], [2, 4])
        self.assertEqual(ev[-1]["type"], "done")
        self.assertEqual(ev[-1]["status"], "completed")
        self.assertTrue(os.path.exists(os.path.join(out, "run", "adapter_config.json")))
        self.assertGreater(ev[0]["params"]["total"], ev[0]["params"]["trainable"])


if __name__ == "__main__":
    unittest.main()
