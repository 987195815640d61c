/**
 * mergekit's merge-config dialect as data (mergekit @ a6e4028, `mergekit/config.py`,
 * `merge_methods/registry.py`, `generalized_task_arithmetic.py`, `linear.py`, `slerp.py`): the
 * methods with their parameters and defaults, the parameter docs and the keys of each mapping.
 * The validator, completion, hover and the merge runner (trainer/merge) all read these tables, so
 * a default is written once.
 */

/** One parameter of a method: global (top-level / slice `parameters`) or per model (`models[*].parameters`). */
export interface MergeParamSpec {
  name: string;
  /** `required`: mergekit stops with "Missing required parameter". */
  required?: boolean;
  default?: number | boolean;
  kind: 'number' | 'bool';
}

/** A merge method as mergekit registers it. */
export interface MergeMethodSpec {
  name: string;
  title: string;
  doc: string;
  /** `required`: needs `base_model`; `optional`: uses it when given; `unused`: ignores it. */
  base: 'required' | 'optional' | 'unused';
  /** Number of input models including the base, when the method fixes it. */
  exactModels?: number;
  /** Fewest input models including the base. */
  minModels?: number;
  global: MergeParamSpec[];
  perModel: MergeParamSpec[];
  /** Generalized task arithmetic: how deltas are sparsified and whether signs are elected. */
  gta?: { sparsify: 'magnitude' | 'random' | 'magnitude_outliers' | 'della_magprune' | null; consensus: boolean };
  /** Tunelab's `merge` runs it (the others are validated only). */
  runs: boolean;
  url?: string;
}

const num = (name: string, def?: number, required = false): MergeParamSpec => ({ name, kind: 'number', default: def, required });
const bool = (name: string, def: boolean): MergeParamSpec => ({ name, kind: 'bool', default: def });

function gta(name: string, title: string, doc: string, sparsify: NonNullable<MergeMethodSpec['gta']>['sparsify'], consensus: boolean, normalize: boolean, rescale: boolean, url: string, extra: MergeParamSpec[] = []): MergeMethodSpec {
  return {
    name, title, doc, base: 'required', minModels: 2, url, runs: true,
    gta: { sparsify, consensus },
    global: [bool('int8_mask', false), bool('normalize', normalize), bool('rescale', rescale), num('lambda', 1.0)],
    perModel: [num('weight', undefined, true), num('density', 1.0), ...extra],
  };
}

