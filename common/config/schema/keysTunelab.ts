import type { KeyDef, KeyTable } from './define';

/**
 * Tunelab keys: read by Tunelab's built-in trainer (and its evaluation), not part of Axolotl's
 * schema, so Axolotl ignores them (its pydantic model drops unknown keys). Each carries
 * `tunelab: true`: hover says "Tunelab key, ignored by Axolotl", the config check reports it as
 * information (a warning with `tunelab_engine: axolotl`), and rulesMethods.ts checks that they go
 * with the method that reads them.
 */
export const TUNELAB_KEYS: KeyTable = {
  category: 'tunelab',
  // No schema defaults (`def`): resolveConfig would write them into every resolved config, and a
  // config handed to Axolotl should carry only what the user wrote. The trainer applies the
  // defaults named in `derived`.
  keys: {
    tunelab_engine: {
      t: 'str',
      tunelab: true,
      derived: 'builtin (or `tunelab train --engine`)',
      values: [
        { value: 'builtin', doc: "Tunelab's own trainer (TensorFlow.js on the CPU or WebGPU): every method and Tunelab key here." },
        { value: 'axolotl', doc: "The user's Axolotl install (Python, GPUs): Axolotl's keys only; Tunelab keys are ignored." },
        { value: 'hf', doc: "Tunelab's Hugging Face Trainer + PEFT runner: a subset of the keys (LoRA/QLoRA, the usual training keys)." },
      ],
      doc: 'Which engine `tunelab train` (and the editor\'s Train command) runs this config with. `--engine` on the command line wins.',
    },
    peft_num_virtual_tokens: {
      t: 'int',
      tunelab: true,
      derived: '20',
      range: { min: 1, severity: 'error' },
      doc: '`adapter: prefix` / `prompt`: how many virtual tokens are learned (PEFT `num_virtual_tokens`). Prefix tuning adds that many keys and values to every layer\'s attention; prompt tuning prepends that many input embeddings.',
      advice: '10-30 for prefix tuning; prompt tuning needs more (20-100) and works best on large models.',
    },
    peft_prefix_projection: {
      t: 'bool',
      tunelab: true,
      derived: 'false',
      doc: '`adapter: prefix`: learn the prefix through a two-layer MLP (embedding → Linear → tanh → Linear), as in the prefix-tuning paper; only the final prefix is saved.',
      advice: 'Usually trains more stably than learning the key/value prefix directly, at the cost of many more trainable parameters during training.',
    },
    peft_encoder_hidden_size: {
      t: 'int',
      tunelab: true,
      range: { min: 1, severity: 'error' },
      doc: '`adapter: prefix` with `peft_prefix_projection: true`: the hidden size of the projection MLP (PEFT `encoder_hidden_size`).',
      derived: "the prefix's token width: head_dim × key/value heads (the hidden size without grouped-query attention), as PEFT",
    },
    peft_prompt_tuning_init: {
      t: 'str',
      tunelab: true,
      derived: 'RANDOM',
      values: [
        { value: 'RANDOM', doc: 'Random initial virtual-token embeddings.' },
        { value: 'TEXT', doc: 'Initialise from the embeddings of peft_prompt_tuning_init_text (repeated or cut to the number of virtual tokens).' },
        { value: 'SAMPLE_VOCAB', doc: 'Initialise from the embeddings of randomly drawn vocabulary tokens (PEFT `SAMPLE_VOCAB`).' },
      ],
      doc: '`adapter: prompt`: how the virtual-token embeddings start (PEFT `prompt_tuning_init`).',
      advice: 'TEXT with a short task description ("Classify the sentiment of this review:") usually converges faster than RANDOM.',
    },
    peft_prompt_tuning_init_text: { t: 'str', tunelab: true, doc: '`adapter: prompt` with `peft_prompt_tuning_init: TEXT`: the text whose token embeddings initialise the virtual tokens.' },
    peft_adapter_size: {
      t: 'int',
      tunelab: true,
      derived: '64',
      range: { min: 1, severity: 'error' },
      doc: '`adapter: bottleneck`: the bottleneck width of each adapter (down-projection to this size, nonlinearity, up-projection back, residual).',
      advice: 'Trainable parameters grow linearly with it: about 2 × hidden × size per adapter.',
    },
    peft_adapter_placement: {
      t: 'str',
      tunelab: true,
      derived: 'houlsby',
      values: [
        { value: 'houlsby', doc: 'Two adapters per layer: after attention and after the MLP (Houlsby et al., 2019).' },
        { value: 'pfeiffer', doc: 'One adapter per layer, after the MLP (Pfeiffer et al., 2020): half the parameters.' },
      ],
      doc: '`adapter: bottleneck`: where the adapters sit in each layer.',
    },
    peft_adapter_non_linearity: {
      t: 'str',
      tunelab: true,
      derived: 'swish for houlsby, relu for pfeiffer (AdapterHub)',
      values: [
        { value: 'relu', doc: 'max(0, x).' },
        { value: 'swish', doc: 'x·sigmoid(x) (the same as silu).' },
        { value: 'silu', doc: 'x·sigmoid(x).' },
        { value: 'gelu', doc: 'GELU, tanh approximation (as gelu_new).' },
        { value: 'gelu_new', doc: 'GELU, tanh approximation.' },
        { value: 'tanh', doc: 'tanh(x).' },
      ],
      doc: '`adapter: bottleneck`: the nonlinearity between the down- and up-projection.',
    },
    eval_tasks: {
      t: 'str | (str | object:eval_task)[]',
      children: 'eval_task',
      tunelab: true,
      doc: 'Benchmarks run on the trained model at the end of training (and every `eval_tasks_every` evaluations), written to `<output_dir>/eval_report.json` with the change against the base model: task names (`mmlu`, `hellaswag`, `arc_easy`, `arc_challenge`, a YAML task) or mappings `{task, data, limit, num_fewshot}`.',
      advice: 'Measure forgetting: a general benchmark before and after fine-tuning shows what the run cost outside the task.',
      snippet: 'eval_tasks:\n  - task: ${1:arc_easy}\n    data: ${2:./evals/arc_easy}\n    limit: ${3:200}',
    },
    eval_tasks_every: {
      t: 'int',
      tunelab: true,
      range: { min: 1, severity: 'error' },
      doc: 'Also run eval_tasks every N evaluations during training (unset: only at the end).',
    },
    ewc_lambda: {
      t: 'float',
      tunelab: true,
      range: { min: 0, severity: 'error' },
      doc: 'Elastic weight consolidation: adds (ewc_lambda / 2) · Σ F_i (θ_i − θ*_i)² to the loss, where F is a diagonal Fisher (mean squared gradients of the LM loss) computed on `ewc_data` at the starting weights. Pulls the weights that matter for general text back to where they started. Needs `ewc_data`.',
      advice: 'Start around 1-100 and compare general perplexity against the task loss; too large and the model stops learning the task.',
    },
    ewc_data: {
      t: 'str',
      tunelab: true,
      doc: 'EWC: the general data the Fisher information is estimated on: a `.txt` file (one passage per paragraph) or a dataset file (`.jsonl` / `.json`) read like a `completion` dataset (its `text` field).',
    },
    ewc_samples: {
      t: 'int',
      tunelab: true,
      derived: '64',
      range: { min: 1, severity: 'error' },
      doc: 'EWC: how many sequences of ewc_data the Fisher is averaged over (one forward and backward pass each, before training starts).',
    },
    l2sp_lambda: {
      t: 'float',
      tunelab: true,
      range: { min: 0, severity: 'error' },
      doc: 'L2-SP: adds (l2sp_lambda / 2) · ‖θ − θ₀‖² over the trainable parameters, pulling them toward their starting values: the cheap alternative to EWC (no Fisher, no extra data). With LoRA the adapter starts at zero, so this is weight decay of the low-rank delta toward 0.',
      advice: 'Typical values 1e-4 to 1e-1 (relative to a per-token mean loss).',
    },
  },
};

