import { dirname } from 'node:path';
import { Severity } from '../diagnostics';
import { closest } from '../dataset/suggest';
import { BUILTIN_TASKS } from '../eval/tasks';
import { resolveLocalPath } from '../paths';
import { isPlainObject, truthy, type RuleContext } from './context';
import { E, W, at, atValue } from './ruleKit';
import { ADAPTERS, PLUGIN_ADAPTERS, TUNELAB_ADAPTER_ALIASES, TUNELAB_ADAPTERS } from './schema/enums';
import { DATASET_ENTRY, TOP_LEVEL } from './schema/index';

const I = Severity.Information;

/** The fine-tuning method a config asks for, with Tunelab's aliases folded (`prefix_tuning` → `prefix`). */
export type MethodKind = 'full' | 'lora' | 'qlora' | 'llama-adapter' | 'prefix' | 'prompt' | 'ia3' | 'bottleneck' | 'other';

export function methodOf(adapter: unknown): MethodKind {
  if (!truthy(adapter)) return 'full';
  if (typeof adapter !== 'string') return 'other';
  const a = TUNELAB_ADAPTER_ALIASES[adapter] ?? adapter;
  if (PLUGIN_ADAPTERS[a]) return 'lora'; // MoRA and friends read the LoRA keys
  return ADAPTERS.some((x) => x.value === a) ? (a as MethodKind) : 'other';
}

/** Keys that only LoRA-family adapters read (PEFT LoraConfig fields and Axolotl's LoRA extras). */
const LORA_RANK_KEYS = ['lora_r', 'lora_alpha', 'lora_dropout', 'lora_rank_pattern', 'lora_alpha_pattern', 'peft_use_dora', 'peft_use_rslora', 'peft_init_lora_weights', 'loraplus_lr_ratio', 'lora_fan_in_fan_out'];
/** LoRA target keys. IA³ does not read them either: it scales PEFT's default modules for the architecture. */
const LORA_TARGET_KEYS = ['lora_target_modules', 'lora_target_linear', 'lora_target_parameters', 'lora_modules_to_save'];

/** Tunelab keys that belong to one method, and the methods that read them. */
const METHOD_KEYS: readonly [key: string, methods: readonly MethodKind[]][] = [
  ['peft_num_virtual_tokens', ['prefix', 'prompt']],
  ['peft_prefix_projection', ['prefix']],
  ['peft_encoder_hidden_size', ['prefix']],
  ['peft_prompt_tuning_init', ['prompt']],
  ['peft_prompt_tuning_init_text', ['prompt']],
  ['peft_adapter_size', ['bottleneck']],
  ['peft_adapter_placement', ['bottleneck']],
  ['peft_adapter_non_linearity', ['bottleneck']],
];

const describe = (m: MethodKind, adapter: unknown): string => (m === 'full' ? 'without an adapter this config fully fine-tunes' : `adapter: ${String(adapter)} does not read it`);

/**
 * Method/key mismatches (a key that the chosen method never reads does nothing, which is rarely
 * what the writer meant), quantisation that names the wrong method, and Tunelab's own keys and
 * methods: information with the built-in engine, a warning (keys) or an error (methods Axolotl
 * refuses) with `tunelab_engine: axolotl` / `hf`.
 */
