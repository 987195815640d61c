import { Severity } from '../diagnostics';
import { isPlainObject, type RuleContext } from './context';
import { familyOf } from './schema/loraTargets';

/**
 * Advice from fine-tuning practice: warnings that say why, on configs Axolotl would accept.
 * Thresholds are rules of thumb and stated in the messages.
 */
const W = Severity.Warning;

/** Full fine-tuning above this learning rate tends to erase pre-trained knowledge. */
export const FULL_FT_MAX_LR = 1e-4;
/** LoRA above this learning rate often diverges. */
export const LORA_MAX_LR = 1e-3;
/** LoRA below this learning rate barely moves the adapter in a normal run length. */
export const LORA_MIN_LR = 1e-5;
/** More epochs than this on fine-tuning data mostly memorises it. */
export const MAX_EPOCHS = 5;
/** A LoRA rank at or above this on two or fewer modules is a narrow, expensive choice. */
export const HIGH_RANK = 64;

/** Model-name patterns each family-specific chat template fits. Generic templates fit any model. */
const TEMPLATE_FITS: readonly [RegExp, RegExp, string][] = [
  [/^llama3(_2_vision)?$/, /llama-?3|llama3|cogito-v1-preview-llama/i, 'Llama 3'],
  [/^llama4$/, /llama-?4/i, 'Llama 4'],
  [/^mistral_/, /mistral|mixtral|ministral|magistral|devstral|pixtral|codestral|voxtral/i, 'Mistral'],
  [/^gemma/, /gemma/i, 'Gemma'],
  [/^phi_3/, /phi/i, 'Phi-3'],
  [/^qwen/, /qwen|qwq/i, 'Qwen'],
  [/^(cohere|command_a|aya)/, /cohere|command|aya|c4ai/i, 'Cohere'],
  [/^deepseek/, /deepseek/i, 'DeepSeek'],
  [/^falcon_h1$/, /falcon-?h1/i, 'Falcon-H1'],
  [/^nemotron_h$/, /nemotron/i, 'Nemotron-H'],
  [/^exaone/, /exaone/i, 'EXAONE'],
  [/^jamba$/, /jamba/i, 'Jamba'],
];
/** Names that identify a model family (to be sure the base model is of a *different* family). */
const KNOWN_FAMILY = /llama|mistral|mixtral|ministral|magistral|devstral|gemma|phi|qwen|qwq|cohere|command-r|aya|deepseek|falcon|nemotron|exaone|jamba|gpt2|pythia|olmo|granite|smollm|stablelm|starcoder/i;

export function checkAdvice(ctx: RuleContext): void {
  learningRate(ctx);
  epochs(ctx);
  if (ctx.get('train_on_inputs') === true && !completionOnly(ctx)) {
    ctx.report('config-advice-train-on-inputs', W, [{ path: ['train_on_inputs'], on: 'value' }], 'train_on_inputs: true computes the loss on prompts too: the model spends capacity learning to write instructions, which usually hurts instruction following. Keep it false unless the inputs are what you want to generate.', { replaceValueWith: false });
  }
  chatTemplate(ctx);
  loraShape(ctx);
  loraModules(ctx);
  newTokens(ctx);
}

/** Embedding and output layer names per family, for lora_modules_to_save. */
function embeddingModules(base: string): string[] {
  const fam = familyOf(base)?.family;
  if (fam === 'gpt2') return ['wte', 'lm_head'];
  if (fam === 'gpt_neox') return ['embed_in', 'embed_out'];
  if (fam === 'falcon' || fam === 'bloom') return ['word_embeddings', 'lm_head'];
  return ['embed_tokens', 'lm_head'];
}

