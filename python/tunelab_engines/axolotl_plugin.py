"""Axolotl plugin (`plugins: [tunelab_engines.axolotl_plugin.TunelabPlugin]`, added by
`tunelab train --engine axolotl` to a copy of the config): adds Tunelab's callback to Axolotl's
trainer and reports failures that happen outside training through the same events file.
"""
from .callback import TunelabCallback, install_excepthook

try:  # pragma: no cover - depends on the environment
    from axolotl.integrations.base import BasePlugin as _Base
except Exception:
    _Base = object


class TunelabPlugin(_Base):
    """Axolotl calls add_callbacks_post_trainer(cfg, trainer) once the trainer exists."""

    def __init__(self):
        super().__init__()
        self.callback = None

    def _callback(self):
        if self.callback is None:
            self.callback = TunelabCallback(engine="axolotl")
            install_excepthook(self.callback)
        return self.callback

    def register(self, cfg):  # noqa: D401 - Axolotl's hook
        self._callback()

    def post_trainer_create(self, cfg, trainer):
        # Tokens/s comes from the Trainer's own count of input tokens.
        try:
            trainer.args.include_num_input_tokens_seen = True
        except Exception:
            pass

    def add_callbacks_post_trainer(self, cfg, trainer):
        callback = self._callback()
        callback.train_dataset = getattr(trainer, "train_dataset", None)
        callback.eval_dataset = getattr(trainer, "eval_dataset", None)
        return [callback]