export function checkMethodRules(ctx: RuleContext): void {
  const adapter = ctx.get('adapter');
  const method = methodOf(adapter);
  const engine = ctx.str('tunelab_engine') ?? 'builtin';
  const external = engine === 'axolotl' || engine === 'hf';

  // Tunelab's methods: Axolotl refuses any adapter it does not build in.
  if (typeof adapter === 'string' && TUNELAB_ADAPTERS.has(adapter)) {
    const canonical = TUNELAB_ADAPTER_ALIASES[adapter];
    if (external) {
      ctx.report('config-tunelab-method', E, atValue('adapter'), `adapter: ${adapter} is a method of Tunelab's built-in trainer; Axolotl refuses adapters it does not build in (lora, qlora, llama-adapter), so tunelab_engine: ${engine} cannot run it. Use tunelab_engine: builtin, or adapter: lora.`, { replacePairWith: { key: 'tunelab_engine', value: 'builtin' } });
    } else {
      ctx.report('config-tunelab-method', I, atValue('adapter'), `adapter: ${adapter} is a method of Tunelab's built-in trainer${canonical ? ` (the same as ${canonical})` : ''}; Axolotl refuses it, so this config trains with Tunelab only.`);
    }
  }

  // LoRA keys without a LoRA-family adapter.
  if (method !== 'lora' && method !== 'qlora' && method !== 'other') {
    for (const k of [...LORA_RANK_KEYS, ...LORA_TARGET_KEYS]) {
      if (!ctx.on(k)) continue;
      // The trainer's IA³ always takes PEFT's default modules (Llama: k_proj, v_proj, down_proj).
      const why = method === 'full' ? ' Set adapter: lora (or qlora) to train LoRA.' : method === 'ia3' && LORA_TARGET_KEYS.includes(k) ? " IA3 scales PEFT's default modules for the architecture (Llama, Mistral: k_proj, v_proj, down_proj)." : '';
      ctx.report('config-method-key-unused', W, at(k), `${k} is a LoRA setting, and ${describe(method, adapter)}: it has no effect.${why}`);
    }
  }
  // Tunelab's per-method keys.
  for (const [k, methods] of METHOD_KEYS) {
    if (!ctx.has(k) || methods.includes(method) || method === 'other') continue;
    ctx.report('config-method-key-unused', W, at(k), `${k} is read only by adapter: ${methods.join(' or ')}, and ${describe(method, adapter)}: it has no effect.`);
  }
  if (method === 'prefix' && ctx.has('peft_encoder_hidden_size') && !ctx.on('peft_prefix_projection')) {
    ctx.report('config-method-key-unused', W, at('peft_encoder_hidden_size'), 'peft_encoder_hidden_size sizes the prefix projection MLP, which is off: set peft_prefix_projection: true, or remove it.', { addKey: { key: 'peft_prefix_projection', value: true } });
  }
  if (method === 'prompt') {
    const init = ctx.str('peft_prompt_tuning_init');
    if (init === 'TEXT' && !ctx.on('peft_prompt_tuning_init_text')) {
      ctx.report('config-prompt-init-text-missing', E, atValue('peft_prompt_tuning_init'), 'peft_prompt_tuning_init: TEXT initialises the virtual tokens from peft_prompt_tuning_init_text, which is not set (PEFT refuses this too).', { addKey: { key: 'peft_prompt_tuning_init_text', value: 'Answer the question:' } });
    }
    if (init !== 'TEXT' && ctx.on('peft_prompt_tuning_init_text')) {
      ctx.report('config-method-key-unused', W, at('peft_prompt_tuning_init_text'), `peft_prompt_tuning_init_text is used only with peft_prompt_tuning_init: TEXT (now ${init ?? 'RANDOM, the default'}).`, { addKey: { key: 'peft_prompt_tuning_init', value: 'TEXT' } });
    }
  }

  // Per-module ranks and alphas must be positive integers (Axolotl's LoRA validator).
  for (const k of ['lora_rank_pattern', 'lora_alpha_pattern']) {
    const v = ctx.get(k);
    if (!isPlainObject(v)) continue;
    const bad = Object.entries(v).filter(([, n]) => typeof n === 'number' && !(n > 0));
    if (bad.length > 0) ctx.report('config-lora-pattern-value', E, [{ path: [k, bad[0]![0]], on: 'value' }, { path: [k] }], `${k} values must be positive integers: ${bad.map(([m, n]) => `${m}: ${String(n)}`).join(', ')}.`);
  }

  // 4-bit base with plain LoRA: that is QLoRA, and Axolotl's 4-bit handling keys off adapter: qlora.
  if (method === 'lora' && adapter === 'lora' && ctx.on('load_in_4bit') && !ctx.on('merge_lora')) {
    ctx.report('config-lora-4bit', W, atValue('adapter'), 'adapter: lora with load_in_4bit: true trains LoRA on a 4-bit base model, which is QLoRA: write adapter: qlora (Axolotl checks and prepares 4-bit training for qlora).', { replaceValueWith: 'qlora' });
  }

  forgetting(ctx);
  tunelabKeys(ctx, engine, external);
}

/** A task YAML or a corpus for perplexity, as the trainer's task resolver reads them. */
const EVAL_TASK_FILE = /\.(ya?ml|txt|jsonl|json|parquet)$/i;

/**
 * eval_tasks entries the trainer would refuse before the first step (an unknown name, a task file
 * or data that is not there), located on the entry, so the editor and validate say it first.
 */
function evalTasks(ctx: RuleContext): void {
  const raw = ctx.get('eval_tasks');
  const entries: { entry: unknown; path: (string | number)[] }[] = Array.isArray(raw)
    ? raw.map((entry, i) => ({ entry, path: ['eval_tasks', i] }))
    : typeof raw === 'string'
      ? raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((entry) => ({ entry, path: ['eval_tasks'] }))
      : [];
  const env = ctx.env;
  const bases = { configDir: env.configPath ? dirname(env.configPath) : undefined, workspaceRoots: env.workspaceRoots, cwd: env.cwd };
  const canCheckPaths = env.fileExists && !env.skipPathChecks && (bases.configDir || bases.cwd || (bases.workspaceRoots?.length ?? 0) > 0);
  for (const { entry, path } of entries) {
    let name: string;
    let file: string | undefined;
    let anchorPath = path;
    if (typeof entry === 'string') {
      name = entry.trim();
      file = EVAL_TASK_FILE.test(name) ? name : undefined;
    } else if (isPlainObject(entry) && typeof entry.task === 'string') {
      name = entry.task;
      file = typeof entry.data === 'string' && entry.data.trim() !== '' ? entry.data : undefined;
      anchorPath = [...path, file !== undefined ? 'data' : 'task'];
    } else continue; // shapes are the schema's to report
    const builtin = (BUILTIN_TASKS as readonly string[]).includes(name);
    if (!builtin && !(file !== undefined && EVAL_TASK_FILE.test(file))) {
      const near = closest(name, BUILTIN_TASKS);
      ctx.report('config-eval-task-unknown', E, [{ path: anchorPath, on: 'value' }, { path }], `'${name}' is not a built-in benchmark (${BUILTIN_TASKS.join(', ')}), a task .yaml or a .txt/.jsonl/.json/.parquet corpus${near ? `: did you mean '${near}'?` : '.'} Training refuses the run.`);
      continue;
    }
    if (file === undefined || !canCheckPaths) continue;
    const r = resolveLocalPath(file, bases, env.fileExists);
    if (!r.exists) ctx.report('config-eval-task-missing', E, [{ path: anchorPath, on: 'value' }, { path }], `eval_tasks: '${file}' does not exist (looked for ${r.candidates.map((c) => `'${c}'`).join(', ')}). Training refuses the run.`);
  }
}

