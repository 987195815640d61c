"""`python -m tunelab_engines.hf_runner CONFIG`: a short Transformers Trainer + PEFT run of an
Axolotl-style config, for the subset `tunelab train --engine hf` accepts (common/engines/hfSupport.ts
refuses the rest before launch): base_model; datasets of type alpaca, sharegpt or chat_template
(the tokenizer's chat template), local JSON/JSONL files or Hub datasets; adapter lora/qlora with
lora_*; attn_implementation; learning_rate, num_epochs / max_steps, micro_batch_size, gradient_accumulation_steps,
sequence_len, output_dir, bf16/fp16/tf32, gradient_checkpointing (and its kwargs), val_set_size, eval/save/logging
steps, seed, warmup, scheduler, optimizer, weight decay, grad clipping, deepspeed / fsdp, resume.

The prompt builders are pure functions over a tokenizer-like object (tests run them without torch).
"""
import json
import os
import random
import sys

from .callback import TunelabCallback

IGNORE = -100

ALPACA_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)
ALPACA_NO_INPUT = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:\n"
)
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "model": "assistant", "system": "system", "tool": "tool"}


def load_config(path):
    import yaml

    with open(path, encoding="utf-8") as f:
        cfg = yaml.safe_load(f) or {}
    if not isinstance(cfg, dict):
        raise ValueError("the config is not a YAML mapping")
    return cfg


def local_path(path, config_dir):
    """A relative path as Tunelab resolves it: the working directory, then the user's config folder;
    None when neither holds it (then it names something on the Hub)."""
    if not isinstance(path, str) or not path:
        return None
    for base in (os.getcwd(), config_dir):
        p = path if os.path.isabs(path) else os.path.join(base or ".", path)
        if os.path.exists(p):
            return p
    return None


def read_records(entry, config_dir):
    """The records of one `datasets:` entry: a local .json/.jsonl file or folder, else a Hub dataset."""
    path = entry.get("path")
    for base in (os.getcwd(), config_dir):
        p = os.path.join(base, path) if not os.path.isabs(path) else path
        if os.path.isfile(p):
            return _read_json_file(p)
        if os.path.isdir(p):
            out = []
            for name in sorted(os.listdir(p)):
                if name.endswith((".json", ".jsonl")):
                    out.extend(_read_json_file(os.path.join(p, name)))
            if out:
                return out
    from datasets import load_dataset

    kwargs = {"split": entry.get("split", "train")}
    if entry.get("data_files"):
        kwargs["data_files"] = entry["data_files"]
    ds = load_dataset(path, entry.get("name"), **kwargs)
    return [dict(r) for r in ds]


def _read_json_file(p):
    with open(p, encoding="utf-8") as f:
        text = f.read()
    stripped = text.lstrip()
    if stripped.startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def alpaca_example(rec, tok, seq_len, train_on_inputs=False):
    """input_ids / labels for an alpaca record: the prompt masked, the output and EOS trained."""
    instruction = rec.get("instruction", "")
    inp = rec.get("input") or ""
    prompt = (ALPACA_WITH_INPUT if inp.strip() else ALPACA_NO_INPUT).format(instruction=instruction, input=inp)
    p_ids = tok(prompt, add_special_tokens=True)["input_ids"]
    o_ids = tok(str(rec.get("output", "")), add_special_tokens=False)["input_ids"]
    eos = [tok.eos_token_id] if tok.eos_token_id is not None else []
    ids = (p_ids + o_ids + eos)[:seq_len]
    labels = (list(p_ids) if train_on_inputs else [IGNORE] * len(p_ids)) + o_ids + eos
    return {"input_ids": ids, "labels": labels[:seq_len]}


def messages_of(rec, entry):
    """Messages of a sharegpt or chat_template record, as [{role, content}]."""
    kind = str(entry.get("type", "chat_template")).split(".")[0]
    if kind == "sharegpt":
        field = entry.get("field_messages") or "conversations"
        role_key, content_key = "from", "value"
    else:
        field = entry.get("field_messages") or "messages"
        mapping = entry.get("message_property_mappings") or {}
        role_key = mapping.get("role") or entry.get("message_field_role") or "role"
        content_key = mapping.get("content") or entry.get("message_field_content") or "content"
    # Axolotl's `roles:` maps a target role to the source names that mean it.
    rename = dict(SHAREGPT_ROLES) if kind == "sharegpt" else {}
    roles = entry.get("roles")
    if isinstance(roles, dict):
        for target, sources in roles.items():
            for src in sources if isinstance(sources, list) else [sources]:
                rename[str(src)] = str(target)
    out = []
    for m in rec.get(field) or []:
        role = str(m.get(role_key, ""))
        out.append({"role": rename.get(role, role), "content": m.get(content_key, "")})
    return out


