/**
 * The public face of the trainer, for the CLI (`tunelab train`, `eval`, `merge-lora`, `generate`).
 * Everything else under trainer/ is internal.
 */
export {};
