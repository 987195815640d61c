/**
 * The model-aware config checks (`ConfigEnv.checkModel`), built on the chat core: what a local
 * `base_model` directory's own files say about the config.
 * - no tokenizer.json: nothing about the template or the loss mask can be known (and Tunelab's
 *   trainer cannot load it);
 * - config.json `model_type` of one family and a family-specific `chat_template` of another (the
 *   same advice Hub names get, `config-advice-template-mismatch`);
 * - for each chat dataset entry, the masking setup its options imply (`exampleOptionsFromConfig`)
 *   checked by `maskSetupFindings`: an end-of-turn or EOS token never trained means the model
 *   never learns to stop.
 *
 * The config core stays pure and synchronous; loading a tokenizer is not. `ConfigModelCheck.check`
 * answers from models already loaded and starts loading the others in the background (calling
 * `onLoaded`, so that a language server can validate again); `prepare` loads the model a config
 * names before a one-shot validation (CLI, trainer). Not exported from ./index: it pulls in the
 * tokenizer library, which the pure core does not need.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  BUILTIN_TEMPLATE_FAMILY,
  ChatModelCache,
  TEMPLATE_FOR_FAMILY,
  datasetTypeOf,
  exampleOptionsFromConfig,
  maskSetupFindings,
  resolveChatTemplate,
  templateFamilyOf,
  type ChatModel,
  type MaskFinding,
  type MaskOptions,
  type Outcome,
} from '../chat/index';
import { templateFormatName, templateMismatchMessage } from './advice';
import { isPlainObject } from './context';
import { resolveBaseModel } from './localModel';
import type { ConfigDocument, ConfigEnv, ModelFinding, NodePath } from './types';

/** The files whose change means a model must be read again (as ChatModelCache watches them). */
const WATCHED = ['tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja', 'chat_template.json', 'generation_config.json', 'config.json'] as const;
/** Slow-tokenizer files: present without tokenizer.json, they need a one-time conversion. */
const SLOW_TOKENIZER = ['tokenizer.model', 'vocab.json', 'merges.txt', 'spiece.model'] as const;
/** config.json is a few KB; anything larger is not read on the editor's thread. */
const MAX_CONFIG_JSON = 1 << 20;
const SEVERITY = { error: 1, warning: 2, info: 3 } as const;

/** Options of a `ConfigModelCheck`. */
export interface ConfigModelCheckOptions {
  /** Share a cache with other features (the server's dataset checks); a private one otherwise. */
  cache?: ChatModelCache;
  /** Called when a model that `check` asked for has loaded: validate the open configs again. */
  onLoaded?(modelDir: string): void;
  /** Models kept loaded (tokenizers are large); default 4. */
  limit?: number;
}

type Loaded = { stamp: string; outcome: Outcome<ChatModel> };

/** The model-aware hook of the config checks; one per server or CLI run (no global state). */
export class ConfigModelCheck {
  private readonly cache: ChatModelCache;
  private readonly loaded = new Map<string, Loaded>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly limit: number;

  constructor(private readonly options: ConfigModelCheckOptions = {}) {
    this.cache = options.cache ?? new ChatModelCache(options.limit ?? 4);
    this.limit = options.limit ?? 4;
  }