/** EWC / L2-SP / eval_tasks: keys that need a partner key. */
function forgetting(ctx: RuleContext): void {
  if (ctx.on('ewc_lambda') && !ctx.on('ewc_data')) {
    ctx.report('config-ewc-needs-data', E, at('ewc_lambda'), 'ewc_lambda needs ewc_data: the general text the Fisher information (which weights matter) is estimated on, e.g. a .txt or .jsonl file of ordinary text.', { addKey: { key: 'ewc_data', value: './general.txt' } });
  }
  for (const k of ['ewc_data', 'ewc_samples']) {
    if (ctx.has(k) && !ctx.on('ewc_lambda')) ctx.report('config-method-key-unused', W, at(k), `${k} is used only by EWC, which is off: set ewc_lambda (e.g. 10) or remove ${k}.`);
  }
  const ewcData = ctx.get('ewc_data');
  const env = ctx.env;
  if (typeof ewcData === 'string' && ewcData.trim() !== '' && env.fileExists && !env.skipPathChecks) {
    const bases = { configDir: env.configPath ? dirname(env.configPath) : undefined, workspaceRoots: env.workspaceRoots, cwd: env.cwd };
    if (bases.configDir || bases.cwd || (bases.workspaceRoots && bases.workspaceRoots.length > 0)) {
      const r = resolveLocalPath(ewcData, bases, env.fileExists);
      if (!r.exists) ctx.report('config-ewc-data-missing', E, atValue('ewc_data'), `ewc_data '${ewcData}' does not exist (looked for ${r.candidates.map((c) => `'${c}'`).join(', ')}).`);
    }
  }
  evalTasks(ctx);
  if (ctx.has('eval_tasks_every') && !ctx.on('eval_tasks')) {
    ctx.report('config-method-key-unused', W, at('eval_tasks_every'), 'eval_tasks_every has no effect without eval_tasks.');
  }
  const datasets = ctx.get('datasets');
  if (Array.isArray(datasets)) {
    const weights = datasets.map((d) => (isPlainObject(d) ? d.weight : undefined));
    const given = weights.filter((w): w is number => typeof w === 'number');
    if (given.length > 0 && given.every((w) => w === 0) && given.length === datasets.length) {
      ctx.report('config-dataset-weights-zero', E, [{ path: ['datasets', 0, 'weight'], on: 'value' }], 'Every dataset has weight 0: nothing would be drawn to train on.');
    }
  }
  const tests = ctx.get('test_datasets');
  if (Array.isArray(tests)) {
    tests.forEach((d, i) => {
      if (isPlainObject(d) && d.weight !== undefined) ctx.report('config-method-key-unused', W, [{ path: ['test_datasets', i, 'weight'] }], 'weight mixes training data; evaluation data is used whole, so it has no effect here.');
    });
  }
}

/** Tunelab keys: information with the built-in engine, a warning when another engine runs the config. */
function tunelabKeys(ctx: RuleContext, engine: string, external: boolean): void {
  const message = (k: string) =>
    external
      ? `${k} is a Tunelab key and tunelab_engine: ${engine} ignores it (Axolotl drops keys it does not know); only Tunelab's built-in trainer reads it.`
      : `${k} is a Tunelab key: Tunelab's built-in trainer reads it; Axolotl ignores it.`;
  for (const k of Object.keys(ctx.cfg)) {
    if (k === 'tunelab_engine' || !TOP_LEVEL.get(k)?.tunelab || !ctx.has(k)) continue;
    ctx.report('config-tunelab-key', external ? W : I, at(k), message(k));
  }
  for (const list of ['datasets', 'test_datasets']) {
    const entries = ctx.get(list);
    if (!Array.isArray(entries)) continue;
    entries.forEach((e, i) => {
      if (!isPlainObject(e)) return;
      for (const k of Object.keys(e)) {
        if (DATASET_ENTRY.get(k)?.tunelab && e[k] !== null && e[k] !== undefined) ctx.report('config-tunelab-key', external ? W : I, [{ path: [list, i, k] }], message(k));
      }
    });
  }
}