def chat_ids(tok, messages, add_generation_prompt):
    """Token ids of the rendered chat. Transformers 5 returns a BatchEncoding from
    apply_chat_template by default (4.x a list): ask for the list, and take input_ids from a dict
    if a tokenizer returns one anyway (its len() would be the number of keys)."""
    out = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=add_generation_prompt, return_dict=False)
    if hasattr(out, "keys") and "input_ids" in out:
        out = out["input_ids"]
    return list(out)


def chat_example(messages, tok, seq_len, train_on_inputs=False):
    """Renders with the tokenizer's chat template; trains assistant turns only (each turn's tokens are
    those between the prompt rendered up to it with a generation prompt, and up to its end)."""
    full = chat_ids(tok, messages, False)
    labels = list(full) if train_on_inputs else [IGNORE] * len(full)
    if not train_on_inputs:
        for i, m in enumerate(messages):
            if m["role"] != "assistant":
                continue
            start = len(chat_ids(tok, messages[:i], True))
            end = len(chat_ids(tok, messages[: i + 1], False))
            for j in range(start, min(end, len(full))):
                labels[j] = full[j]
    return {"input_ids": list(full)[:seq_len], "labels": labels[:seq_len]}


def build_examples(cfg, tok, config_dir):
    seq_len = int(cfg.get("sequence_len", 2048))
    train_on_inputs = bool(cfg.get("train_on_inputs", False))
    out = []
    for entry in cfg.get("datasets") or []:
        kind = str(entry.get("type", "")).split(".")[0]
        for rec in read_records(entry, config_dir):
            if kind == "alpaca":
                ex = alpaca_example(rec, tok, seq_len, train_on_inputs)
            else:
                ex = chat_example(messages_of(rec, entry), tok, seq_len, train_on_inputs)
            if any(l != IGNORE for l in ex["labels"]):
                out.append(ex)
    return out


def split_eval(examples, val_set_size, seed):
    if not val_set_size:
        return examples, []
    n = int(round(len(examples) * val_set_size)) if val_set_size < 1 else int(val_set_size)
    n = max(1, min(n, len(examples) - 1))
    idx = list(range(len(examples)))
    random.Random(seed).shuffle(idx)
    ev = set(idx[:n])
    return [e for i, e in enumerate(examples) if i not in ev], [examples[i] for i in sorted(ev)]


class Collator:
    def __init__(self, pad_id):
        self.pad_id = pad_id

    def __call__(self, batch):
        import torch

        n = max(len(b["input_ids"]) for b in batch)
        ids = [b["input_ids"] + [self.pad_id] * (n - len(b["input_ids"])) for b in batch]
        labels = [b["labels"] + [IGNORE] * (n - len(b["labels"])) for b in batch]
        mask = [[1] * len(b["input_ids"]) + [0] * (n - len(b["input_ids"])) for b in batch]
        return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels), "attention_mask": torch.tensor(mask)}


def training_kwargs(cfg, has_eval, accepted, bf16=False):
    """TrainingArguments keywords for the config, spelt for the installed Transformers: `accepted` is
    the set of its TrainingArguments field names (pure, so both spellings are testable without it).
    4.41 renamed evaluation_strategy to eval_strategy; 5.x folded warmup_ratio into warmup_steps
    (a float below 1 is a ratio) and later removed warmup_ratio."""
    kw = dict(
        output_dir=cfg.get("output_dir", "./model-out"),
        per_device_train_batch_size=int(cfg.get("micro_batch_size", 1)),
        per_device_eval_batch_size=int(cfg.get("eval_batch_size") or cfg.get("micro_batch_size", 1)),
        gradient_accumulation_steps=int(cfg.get("gradient_accumulation_steps", 1)),
        learning_rate=float(cfg.get("learning_rate", 2e-5)),
        num_train_epochs=float(cfg.get("num_epochs", 1)),
        max_steps=int(cfg.get("max_steps") or -1),
        bf16=bool(bf16),
        fp16=bool(cfg.get("fp16", False)),
        gradient_checkpointing=bool(cfg.get("gradient_checkpointing", False)),
        logging_steps=int(cfg.get("logging_steps") or 1),
        save_steps=int(cfg.get("save_steps") or 500),
        save_total_limit=cfg.get("save_total_limit"),
        seed=int(cfg.get("seed", 42)),
        warmup_steps=int(cfg.get("warmup_steps") or 0),
        lr_scheduler_type=cfg.get("lr_scheduler") or "cosine",
        optim=cfg.get("optimizer") or "adamw_torch",
        weight_decay=float(cfg.get("weight_decay") or 0.0),
        max_grad_norm=float(cfg.get("max_grad_norm", 1.0)),
        report_to=[],
        remove_unused_columns=False,
    )
    ratio = float(cfg.get("warmup_ratio") or 0.0)
    if ratio and not kw["warmup_steps"]:
        if "warmup_ratio" in accepted:
            kw["warmup_ratio"] = ratio
        else:
            kw["warmup_steps"] = ratio
    if "include_num_input_tokens_seen" in accepted:
        kw["include_num_input_tokens_seen"] = True  # tokens/s in the step events
    if cfg.get("gradient_checkpointing_kwargs") and "gradient_checkpointing_kwargs" in accepted:
        kw["gradient_checkpointing_kwargs"] = dict(cfg["gradient_checkpointing_kwargs"])
    if cfg.get("tf32"):
        kw["tf32"] = True
    if cfg.get("deepspeed"):
        kw["deepspeed"] = cfg["deepspeed"]
    if cfg.get("fsdp"):
        kw["fsdp"] = " ".join(cfg["fsdp"]) if isinstance(cfg["fsdp"], list) else cfg["fsdp"]
        if cfg.get("fsdp_config"):
            kw["fsdp_config"] = cfg["fsdp_config"]
    if has_eval:
        kw["eval_strategy" if "eval_strategy" in accepted else "evaluation_strategy"] = "steps"
        kw["eval_steps"] = int(cfg.get("eval_steps") or cfg.get("save_steps") or 500)
    return kw