  /** `ConfigEnv.checkModel`: synchronous, from what is loaded; a missing model starts loading. */
  readonly check = (modelDir: string, config: Readonly<Record<string, unknown>>): ModelFinding[] => {
    let st;
    try {
      st = statSync(modelDir);
    } catch {
      return [];
    }
    const base = typeof config.base_model === 'string' ? config.base_model.trim() : modelDir;
    if (!st.isDirectory())
      return [{ code: 'config-model-not-directory', severity: 2, message: `base_model '${base}' is a file: a local model is a folder in Hugging Face layout (config.json, tokenizer.json, tokenizer_config.json and the weights).` }];
    const out: ModelFinding[] = [];
    const hasTokenizer = existsSync(join(modelDir, 'tokenizer.json'));
    const model = hasTokenizer ? this.current(modelDir) : undefined;
    out.push(...templateFamilyFindings(modelDir, config, base, model?.ok ? model.value : undefined));
    // The tokenizer comes from elsewhere (`tokenizer_config:`): nothing here says how it masks.
    if (separateTokenizer(config, base)) return out;
    if (!hasTokenizer) {
      const slow = SLOW_TOKENIZER.filter((f) => existsSync(join(modelDir, f)));
      const hint = slow.length
        ? ` It has ${slow.join(', ')}: convert once with transformers, AutoTokenizer.from_pretrained(dir).save_pretrained(dir), which writes tokenizer.json.`
        : ' Download the tokenizer files with the model, or save them with tokenizer.save_pretrained(dir).';
      out.push({ code: 'config-model-no-tokenizer', severity: 2, message: `The local model '${base}' has no tokenizer.json, so the chat template, the loss mask and token counts cannot be checked, and Tunelab's trainer cannot load it.${hint}` });
      return out;
    }
    if (!model) return out; // loading; `onLoaded` asks for another validation
    if (!model.ok) {
      out.push({ code: 'config-model-unreadable', severity: 2, message: `The local model '${base}' could not be read: ${model.error.message}.` });
      return out;
    }
    out.push(...maskFindings(model.value, config, base));
    return out;
  };

  /** Loads the model a config's `base_model` names (if local), so that `check` sees it at once. */
  async prepare(doc: ConfigDocument, env: ConfigEnv): Promise<void> {
    const cfg = isPlainObject(doc.value) ? doc.value : {};
    const found = resolveBaseModel(cfg, env);
    if (!found?.exists || separateTokenizer(cfg, String(cfg.base_model).trim())) return;
    if (existsSync(join(found.path, 'tokenizer.json'))) await this.load(found.path);
  }

  /** Loads (or reloads, when its files changed) the model in `modelDir`. */
  load(modelDir: string): Promise<void> {
    const stamp = stampOf(modelDir);
    if (this.loaded.get(modelDir)?.stamp === stamp) return Promise.resolve();
    const busy = this.pending.get(modelDir);
    if (busy) return busy;
    const p = this.cache
      .get(modelDir)
      .then((outcome) => {
        this.loaded.delete(modelDir);
        this.loaded.set(modelDir, { stamp, outcome });
        while (this.loaded.size > this.limit) this.loaded.delete(this.loaded.keys().next().value!);
      })
      .finally(() => this.pending.delete(modelDir))
      .then(() => this.options.onLoaded?.(modelDir));
    this.pending.set(modelDir, p);
    return p;
  }

  /** The loaded model when its files are unchanged; otherwise starts a (re)load and returns the previous one, if any. */
  private current(modelDir: string): Outcome<ChatModel> | undefined {
    const hit = this.loaded.get(modelDir);
    if (!hit || hit.stamp !== stampOf(modelDir)) void this.load(modelDir).catch(() => undefined);
    return hit?.outcome;
  }
}

/** Whether `tokenizer_config:` names a tokenizer other than the base model's own. */
function separateTokenizer(config: Readonly<Record<string, unknown>>, base: string): boolean {
  const t = config.tokenizer_config;
  return typeof t === 'string' && t.trim() !== '' && t.trim().replace(/\/+$/, '') !== base.replace(/\/+$/, '');
}

function stampOf(dir: string): string {
  return WATCHED.map((f) => {
    try {
      const s = statSync(join(dir, f));
      return `${s.size}:${s.mtimeMs}`;
    } catch {
      return '-';
    }
  }).join('|');
}

/** `model_type` from the directory's config.json; undefined when absent or unreadable. */
function modelTypeOf(dir: string): string | undefined {
  try {
    const p = join(dir, 'config.json');
    if (statSync(p).size > MAX_CONFIG_JSON) return undefined;
    const v = JSON.parse(readFileSync(p, 'utf8')) as unknown;
    return isPlainObject(v) && typeof v.model_type === 'string' ? v.model_type : undefined;
  } catch {
    return undefined;
  }
}