function newTokens(ctx: RuleContext): void {
  const adapter = ctx.str('adapter');
  if ((adapter !== 'lora' && adapter !== 'qlora') || !ctx.on('tokens')) return;
  const mods = embeddingModules(ctx.str('base_model') ?? '');
  const saved = ctx.get('lora_modules_to_save');
  const list = Array.isArray(saved) ? saved.map(String) : [];
  if (mods.every((m) => list.includes(m))) return;
  ctx.report('config-new-tokens-not-trained', W, [{ path: ['tokens'] }], `tokens adds tokens to the vocabulary, but with an adapter their embeddings stay untrained unless lora_modules_to_save lists the embedding and output layers (${mods.join(', ')}); Axolotl stops with an error when the tokens are new.`, list.length === 0 ? { addKey: { key: 'lora_modules_to_save', value: mods } } : undefined);
}

function learningRate(ctx: RuleContext): void {
  const lr = ctx.num('learning_rate');
  if (lr === undefined) return;
  const adapter = ctx.str('adapter');
  if (!ctx.on('adapter') && !ctx.on('rl') && lr > FULL_FT_MAX_LR) {
    ctx.report('config-advice-high-lr-full-finetune', W, [{ path: ['learning_rate'], on: 'value' }], `learning_rate ${lr} is a pre-training-scale rate for full fine-tuning (no adapter): it tends to overwrite what the model knows. Use 10-100x less than pre-training, typically 5e-6 to 2e-5, or train an adapter (LoRA) at this rate.`, { replaceValueWith: 2e-5 });
  } else if ((adapter === 'lora' || adapter === 'qlora') && lr > LORA_MAX_LR) {
    ctx.report('config-advice-high-lr-lora', W, [{ path: ['learning_rate'], on: 'value' }], `learning_rate ${lr} is high even for LoRA (usual: 1e-4 to 3e-4); the loss often diverges above ${LORA_MAX_LR}.`, { replaceValueWith: 2e-4 });
  } else if ((adapter === 'lora' || adapter === 'qlora') && lr > 0 && lr < LORA_MIN_LR && !ctx.on('rl')) {
    ctx.report('config-advice-low-lr-lora', W, [{ path: ['learning_rate'], on: 'value' }], `learning_rate ${lr} is a full-fine-tuning rate; LoRA adapters start at zero and usually need 1e-4 to 3e-4 to learn in a normal number of steps.`, { replaceValueWith: 2e-4 });
  }
}

/** Every dataset trains on all tokens anyway (raw text), so train_on_inputs changes nothing. */
function completionOnly(ctx: RuleContext): boolean {
  const ds = ctx.get('datasets');
  return Array.isArray(ds) && ds.length > 0 && ds.every((e) => isPlainObject(e) && (e.type === 'completion' || e.type === 'pretrain'));
}

function epochs(ctx: RuleContext): void {
  const n = ctx.num('num_epochs');
  if (n === undefined || ctx.on('max_steps') || n <= MAX_EPOCHS) return;
  ctx.report('config-advice-many-epochs', W, [{ path: ['num_epochs'], on: 'value' }], `num_epochs ${n}: more than ${MAX_EPOCHS} passes over fine-tuning data mostly memorises it and increases forgetting of general skills. 1-3 epochs is typical; watch the eval loss (val_set_size) if you need more.`);
}

/** The chat templates in use: top level and per dataset entry. */
function templatesInUse(ctx: RuleContext): { template: string; path: (string | number)[] }[] {
  const out: { template: string; path: (string | number)[] }[] = [];
  const top = ctx.str('chat_template');
  if (top) out.push({ template: top, path: ['chat_template'] });
  const ds = ctx.get('datasets');
  if (Array.isArray(ds)) {
    ds.forEach((e, i) => {
      if (isPlainObject(e) && typeof e.chat_template === 'string' && e.chat_template) out.push({ template: e.chat_template, path: ['datasets', i, 'chat_template'] });
    });
  }
  return out;
}

/**
 * The format a family-specific chat template writes ('Llama 3', 'Mistral', ...), or undefined for
 * generic templates (chatml, tokenizer_default, jinja) that fit any model.
 */