/** Every merge method mergekit registers, in its registry order. */
export const MERGE_METHODS: readonly MergeMethodSpec[] = [
  { name: 'linear', title: 'Linear (model soup)', doc: 'Weighted average of the models: Σ wᵢθᵢ, divided by Σ wᵢ when `normalize` (default true).', base: 'unused', minModels: 2, global: [bool('normalize', true)], perModel: [num('weight', undefined, true)], runs: true, url: 'https://arxiv.org/abs/2203.05482' },
  { name: 'slerp', title: 'SLERP', doc: 'Spherical interpolation between `base_model` (t = 0) and one other model (t = 1), tensor by tensor; falls back to linear interpolation when the two are nearly colinear.', base: 'required', exactModels: 2, global: [num('t', undefined, true)], perModel: [], runs: true, url: 'https://en.wikipedia.org/wiki/Slerp' },
  { name: 'nuslerp', title: 'NuSLERP', doc: 'SLERP with per-model weights, optionally row-wise, optionally as task vectors from `base_model`.', base: 'optional', exactModels: 2, global: [bool('nuslerp_flatten', true), bool('nuslerp_row_wise', false)], perModel: [num('weight', undefined, true)], runs: false },
  { name: 'passthrough', title: 'Passthrough', doc: 'Copies tensors unchanged from exactly one model per tensor (frankenmerges with `slices`).', base: 'unused', global: [], perModel: [num('scale')], runs: true },
  { name: 'model_stock', title: 'Model Stock', doc: 'Chooses interpolation weights from the geometry of the fine-tuned models around `base_model`.', base: 'required', minModels: 3, global: [bool('filter_wise', false)], perModel: [], runs: false },
  { name: 'arcee_fusion', title: 'Arcee Fusion', doc: 'Dynamic threshold fusion of one model into `base_model`.', base: 'required', exactModels: 2, global: [], perModel: [], runs: false },
  { name: 'karcher', title: 'Karcher mean', doc: 'Riemannian (Karcher) mean of the models.', base: 'unused', minModels: 2, global: [num('max_iter', 10), num('tol', 1e-5)], perModel: [], runs: false },
  gta('task_arithmetic', 'Task Arithmetic', 'θ = θ_base + λ·Σ wᵢ(θᵢ − θ_base): adds weighted task vectors to `base_model`.', null, false, false, false, 'https://arxiv.org/abs/2212.04089'),
  gta('ties', 'TIES', 'Trims each task vector to its largest-magnitude `density` fraction, elects a sign per entry from the weighted sum, and averages the agreeing entries (normalize defaults to true).', 'magnitude', true, true, false, 'https://arxiv.org/abs/2306.01708'),
  gta('dare_ties', 'DARE TIES', 'Drops task-vector entries at random (keep probability `density`), rescales the survivors to the original L1 norm, then elects signs as TIES does.', 'random', true, false, true, 'https://arxiv.org/abs/2311.03099'),
  gta('dare_linear', 'Linear DARE', 'Drops task-vector entries at random (keep probability `density`), rescales the survivors to the original L1 norm, and adds the weighted sum.', 'random', false, false, true, 'https://arxiv.org/abs/2311.03099'),
  gta('breadcrumbs', 'Model Breadcrumbs', 'Removes the largest `gamma` fraction (outliers) and the smallest entries of each task vector, keeping `density`.', 'magnitude_outliers', false, false, false, 'https://arxiv.org/abs/2312.06795', [num('gamma', 0.01)]),
  gta('breadcrumbs_ties', 'Model Breadcrumbs with TIES', 'Breadcrumbs sparsification followed by TIES sign election.', 'magnitude_outliers', true, false, false, 'https://arxiv.org/abs/2312.06795', [num('gamma', 0.01)]),
  gta('della', 'DELLA', 'Drops entries with a probability that falls with their magnitude rank (density ± epsilon per row), rescales, then elects signs.', 'della_magprune', true, true, true, 'https://arxiv.org/abs/2406.11617', [num('epsilon', 0.15)]),
  gta('della_linear', 'Linear DELLA', 'DELLA sparsification without sign election.', 'della_magprune', false, false, true, 'https://arxiv.org/abs/2406.11617', [num('epsilon', 0.15)]),
  { name: 'sce', title: 'SCE', doc: 'Select, calculate, erase: keeps high-variance entries across models and weights them by their squared magnitude.', base: 'required', minModels: 2, global: [bool('int8_mask', false), num('select_topk', 1.0)], perModel: [], runs: false },
  { name: 'nearswap', title: 'NearSwap', doc: 'Takes the secondary model\'s values where they are close to the base (threshold `t`).', base: 'required', exactModels: 2, global: [num('t', undefined, true)], perModel: [], runs: false },
  { name: 'ram', title: 'RAM', doc: 'Reinforced agent merging of RL-trained task vectors.', base: 'required', minModels: 2, global: [num('epsilon', 1e-5)], perModel: [], runs: false },
  { name: 'ramplus_tl', title: 'RAM+ (TL)', doc: 'RAM with overlap-aware rescaling.', base: 'required', minModels: 2, global: [num('r', 0.1), num('alpha', 0.2), num('epsilon', 1e-5)], perModel: [], runs: false },
  { name: 'multislerp', title: 'Multi-SLERP', doc: 'Spherical interpolation of several models on the hypersphere, with weights.', base: 'optional', minModels: 2, global: [bool('normalize_weights', true), num('eps', 1e-8)], perModel: [num('weight', undefined, true)], runs: false },
];

/** Method name → spec. */
export const METHODS_BY_NAME: ReadonlyMap<string, MergeMethodSpec> = new Map(MERGE_METHODS.map((m) => [m.name, m]));

/** What each parameter name means, for hover and completion. */
export const PARAM_DOCS: Readonly<Record<string, string>> = {
  weight: 'How much this model contributes (per model; any number, negative allowed for task arithmetic). A list of numbers is a gradient across layers; a list of `{filter, value}` picks by tensor name.',
  density: 'Fraction of task-vector entries kept, in (0, 1] (per model; default 1 = keep all). TIES keeps the largest; DARE keeps each entry with this probability.',
  normalize: 'Divide the merged delta by the sum of the weights (of the agreeing models, for the sign-electing methods). Defaults: linear and ties true, dare_* false.',
  rescale: 'After random dropping, scale the survivors so the task vector keeps its L1 norm (default true for dare_* and della*).',
  lambda: 'Multiplies the merged task vector before it is added to the base (default 1).',
  int8_mask: 'Keep sign masks as int8 to save memory; does not change the result.',
  t: 'Interpolation factor in [0, 1]: 0 gives `base_model`, 1 the other model. A list is a gradient across layers; `{filter, value}` entries pick by tensor name (first match wins, unfiltered fallback last).',
  gamma: 'Breadcrumbs: fraction of the largest-magnitude entries removed as outliers (default 0.01).',
  epsilon: 'DELLA: spread of the keep probability around `density` (default 0.15; density ± epsilon must stay inside (0, 1)).',
  scale: 'Passthrough: multiplies the tensor.',
  nuslerp_flatten: 'NuSLERP: treat each tensor as one flat vector (default true).',
  nuslerp_row_wise: 'NuSLERP: interpolate row vectors instead of column vectors (default false).',
  filter_wise: 'Model Stock: compute the ratio per row instead of per tensor (default false).',
  max_iter: 'Karcher: maximum iterations (default 10).',
  tol: 'Karcher: convergence tolerance (default 1e-5).',
  select_topk: 'SCE: fraction of high-variance entries selected (default 1).',
  r: 'RAM+: overlap rescaling factor (default 0.1).',
  alpha: 'RAM+: rescaling strength (default 0.2).',
  normalize_weights: 'Multi-SLERP: normalise the weights to sum to 1 (default true).',
  eps: 'Multi-SLERP: numerical epsilon (default 1e-8).',
};