/** The chat templates a config names: top level and per dataset entry, with their paths. */
function templatesInUse(config: Readonly<Record<string, unknown>>): { template: string; path: NodePath }[] {
  const out: { template: string; path: NodePath }[] = [];
  if (typeof config.chat_template === 'string' && config.chat_template) out.push({ template: config.chat_template, path: ['chat_template'] });
  for (const list of ['datasets', 'test_datasets'] as const) {
    const entries = config[list];
    if (!Array.isArray(entries)) continue;
    entries.forEach((e, i) => {
      if (isPlainObject(e) && typeof e.chat_template === 'string' && e.chat_template) out.push({ template: e.chat_template, path: [list, i, 'chat_template'] });
    });
  }
  return out;
}

/**
 * A family-specific template on a model of another family, judged by config.json's model_type
 * (plain `llama` is Llama 2, Llama 3 and many others: no verdict, the mask check still runs).
 */
function templateFamilyFindings(dir: string, config: Readonly<Record<string, unknown>>, base: string, model: ChatModel | undefined): ModelFinding[] {
  const modelType = modelTypeOf(dir);
  const modelFamily = templateFamilyOf(modelType);
  if (!modelType || !modelFamily) return [];
  const out: ModelFinding[] = [];
  for (const { template, path } of templatesInUse(config)) {
    const format = templateFormatName(template);
    const family = BUILTIN_TEMPLATE_FAMILY[template];
    if (!format || !family || family === modelFamily) continue;
    // The model's own template is the fix when it has one; else the built-in of its family.
    const fix = model?.chatTemplate ? 'tokenizer_default' : TEMPLATE_FOR_FAMILY[modelFamily];
    out.push({
      code: 'config-advice-template-mismatch',
      severity: 2,
      message: templateMismatchMessage(template, format, base, `is a '${modelType}' model (model_type in its config.json)`),
      at: [{ path, on: 'value' }],
      ...(fix ? { data: { replaceValueWith: fix } } : {}),
    });
  }
  return out;
}

/** The keys a masking finding concerns, most specific first. */
function anchorsFor(f: MaskFinding, entry: NodePath, mask: MaskOptions): { path: NodePath; on?: 'key' | 'value' }[] {
  const v = (path: NodePath) => ({ path, on: 'value' as const });
  const named = [v([...entry, 'chat_template']), v(['chat_template'])];
  const inline = [{ path: [...entry, 'chat_template_jinja'] }, { path: ['chat_template_jinja'] }];
  // The template text is where the problem is when it is written in the config.
  const templates = mask.chatTemplateJinja !== undefined && (mask.chatTemplate ?? 'jinja') === 'jinja' ? [...inline, ...named] : [...named, ...inline];
  const switches = [v([...entry, 'train_on_eot']), v([...entry, 'train_on_eos'])];
  switch (f.code) {
    case 'mask-eot-not-in-template':
      return [{ path: ['eot_tokens'] }];
    case 'mask-turn-end-not-trained': {
      // The turn-ending token is not a stop token at all (eot_tokens is the fix), or it is and
      // train_on_eot / train_on_eos switch its training off.
      if (f.message.includes('eot_tokens does not list')) return [{ path: ['eot_tokens'] }, ...templates];
      return mask.trainOnEot === 'none' ? switches : [...switches].reverse();
    }
    case 'mask-setup-invalid':
      return [...switches, { path: ['eot_tokens'] }, ...templates];
    default:
      return templates;
  }
}

/** The id of `text` when it is exactly one token of the tokenizer. */
function singleTokenId(model: ChatModel, text: string): number | undefined {
  const ids = model.tokenizer.encode(text, { add_special_tokens: false }).ids;
  return ids.length === 1 ? ids[0] : undefined;
}