export function templateFormatName(template: string): string | undefined {
  return TEMPLATE_FITS.find(([t]) => t.test(template))?.[2];
}

/** The chat-template mismatch advice, worded the same for Hub names and local models. */
export function templateMismatchMessage(template: string, format: string, base: string, why: string): string {
  return `chat_template '${template}' is the ${format} format, but the base model '${base}' ${why}: the fine-tune would learn a format the model was not trained with. Use the model's own template (tokenizer_default) or one of its family.`;
}

function chatTemplate(ctx: RuleContext): void {
  const base = ctx.str('base_model');
  if (!base || ctx.localModelChecked) return; // a local model's config.json decides (localModel.ts)
  const model = base.split('/').slice(-2).join('/');
  if (!KNOWN_FAMILY.test(model)) return;
  for (const { template, path } of templatesInUse(ctx)) {
    const name = template.replace(/^tokenizer_default_fallback_/, '');
    if (name !== template) continue; // the tokenizer's own template wins when it has one
    const rule = TEMPLATE_FITS.find(([t]) => t.test(name));
    if (!rule || rule[1].test(model)) continue;
    ctx.report('config-advice-template-mismatch', W, [{ path, on: 'value' }], templateMismatchMessage(template, rule[2], base, `is not a ${rule[2]} model`), { replaceValueWith: 'tokenizer_default' });
  }
}

function targetModules(ctx: RuleContext): string[] {
  const tm = ctx.get('lora_target_modules');
  if (typeof tm === 'string') return [tm];
  return Array.isArray(tm) ? tm.filter((x): x is string => typeof x === 'string') : [];
}

function loraShape(ctx: RuleContext): void {
  const adapter = ctx.str('adapter');
  if (adapter !== 'lora' && adapter !== 'qlora') return;
  if (!ctx.on('lora_target_modules') && !ctx.on('lora_target_linear') && !ctx.on('lora_target_parameters') && !ctx.on('lora_model_dir')) {
    ctx.report('config-lora-no-targets', W, [{ path: ['adapter'], on: 'value' }], 'No LoRA targets: set lora_target_linear: true (all linear layers, the usual choice) or list lora_target_modules; with neither, PEFT gets an empty target list and adapter creation fails.', { addKey: { key: 'lora_target_linear', value: true } });
  }
  const r = ctx.num('lora_r');
  const modules = targetModules(ctx);
  if (r === undefined || r < HIGH_RANK || ctx.on('lora_target_linear') || modules.length === 0 || modules.length > 2) return;
  ctx.report('config-advice-lora-narrow-high-rank', W, [{ path: ['lora_r'], on: 'value' }], `lora_r ${r} on only ${modules.join(', ')}: for the same parameter budget, a lower rank (8-32) on all linear layers (lora_target_linear: true) usually learns better than a high rank on a few modules.`, { addKey: { key: 'lora_target_linear', value: true } });
}

function loraModules(ctx: RuleContext): void {
  const modules = targetModules(ctx);
  if (modules.length === 0 || !ctx.on('adapter')) return;
  const base = ctx.str('model_type') && !/^Auto/.test(ctx.str('model_type')!) ? ctx.str('model_type')! : ctx.str('base_model') ?? '';
  const fam = familyOf(base);
  if (!fam) return;
  const known = new Set([...fam.attention, ...fam.mlp, 'embed_tokens', 'lm_head', 'wte', 'embed_in', 'embed_out']);
  const plain = modules.filter((m) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(m));
  if (plain.length !== modules.length || plain.some((m) => known.has(m))) return; // regexes or some match: PEFT accepts it
  ctx.report('config-lora-modules-architecture', W, [{ path: ['lora_target_modules'] }], `None of ${modules.join(', ')} is a linear layer of ${fam.family}-family models (${[...fam.attention, ...fam.mlp].join(', ')}); PEFT fails when no target module matches.`, { replacePairWith: { key: 'lora_target_modules', value: [...fam.attention, ...fam.mlp] } });
}