/** Tunelab keys of one `datasets:` entry (merged into the dataset entry table). */
export const TUNELAB_DATASET_KEYS: Record<string, KeyDef> = {
  weight: {
    t: 'float',
    tunelab: true,
    range: { min: 0, severity: 'error' },
    doc: "Mixing ratio: this dataset's share of the training examples drawn per epoch is weight / (sum of the weights). The epoch keeps the natural size (the sum of all datasets' records); a dataset whose share needs more examples than it has is repeated (whole passes, then a seeded sample of the remainder), one that needs fewer is sampled without replacement, so the draw is fixed by `seed`. Entries without weight keep their natural share.",
    advice: 'Mixing 5-20 % general instruction data into a narrow task is the cheapest guard against forgetting.',
  },
  loss_weight: {
    t: 'float',
    tunelab: true,
    derived: '1',
    range: { min: 0, severity: 'error' },
    doc: "Multi-task loss weight: each trained token of this dataset's examples counts loss_weight times in the loss. The loss stays divided by the number of trained tokens of the step (unweighted), so loss_weight 2 doubles this dataset's gradient and leaves the others' alone.",
  },
};

/** The keys of one `eval_tasks:` mapping. */
export const EVAL_TASK_KEYS: Record<string, KeyDef> = {
  task: { t: 'str', doc: 'The task name: `mmlu`, `hellaswag`, `arc_easy`, `arc_challenge`, or a task defined in a YAML file (see `data`).' },
  data: { t: 'str', doc: 'Where the task data is: a folder or file in the shape of the Hugging Face dataset (Parquet, JSONL, JSON), or a task YAML.' },
  limit: { t: 'int', range: { min: 1, severity: 'error' }, doc: 'Score only the first N items (quicker, noisier).' },
  num_fewshot: { t: 'int', range: { min: 0, severity: 'error' }, doc: 'How many solved examples precede each question.' },
};