/** Documentation of one mapping key. */
export interface MergeKeyDoc {
  key: string;
  doc: string;
  /** Completion snippet (LSP snippet syntax) for the value part. */
  snippet?: string;
}

const keys = (list: MergeKeyDoc[]): ReadonlyMap<string, MergeKeyDoc> => new Map(list.map((k) => [k.key, k]));

/** Top-level keys of a merge config. */
export const TOP_KEYS = keys([
  { key: 'merge_method', doc: 'The merge algorithm (required).' },
  { key: 'models', doc: 'The input models: `- model: PATH` with optional `parameters`. Exactly one of `models`, `slices` or `modules`.', snippet: '\n  - model: ${1}\n    parameters:\n      weight: ${2:1.0}' },
  { key: 'slices', doc: 'Output layer ranges, each built from `sources` (`model` + `layer_range: [start, end)`). Exactly one of `models`, `slices` or `modules`.', snippet: '\n  - sources:\n      - model: ${1}\n        layer_range: [${2:0}, ${3:32}]' },
  { key: 'modules', doc: 'Per-module definitions for multi-module architectures (vision-language models): name → `{models | slices, parameters}`.' },
  { key: 'base_model', doc: 'The model task vectors are taken from (θᵢ − θ_base) and that slerp starts at. A local folder, a Hub id, or `base+lora` to merge a LoRA in first.' },
  { key: 'parameters', doc: 'Parameters for every tensor (lowest precedence: slice and model parameters override them).' },
  { key: 'dtype', doc: 'Data type inputs are loaded in for merging: bfloat16, float16 or float32 (Tunelab computes in float32 and writes this dtype unless `out_dtype` is set).' },
  { key: 'out_dtype', doc: 'Data type of the written weights (default: `dtype`).' },
  { key: 'tokenizer_source', doc: '`base` (copy the base model\'s tokenizer), a model path (copy that one), or `union` (merged vocabulary). Cannot be combined with `tokenizer`.' },
  { key: 'tokenizer', doc: 'Tokenizer settings: `source` (union | base | model), `tokens`, `pad_to_multiple_of`. Cannot be combined with `tokenizer_source`.' },
  { key: 'chat_template', doc: '`auto`, a built-in name (alpaca, chatml, llama3, mistral, exaone) or a Jinja template string.' },
  { key: 'name', doc: 'Name of this merge in a multi-document mergekit-multi file.' },
]);

/** Keys of a `models:` entry. */
export const MODEL_KEYS = keys([
  { key: 'model', doc: 'A local folder, a Hub id (`org/name[@revision]`), or `BASE+LORA` to merge a LoRA adapter into its base first.' },
  { key: 'parameters', doc: 'Per-model parameters (`weight`, `density`, ...); they override slice and top-level values for this model.' },
]);

/** Keys of a `slices:` entry. */
export const SLICE_KEYS = keys([
  { key: 'sources', doc: 'The input slices: `model` + `layer_range`; all must span the same number of layers.' },
  { key: 'base_model', doc: 'Base model for this slice (default: the top-level `base_model`).' },
  { key: 'parameters', doc: 'Parameters for the tensors of this slice (override top-level ones).' },
  { key: 'residual_weight', doc: 'Weight of the residual for this slice.' },
]);

/** Keys of a `sources:` entry. */
export const SOURCE_KEYS = keys([
  { key: 'model', doc: MODEL_KEYS.get('model')!.doc },
  { key: 'layer_range', doc: 'Layers [start, end) taken from this model (end exclusive).', snippet: '[${1:0}, ${2:32}]' },
  { key: 'parameters', doc: 'Parameters for this model in this slice (highest precedence).' },
]);

/** dtype names mergekit accepts (an optional `torch.` prefix is allowed too). */
export const DTYPES = ['bfloat16', 'float16', 'float32', 'int64'] as const;

/** Built-in chat templates mergekit ships. */
export const CHAT_TEMPLATES = ['alpaca', 'chatml', 'llama3', 'mistral', 'exaone'] as const;

/** Every parameter name any method declares. */
export const ALL_PARAMS: ReadonlySet<string> = new Set(MERGE_METHODS.flatMap((m) => [...m.global, ...m.perModel].map((p) => p.name)));