def training_arguments(cfg, has_eval):
    import dataclasses

    import torch
    from transformers import TrainingArguments

    bf16 = cfg.get("bf16", False)
    if bf16 == "auto":
        bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    accepted = {f.name for f in dataclasses.fields(TrainingArguments)}
    return TrainingArguments(**training_kwargs(cfg, has_eval, accepted, bf16))


def load_model(cfg, config_dir=None):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    name = local_path(cfg["base_model"], config_dir) or cfg["base_model"]
    trust = bool(cfg.get("trust_remote_code", False))
    tok = AutoTokenizer.from_pretrained(local_path(cfg.get("tokenizer_config"), config_dir) or cfg.get("tokenizer_config") or name, trust_remote_code=trust)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    kw = {"trust_remote_code": trust}
    bf16 = cfg.get("bf16") in (True, "auto") and torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    kw["torch_dtype"] = torch.bfloat16 if bf16 else (torch.float16 if cfg.get("fp16") else torch.float32)
    adapter = cfg.get("adapter")
    if adapter == "qlora" or cfg.get("load_in_4bit"):
        from transformers import BitsAndBytesConfig

        kw["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=kw["torch_dtype"])
    if cfg.get("attn_implementation"):
        kw["attn_implementation"] = cfg["attn_implementation"]  # eager, sdpa, flash_attention_2, ...
    if cfg.get("base_model_config"):
        from transformers import AutoConfig

        kw["config"] = AutoConfig.from_pretrained(local_path(cfg["base_model_config"], config_dir) or cfg["base_model_config"], trust_remote_code=trust)
    model = AutoModelForCausalLM.from_pretrained(name, **kw)
    if adapter in ("lora", "qlora"):
        from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

        if adapter == "qlora":
            model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=bool(cfg.get("gradient_checkpointing")))
        targets = "all-linear" if cfg.get("lora_target_linear") else (cfg.get("lora_target_modules") or None)
        lcfg = LoraConfig(r=int(cfg.get("lora_r", 8)), lora_alpha=int(cfg.get("lora_alpha", 16)), lora_dropout=float(cfg.get("lora_dropout", 0.0)), target_modules=targets, task_type="CAUSAL_LM")
        model = get_peft_model(model, lcfg)
        if cfg.get("gradient_checkpointing"):
            model.enable_input_require_grads()
    return model, tok


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 1:
        print("usage: python -m tunelab_engines.hf_runner CONFIG", file=sys.stderr)
        return 2
    callback = TunelabCallback(engine="hf")
    # `done` is written once the model is saved, so its output paths exist when it arrives.
    callback.defer_done = True
    try:
        cfg = load_config(argv[0])
        from transformers import Trainer, set_seed

        set_seed(int(cfg.get("seed", 42)))
        # The config given is Tunelab's temporary copy: relative paths are the user's config's.
        meta_path = callback.meta.get("config_path")
        config_dir = os.path.dirname(meta_path) if meta_path else os.path.dirname(os.path.abspath(argv[0]))
        model, tok = load_model(cfg, config_dir)
        examples = build_examples(cfg, tok, config_dir)
        if not examples:
            raise ValueError("no trainable examples: every record was empty or fully masked")
        train, evals = split_eval(examples, cfg.get("val_set_size", 0), int(cfg.get("seed", 42)))
        args = training_arguments(cfg, bool(evals))
        callback.train_dataset, callback.eval_dataset = train, evals
        trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=evals or None, data_collator=Collator(tok.pad_token_id), callbacks=[callback])
        trainer.train(resume_from_checkpoint=cfg.get("resume_from_checkpoint") or None)
        if not callback.stop_requested:
            trainer.save_model(args.output_dir)
            if trainer.is_world_process_zero():
                tok.save_pretrained(args.output_dir)
        callback.finish()
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception:
        callback.fail(*sys.exc_info())
        raise


if __name__ == "__main__":
    sys.exit(main())
