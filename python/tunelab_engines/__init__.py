"""Tunelab's Python side: the callback that writes Tunelab's events from a Transformers Trainer,
the Axolotl plugin that adds it to Axolotl's trainer, and a small Trainer + PEFT runner
(`python -m tunelab_engines.hf_runner CONFIG`). Launched by `tunelab train --engine axolotl|hf`,
which puts this folder on PYTHONPATH and passes TUNELAB_EVENTS / TUNELAB_RUN_ID / TUNELAB_RUN_META.
"""

__all__ = ["callback", "axolotl_plugin", "hf_runner"]
