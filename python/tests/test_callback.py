"""The callback's events, driven through the Trainer's hook methods with stand-in args and state
(the Trainer only ever calls these methods), so this runs without transformers."""
import json
import os
import signal
import sys
import tempfile
import unittest
from types import SimpleNamespace

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tunelab_engines.callback import EventLog, TunelabCallback, failure_message  # noqa: E402


class Clock:
    def __init__(self, t=1_700_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


class CallbackTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "out", "events.jsonl")
        self.clock = Clock()
        meta = {"engine": "hf", "config": {"base_model": "m", "adapter": "lora"}, "config_path": "/w/c.yml", "output_dir": os.path.join(self.dir, "out"), "method": "lora", "resumed_from": None}
        self.cb = TunelabCallback(log=EventLog(self.path, "r1", self.clock), meta=meta, clock=self.clock)
        self.args = SimpleNamespace(output_dir=os.path.join(self.dir, "out"), world_size=1)
        self.state = SimpleNamespace(global_step=0, max_steps=4, epoch=0.0, is_world_process_zero=True, num_input_tokens_seen=0)
        self.control = SimpleNamespace(should_save=False, should_training_stop=False)

    def tearDown(self):
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def test_a_run_in_events(self):
        cb, st = self.cb, self.state
        cb.on_train_begin(self.args, st, self.control, model=None)
        self.clock.t += 2
        st.global_step, st.epoch, st.num_input_tokens_seen = 1, 0.25, 1000
        cb.on_log(self.args, st, self.control, logs={"loss": 2.5, "learning_rate": 1e-4, "grad_norm": float("nan"), "epoch": 0.25})
        self.clock.t += 2
        st.global_step, st.num_input_tokens_seen = 2, 3000
        cb.on_log(self.args, st, self.control, logs={"loss": 2.0, "learning_rate": 2e-4, "grad_norm": 0.5, "epoch": 0.5})
        cb.on_log(self.args, st, self.control, logs={"eval_loss": 1.0, "eval_runtime": 0.1, "epoch": 0.5})
        cb.on_save(self.args, st, self.control)
        st.global_step = 4
        cb.on_log(self.args, st, self.control, logs={"train_runtime": 9.5, "train_loss": 2.2, "epoch": 1.0})
        cb.on_train_end(self.args, st, self.control)
        ev = read(self.path)
        self.assertEqual([e["type"] for e in ev], ["run_start", "step", "step", "eval", "checkpoint", "done"])
        self.assertTrue(all(e["v"] == 1 and e["run_id"] == "r1" for e in ev))
        self.assertEqual(ev[0]["time"], "2023-11-14T22:13:20.000Z")
        self.assertEqual(ev[0]["backend"], "hf (cpu)")
        self.assertEqual(ev[0]["total_steps"], 4)
        self.assertEqual(ev[0]["params"], {"total": 0, "trainable": 0})
        s1, s2 = ev[1], ev[2]
        self.assertEqual((s1["step"], s1["loss"], s1["lr"], s1["grad_norm"], s1["epoch"], s1["elapsed"], s1["eta"]), (1, 2.5, 1e-4, None, 0.25, 2.0, 6.0))
        self.assertEqual(s1["tokens_per_s"], 500.0)
        self.assertEqual((s2["step"], s2["tokens_per_s"], s2["eta"]), (2, 1000.0, 4.0))
        self.assertEqual((ev[3]["eval_loss"], round(ev[3]["perplexity"], 6)), (1.0, 2.718282))
        self.assertEqual(ev[4]["path"], os.path.join(self.dir, "out", "checkpoint-2"))
        done = ev[5]
        self.assertEqual(done["status"], "completed")
        self.assertEqual(done["outputs"]["adapter"], os.path.join(self.dir, "out"))
        self.assertEqual(done["metrics"], {"train_loss": 2.2, "eval_loss": 1.0, "perplexity": ev[3]["perplexity"], "elapsed": 9.5})

    def test_sigint_saves_and_stops_at_the_step_end(self):
        cb = self.cb
        cb.on_train_begin(self.args, self.state, self.control)
        os.kill(os.getpid(), signal.SIGINT)  # handled by the callback: no KeyboardInterrupt
        self.assertTrue(cb.stop_requested)
        cb.on_step_end(self.args, self.state, self.control)
        self.assertEqual((self.control.should_save, self.control.should_training_stop), (True, True))
        self.state.global_step = 3
        cb.on_save(self.args, self.state, self.control)
        cb.on_train_end(self.args, self.state, self.control)
        done = read(self.path)[-1]
        self.assertEqual((done["status"], done["step"]), ("stopped", 3))
        self.assertNotIn("adapter", done["outputs"])
        self.assertEqual(done["outputs"]["checkpoint"], os.path.join(self.dir, "out", "checkpoint-3"))
        with self.assertRaises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C stops at once

    def test_non_finite_loss_is_a_warning_not_a_step(self):
        self.cb.on_train_begin(self.args, self.state, self.control)
        self.state.global_step = 5
        self.cb.on_log(self.args, self.state, self.control, logs={"loss": float("nan"), "learning_rate": 1e-4})
        ev = read(self.path)
        self.assertEqual([e["type"] for e in ev], ["run_start", "log"])
        self.assertEqual((ev[1]["level"], ev[1]["message"]), ("warning", "non-finite loss at step 5 (nan)"))

    def test_other_ranks_write_nothing(self):
        self.state.is_world_process_zero = False
        self.cb.on_train_begin(self.args, self.state, self.control)
        self.cb.on_log(self.args, self.state, self.control, logs={"loss": 1.0})
        self.cb.on_train_end(self.args, self.state, self.control)
        self.assertFalse(os.path.exists(self.path))

    def test_failure_names_the_raising_frame(self):
        def inner():
            raise ValueError("dataset has no column 'instruction'")

        try:
            inner()
        except ValueError:
            info = sys.exc_info()
        msg = failure_message(*info)
        self.assertTrue(msg.startswith("ValueError: dataset has no column 'instruction' (at "), msg)
        self.assertTrue(msg.endswith(" in inner)"), msg)
        self.cb.fail(*info)
        ev = read(self.path)
        self.assertEqual([e["type"] for e in ev], ["error", "done"])
        self.assertEqual((ev[0]["code"], ev[0]["message"]), ("engine-python-exception", msg))
        self.assertEqual(ev[1]["status"], "failed")

    def test_only_rank_zero_reports_a_failure(self):
        try:
            raise RuntimeError("CUDA out of memory")
        except RuntimeError:
            info = sys.exc_info()
        os.environ["RANK"] = "1"
        try:
            self.cb.fail(*info)
        finally:
            del os.environ["RANK"]
        self.assertFalse(os.path.exists(self.path))
        other = TunelabCallback(log=EventLog(self.path, "r1", self.clock), meta={}, clock=self.clock)
        os.environ["RANK"] = "0"
        try:
            other.fail(*info)
        finally:
            del os.environ["RANK"]
        self.assertEqual([e["type"] for e in read(self.path)], ["error", "done"])

    def test_resume_without_run_facts(self):
        cb = TunelabCallback(log=EventLog(self.path, "r2", self.clock), meta={}, clock=self.clock)
        self.state.global_step = 20
        self.args.resume_from_checkpoint = "/o/checkpoint-20"
        cb.on_train_begin(self.args, self.state, self.control)
        self.assertEqual(read(self.path)[0]["resumed_from"], {"checkpoint": "/o/checkpoint-20", "step": 20})

    def test_axolotl_plugin_adds_the_callback(self):
        from tunelab_engines.axolotl_plugin import TunelabPlugin

        plugin = TunelabPlugin()
        trainer = SimpleNamespace(args=SimpleNamespace(include_num_input_tokens_seen=False))
        plugin.register({})
        plugin.post_trainer_create({}, trainer)
        self.assertTrue(trainer.args.include_num_input_tokens_seen)
        callbacks = plugin.add_callbacks_post_trainer({}, trainer)
        self.assertEqual(len(callbacks), 1)
        self.assertIsInstance(callbacks[0], TunelabCallback)
        self.assertIs(callbacks[0], plugin.add_callbacks_post_trainer({}, trainer)[0])
        self.assertEqual(callbacks[0].engine, "axolotl")

    def test_record_counts_without_dataloaders(self):
        # Newer Transformers pass callbacks model, processing_class, optimizer and lr_scheduler only:
        # the counts come from the datasets the plugin takes from the trainer.
        from tunelab_engines.axolotl_plugin import TunelabPlugin

        plugin = TunelabPlugin()
        trainer = SimpleNamespace(args=SimpleNamespace(), train_dataset=list(range(7)), eval_dataset=list(range(2)))
        cb = plugin.add_callbacks_post_trainer({}, trainer)[0]
        cb.log = EventLog(self.path, "r3", self.clock)
        cb.meta = {}
        cb.on_train_begin(self.args, self.state, self.control, model=None, processing_class=None, optimizer=None, lr_scheduler=None)
        self.assertEqual(read(self.path)[0]["dataset"], {"train_records": 7, "eval_records": 2, "train_tokens": 0})
        # Older Transformers pass the dataloaders: those win.
        self.cb.train_dataset = list(range(7))
        self.cb.on_train_begin(self.args, self.state, self.control, train_dataloader=SimpleNamespace(dataset=list(range(5))), eval_dataloader=None)
        self.assertEqual(read(self.path)[1]["dataset"], {"train_records": 5, "eval_records": 0, "train_tokens": 0})

    def test_deferred_done(self):
        self.cb.defer_done = True
        self.cb.on_train_begin(self.args, self.state, self.control)
        self.cb.on_train_end(self.args, self.state, self.control)
        self.assertEqual([e["type"] for e in read(self.path)], ["run_start"])
        self.cb.finish()
        self.assertEqual([e["type"] for e in read(self.path)], ["run_start", "done"])


if __name__ == "__main__":
    unittest.main()
