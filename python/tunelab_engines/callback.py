"""Tunelab events from a Transformers Trainer.

`EventLog` appends Tunelab's versioned JSON events (common/protocol/events.ts) to a file;
`TunelabCallback` maps the Trainer's hooks onto them: run_start (on_train_begin), step and eval
(on_log), checkpoint (on_save), done (on_train_end). A first SIGINT or SIGTERM asks the Trainer
to save a checkpoint and stop at the end of the current step. Only the main process writes.

The module imports without transformers (the callback then derives from `object`), so its logic
is testable anywhere; the Trainer only needs the hook methods.
"""
import json
import math
import os
import signal
import sys
import threading
import time
import traceback
from datetime import datetime, timezone

try:  # pragma: no cover - depends on the environment
    from transformers import TrainerCallback as _Base
except Exception:  # transformers missing: tests and the probe still import this module
    _Base = object

EVENT_VERSION = 1


def _clean(value):
    """JSON-safe: NaN and infinities become None (the protocol's "could not be computed")."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    try:
        f = float(value)  # numpy and torch scalars
        return f if math.isfinite(f) else None
    except Exception:
        return str(value)


class EventLog:
    """Appends one event per line, flushed per event, so a killed run keeps every line it wrote."""

    def __init__(self, path, run_id, clock=time.time):
        self.path = path
        self.run_id = run_id
        self.clock = clock
        self._lock = threading.Lock()
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def emit(self, type_, **body):
        event = {"v": EVENT_VERSION, "time": datetime.fromtimestamp(self.clock(), timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"), "run_id": self.run_id, "type": type_}
        event.update(_clean(body))
        line = json.dumps(event, separators=(",", ":"), allow_nan=False) + "\n"
        if self.path:
            with self._lock, open(self.path, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
        return event

    @classmethod
    def from_env(cls):
        return cls(os.environ.get("TUNELAB_EVENTS", ""), os.environ.get("TUNELAB_RUN_ID", "python"))


def read_meta():
    """The facts `tunelab train` wrote for run_start (TUNELAB_RUN_META), or {}."""
    path = os.environ.get("TUNELAB_RUN_META")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except Exception:
        return {}


def failure_message(exc_type, exc, tb):
    """'ValueError: bad thing (at file.py:12 in f)': the exception and the frame that raised it."""
    frames = traceback.extract_tb(tb) if tb is not None else []
    head = "".join(traceback.format_exception_only(exc_type, exc)).strip().splitlines()
    text = head[-1] if head else exc_type.__name__
    if frames:
        f = frames[-1]
        return "%s (at %s:%d in %s)" % (text, f.filename, f.lineno, f.name)
    return text


def _launcher_rank_zero():
    """Whether this is the first process of a torchrun / accelerate launch (RANK), or the only one.
    Failures happen where no TrainerState says which process this is."""
    try:
        return int(os.environ.get("RANK", "0")) == 0
    except ValueError:
        return True


def _is_main(state):
    return getattr(state, "is_world_process_zero", True)


class TunelabCallback(_Base):
    """Writes Tunelab events from Trainer hooks (see the module doc)."""

    def __init__(self, log=None, meta=None, engine=None, clock=time.time):
        self.log = log or EventLog.from_env()
        self.meta = meta if meta is not None else read_meta()
        self.engine = engine or self.meta.get("engine", "hf")
        self.clock = clock
        self.stop_requested = False
        self.started = None
        self.first_step = 0
        self.last_tokens = None
        self.last_time = None
        self.last_checkpoint = None
        self.final = {}
        self.last_loss = None
        self.last_eval = None
        self.model = None
        self.finished = False
        self.defer_done = False
        self._pending_end = None
        self._previous_handlers = {}
        # The datasets, for run_start's record counts when the Trainer passes no dataloaders to
        # callbacks (newer Transformers pass only model, processing_class, optimizer, lr_scheduler).
        self.train_dataset = None
        self.eval_dataset = None

    # -- stop ----------------------------------------------------------------------------------
    def request_stop(self, *_args):
        self.stop_requested = True

    def install_signal_handlers(self):
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous_handlers[sig] = signal.signal(sig, self._on_signal)
            except (ValueError, OSError):
                pass

    def _on_signal(self, signum, frame):
        if self.stop_requested and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        self.stop_requested = True

    # -- hooks ---------------------------------------------------------------------------------
    def on_train_begin(self, args, state, control, model=None, train_dataloader=None, eval_dataloader=None, **kwargs):
        self.started = self.clock()
        self.first_step = int(getattr(state, "global_step", 0) or 0)
        self.last_time = self.started
        self.last_tokens = getattr(state, "num_input_tokens_seen", 0) or 0
        self.model = model
        self.install_signal_handlers()
        if not _is_main(state):
            return
        total, trainable = count_parameters(model)
        train_records = _dataset_len(train_dataloader) or _len(self.train_dataset)
        eval_records = _dataset_len(eval_dataloader) or _len(self.eval_dataset)
        meta = self.meta
        config = dict(meta.get("config", {}))
        self.log.emit(
            "run_start",
            config=config,
            config_path=meta.get("config_path", ""),
            output_dir=meta.get("output_dir", getattr(args, "output_dir", "")),
            backend="%s (%s)" % (self.engine, describe_device(args)),
            method=meta.get("method", "lora" if trainable < total else "full"),
            params={"total": total, "trainable": trainable},
            dataset={"train_records": train_records, "eval_records": eval_records, "train_tokens": 0},
            total_steps=int(getattr(state, "max_steps", 0) or 0),
            resumed_from=meta.get("resumed_from") or self._resumed(args),
        )

    def _resumed(self, args):
        # Launched without Tunelab's run facts: the Trainer has loaded the checkpoint's state by now.
        if self.first_step > 0:
            return {"checkpoint": str(getattr(args, "resume_from_checkpoint", None) or ""), "step": self.first_step}
        return None

    def on_step_end(self, args, state, control, **kwargs):
        if self.stop_requested:
            control.should_save = True
            control.should_training_stop = True
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or not _is_main(state):
            return
        now = self.clock()
        step = int(state.global_step)
        total = int(getattr(state, "max_steps", 0) or 0)
        epoch = float(logs.get("epoch", getattr(state, "epoch", 0) or 0) or 0)
        loss_value = _clean(logs.get("loss")) if "loss" in logs else None
        if "loss" in logs and loss_value is None:
            # The protocol's step loss is a number: a NaN/inf loss is said in words instead.
            self.log.emit("log", level="warning", message="non-finite loss at step %d (%r)" % (step, logs.get("loss")))
        if loss_value is not None:
            tokens = getattr(state, "num_input_tokens_seen", 0) or 0
            tps = None
            if tokens and self.last_tokens is not None and now > self.last_time and tokens > self.last_tokens:
                tps = round((tokens - self.last_tokens) / (now - self.last_time), 1)
            self.last_tokens, self.last_time = tokens, now
            elapsed = now - (self.started or now)
            done_steps = max(1, step - self.first_step)
            eta = elapsed / done_steps * max(0, total - step) if total else None
            self.last_loss = loss_value
            self.log.emit(
                "step",
                step=step,
                total_steps=total,
                epoch=round(epoch, 4),
                loss=loss_value,
                lr=logs.get("learning_rate", 0.0),
                grad_norm=logs.get("grad_norm"),
                tokens_per_s=tps,
                elapsed=round(elapsed, 2),
                eta=None if eta is None else round(eta, 1),
            )
        if "eval_loss" in logs:
            loss = float(logs["eval_loss"])
            ppl = math.exp(loss) if loss < 700 else None
            self.last_eval = (loss, ppl)
            self.log.emit("eval", step=step, epoch=round(epoch, 4), eval_loss=loss, perplexity=ppl if ppl is not None else sys.float_info.max)
        if "train_loss" in logs or "train_runtime" in logs:
            self.final = {"train_loss": logs.get("train_loss"), "elapsed": logs.get("train_runtime")}

    def on_save(self, args, state, control, **kwargs):
        path = os.path.join(args.output_dir, "checkpoint-%d" % int(state.global_step))
        self.last_checkpoint = path
        if _is_main(state):
            self.log.emit("checkpoint", step=int(state.global_step), path=path)

    def on_train_end(self, args, state, control, **kwargs):
        if not _is_main(state) or self.finished:
            return
        if self.defer_done:
            self._pending_end = (args, state)
            return
        self._emit_done(args, state)

    def finish(self):
        """Writes the deferred `done` (a runner that saves after training calls this)."""
        if self._pending_end is not None:
            args, state = self._pending_end
            self._pending_end = None
            self._emit_done(args, state)

    def _emit_done(self, args, state):
        if self.finished:
            return
        self.finished = True
        outputs = {"events": self.log.path}
        if self.last_checkpoint:
            outputs["checkpoint"] = self.last_checkpoint
        if not self.stop_requested:
            key = "adapter" if self.meta.get("method") in ("lora", "qlora") else "model"
            outputs[key] = args.output_dir
        elapsed = self.final.get("elapsed")
        if elapsed is None:
            elapsed = self.clock() - (self.started or self.clock())
        self.log.emit(
            "done",
            status="stopped" if self.stop_requested else "completed",
            step=int(state.global_step),
            outputs=outputs,
            metrics={
                "train_loss": self.final.get("train_loss", self.last_loss),
                "eval_loss": self.last_eval[0] if self.last_eval else None,
                "perplexity": self.last_eval[1] if self.last_eval else None,
                "elapsed": round(float(elapsed), 2),
            },
        )

    def fail(self, exc_type, exc, tb, step=0):
        """An uncaught exception: an `error` event with its last frame, then done(failed)."""
        if self.finished:
            return
        self.finished = True
        if not _launcher_rank_zero():
            return  # every process of a multi-GPU launch fails alike: rank 0 reports it once
        self.log.emit("error", code="engine-python-exception", message=failure_message(exc_type, exc, tb))
        self.log.emit("done", status="failed", step=step, outputs={"events": self.log.path}, metrics={"train_loss": self.last_loss, "eval_loss": None, "perplexity": None, "elapsed": 0})


def install_excepthook(callback):
    """Reports an uncaught exception (Axolotl's own code, dataset loading) through the callback."""
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        if not issubclass(exc_type, KeyboardInterrupt):
            try:
                callback.fail(exc_type, exc, tb)
            except Exception:
                pass
        previous(exc_type, exc, tb)

    sys.excepthook = hook


def count_parameters(model):
    if model is None or not hasattr(model, "parameters"):
        return 0, 0
    total = trainable = 0
    for p in model.parameters():
        n = p.numel()
        # 4-bit weights are packed two per byte: count what they represent.
        if p.__class__.__name__ == "Params4bit":
            n *= 2
        total += n
        if p.requires_grad:
            trainable += n
    return int(total), int(trainable)


def describe_device(args):
    try:
        import torch  # noqa: WPS433

        if torch.cuda.is_available():
            n = int(getattr(args, "world_size", 1) or 1)
            name = torch.cuda.get_device_name(0)
            return "%s%s" % ("%d x " % n if n > 1 else "", name)
    except Exception:
        pass
    return "cpu"


def _dataset_len(loader):
    try:
        return int(len(loader.dataset))
    except Exception:
        return 0


def _len(dataset):
    try:
        return int(len(dataset))
    except Exception:
        return 0