/**
 * The tokenizer as Axolotl will have changed it: `special_tokens.eos_token` replaces the EOS token
 * (the usual fix for a base model under ChatML). Undefined when the config adds tokens the
 * vocabulary lacks (`tokens`, `added_tokens_overrides`, new special tokens): the extended
 * tokenizer cannot be modelled here, so the masking checks stay silent rather than guess.
 */
export function effectiveModel(model: ChatModel, config: Readonly<Record<string, unknown>>): ChatModel | undefined {
  const special = isPlainObject(config.special_tokens) ? config.special_tokens : {};
  const added = [
    ...(Array.isArray(config.tokens) ? config.tokens : []),
    ...Object.values(special),
    ...(isPlainObject(config.added_tokens_overrides) ? Object.values(config.added_tokens_overrides) : []),
  ];
  if (added.some((t) => typeof t === 'string' && t !== '' && singleTokenId(model, t) === undefined)) return undefined;
  const eos = special.eos_token;
  if (typeof eos !== 'string' || eos === '' || eos === model.eosToken) return model;
  const id = singleTokenId(model, eos)!;
  return { ...model, eosToken: eos, eosTokenId: id, stopTokenIds: [...new Set([...model.stopTokenIds, id])] };
}

/** Masking-setup findings for every chat dataset entry, with the options that entry implies. */
function maskFindings(loaded: ChatModel, config: Readonly<Record<string, unknown>>, base: string): ModelFinding[] {
  if (config.rl) return []; // preference datasets mask differently
  const model = effectiveModel(loaded, config);
  if (!model) return [];
  const out: ModelFinding[] = [];
  for (const list of ['datasets', 'test_datasets'] as const) {
    const entries = config[list];
    if (!Array.isArray(entries)) continue;
    entries.forEach((e, i) => {
      // No type means pre-tokenized data in Axolotl: nothing is templated.
      if (!isPlainObject(e) || typeof e.type !== 'string' || datasetTypeOf(e.type).kind !== 'chat_template') return;
      const { mask } = exampleOptionsFromConfig(config, e);
      // chat_template_jinja may name a .jinja file instead of holding the text: not read here.
      if (mask.chatTemplateJinja !== undefined && !/\{[{%]/.test(mask.chatTemplateJinja)) return;
      const path: NodePath = [list, i];
      const tpl = resolveChatTemplate(model, mask);
      if (!tpl.ok) {
        // Unknown names and a jinja choice without text are the structure checks' findings.
        if (tpl.error.code !== 'chat-template-missing' || mask.chatTemplateJinja !== undefined || (mask.chatTemplate ?? 'tokenizer_default') === 'jinja') return;
        out.push({
          code: 'config-model-no-chat-template',
          severity: 1,
          message: `The local model '${base}' has no chat template of its own, so chat_template: ${mask.chatTemplate ?? 'tokenizer_default (the default)'} cannot be applied. Name a built-in template (e.g. chatml), or tokenizer_default_fallback_chatml.`,
          at: [{ path: [...path, 'chat_template'], on: 'value' }, { path: ['chat_template'], on: 'value' }, { path: [...path, 'type'], on: 'value' }],
        });
        return;
      }
      for (const f of maskSetupFindings(model, mask)) {
        out.push({ code: f.code, severity: SEVERITY[f.severity], message: `With the model '${base}': ${f.message}.`, at: anchorsFor(f, path, mask) });
      }
    });
  }
  return out;
}

/**
 * `env` with the model-aware hook added, the model the config names loaded first: the one-shot
 * form for the CLI and the trainer (`validateConfig(doc, await withModelCheck(doc, env))`).
 */
export async function withModelCheck(doc: ConfigDocument, env: ConfigEnv, models: ConfigModelCheck = new ConfigModelCheck()): Promise<ConfigEnv> {
  const out: ConfigEnv = { ...env, checkModel: models.check };
  await models.prepare(doc, out);
  return out;
}
