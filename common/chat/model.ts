/**
 * A chat model as far as the chat core cares: a Hugging Face tokenizer (tokenizer.json, run by
 * @huggingface/tokenizers), its special tokens and chat templates (tokenizer_config.json,
 * chat_template.jinja), and the ids that end generation (generation_config.json, config.json).
 * Built from already-parsed JSON here (pure); `load.ts` reads the files.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { fail, messageOf, ok, type Outcome } from './errors';
import { TokenPieces } from './pieces';

/** A loaded tokenizer with everything templating and masking need. */
export interface ChatModel {
  /** The directory it came from; absent for models built in memory. */
  dir?: string;
  tokenizer: Tokenizer;
  /** The model's own default chat template (Axolotl's `tokenizer_default`), if it ships one. */
  chatTemplate?: string;
  /** Named templates when tokenizer_config.json gives a list (`default`, `tool_use`, ...). */
  chatTemplates: Readonly<Record<string, string>>;
  bosToken?: string;
  eosToken?: string;
  padToken?: string;
  unkToken?: string;
  bosTokenId?: number;
  eosTokenId?: number;
  padTokenId?: number;
  /** Every id that ends generation: eos_token plus `eos_token_id` of generation_config / config. */
  stopTokenIds: readonly number[];
  /** Ids the tokenizer's post-processor puts before / after a text when special tokens are added (BOS, ...). */
  prefixIds: readonly number[];
  suffixIds: readonly number[];
  /** `model_type` and `architectures` from config.json; `name_or_path` from tokenizer_config.json. */
  modelType?: string;
  architectures: readonly string[];
  nameOrPath?: string;
  /** Maximum context the tokenizer declares (`model_max_length`), when sensible. */
  modelMaxLength?: number;
  /** Token ids of added tokens (control tokens), for offset alignment and display. */
  addedTokenIds: ReadonlySet<number>;
  /** Bytes each token stands for, for mapping tokens back onto text. */
  pieces: TokenPieces;
}

/** The parsed files of a model directory; only `tokenizerJson` is required. */
export interface ChatModelFiles {
  tokenizerJson: unknown;
  tokenizerConfig?: unknown;
  generationConfig?: unknown;
  modelConfig?: unknown;
  /** Contents of `chat_template.jinja` (newer transformers save the template there; it wins), or of `chat_template.json`'s `chat_template`. */
  chatTemplateFile?: string;
  dir?: string;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A special token as tokenizer_config.json writes it: a string or an AddedToken object. */
export function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isObj(v) && typeof v.content === 'string') return v.content;
  return undefined;
}

const ids = (v: unknown): number[] =>
  typeof v === 'number' && Number.isInteger(v) ? [v] : Array.isArray(v) ? v.filter((x): x is number => Number.isInteger(x)) : [];

/** Reads `chat_template` in any of its shapes: a string, or a list of `{name, template}`. */
function readTemplates(v: unknown): { default?: string; named: Record<string, string> } | string {
  if (v === undefined || v === null) return { named: {} };
  if (typeof v === 'string') return { default: v, named: {} };
  if (Array.isArray(v)) {
    const named: Record<string, string> = {};
    for (const item of v) {
      if (!isObj(item) || typeof item.name !== 'string' || typeof item.template !== 'string')
        return 'chat_template list entries must be objects with string "name" and "template"';
      named[item.name] = item.template;
    }
    return { default: named.default, named };
  }
  if (isObj(v)) {
    const named: Record<string, string> = {};
    for (const [k, t] of Object.entries(v)) if (typeof t === 'string') named[k] = t;
    return { default: named.default, named };
  }
  return 'chat_template must be a string or a list of {name, template}';
}

/**
 * Builds a ChatModel from parsed files. Fails with a coded error when the tokenizer cannot be
 * constructed or a file has the wrong shape; `paths` names the files in messages.
 */
export function createChatModel(
  files: ChatModelFiles,
  paths: { tokenizer?: string; config?: string } = {},
): Outcome<ChatModel> {
  const tj = files.tokenizerJson;
  if (!isObj(tj) || !isObj(tj.model))
    return fail('chat-tokenizer-invalid', 'tokenizer.json has no "model" object: is it a Hugging Face tokenizers file?', paths.tokenizer);
  const modelType = tj.model.type;
  if (modelType !== undefined && !['BPE', 'WordPiece', 'Unigram', 'WordLevel'].includes(String(modelType)))
    return fail('chat-tokenizer-invalid', `tokenizer.json: unsupported model type "${String(modelType)}" (BPE, Unigram, WordPiece or WordLevel)`, paths.tokenizer);
  if (tj.added_tokens !== undefined && !Array.isArray(tj.added_tokens))
    return fail('chat-tokenizer-invalid', 'tokenizer.json: "added_tokens" must be a list', paths.tokenizer);
  const cfg = files.tokenizerConfig === undefined ? {} : files.tokenizerConfig;
  if (!isObj(cfg)) return fail('chat-tokenizer-config-invalid', 'tokenizer_config.json must hold a JSON object', paths.config);
  const templates = readTemplates(cfg.chat_template);
  if (typeof templates === 'string') return fail('chat-tokenizer-config-invalid', `tokenizer_config.json: ${templates}`, paths.config);

  // The tokenizer library reads special-token strings from its config; give it plain strings.
  const libConfig: Json = { ...cfg };
  for (const k of ['bos_token', 'eos_token', 'pad_token', 'unk_token', 'sep_token', 'cls_token', 'mask_token']) {
    const c = tokenContent(cfg[k]);
    if (c === undefined) delete libConfig[k];
    else libConfig[k] = c;
  }
  if (Array.isArray(cfg.additional_special_tokens))
    libConfig.additional_special_tokens = cfg.additional_special_tokens.map(tokenContent).filter((s): s is string => s !== undefined);
  delete libConfig.chat_template;

  // transformers adds the tokens of `added_tokens_decoder` that tokenizer.json lacks; so do we.
  let tokJson: Json = tj;
  if (isObj(cfg.added_tokens_decoder)) {
    const have = new Set((Array.isArray(tj.added_tokens) ? tj.added_tokens : []).map((t) => (isObj(t) ? t.id : undefined)));
    const extra = Object.entries(cfg.added_tokens_decoder)
      .filter(([id, t]) => /^\d+$/.test(id) && isObj(t) && typeof t.content === 'string' && !have.has(Number(id)))
      .map(([id, t]) => ({ single_word: false, lstrip: false, rstrip: false, normalized: false, special: true, ...(t as Json), id: Number(id) }));
    if (extra.length > 0) tokJson = { ...tj, added_tokens: [...(Array.isArray(tj.added_tokens) ? tj.added_tokens : []), ...extra] };
  }

  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokJson, libConfig);
  } catch (e) {
    return fail('chat-tokenizer-invalid', `tokenizer.json could not be loaded: ${messageOf(e)}`, paths.tokenizer);
  }

  const bosToken = tokenContent(cfg.bos_token);
  const eosToken = tokenContent(cfg.eos_token);
  const padToken = tokenContent(cfg.pad_token);
  const unkToken = tokenContent(cfg.unk_token);
  const idOf = (t: string | undefined) => (t === undefined ? undefined : tokenizer.token_to_id(t));
  const mc = isObj(files.modelConfig) ? files.modelConfig : {};
  const gc = isObj(files.generationConfig) ? files.generationConfig : {};
  const eosTokenId = idOf(eosToken) ?? ids(gc.eos_token_id)[0] ?? ids(mc.eos_token_id)[0];
  const stop = new Set<number>();
  if (eosTokenId !== undefined) stop.add(eosTokenId);
  for (const i of [...ids(gc.eos_token_id), ...ids(mc.eos_token_id)]) stop.add(i);

  let prefixIds: number[] = [];
  let suffixIds: number[] = [];
  try {
    // What the post-processor adds around a text (BOS for Llama-style tokenizers, nothing for GPT-2).
    const bare = tokenizer.encode('a', { add_special_tokens: false }).ids;
    const full = tokenizer.encode('a', { add_special_tokens: true }).ids;
    const at = full.findIndex((_, i) => bare.every((b, j) => full[i + j] === b));
    if (at >= 0) {
      prefixIds = full.slice(0, at);
      suffixIds = full.slice(at + bare.length);
    }
  } catch (e) {
    return fail('chat-tokenizer-invalid', `tokenizer.json could not encode text: ${messageOf(e)}`, paths.tokenizer);
  }
  // Llama tokenizers record add_bos_token/add_eos_token in the config; honour an explicit "false".
  if (cfg.add_bos_token === false) prefixIds = prefixIds.filter((i) => i !== idOf(bosToken));
  if (cfg.add_eos_token === true && eosTokenId !== undefined && !suffixIds.includes(eosTokenId)) suffixIds = [...suffixIds, eosTokenId];

  const addedTokenIds = new Set<number>();
  for (const t of tokenizer.get_added_tokens_decoder().keys()) addedTokenIds.add(t);

  // A chat_template.jinja file wins over tokenizer_config.json, as in transformers' loader.
  const defaultTemplate = typeof files.chatTemplateFile === 'string' ? files.chatTemplateFile : templates.default;
  const maxLen = typeof cfg.model_max_length === 'number' && cfg.model_max_length < 1e9 ? cfg.model_max_length : undefined;
  const model: ChatModel = {
    tokenizer,
    chatTemplates: templates.named,
    stopTokenIds: [...stop],
    prefixIds,
    suffixIds,
    architectures: Array.isArray(mc.architectures) ? mc.architectures.filter((a): a is string => typeof a === 'string') : [],
    addedTokenIds,
    pieces: new TokenPieces(tokenizer, tokJson),
  };
  if (files.dir !== undefined) model.dir = files.dir;
  if (defaultTemplate !== undefined) model.chatTemplate = defaultTemplate;
  if (bosToken !== undefined) model.bosToken = bosToken;
  if (eosToken !== undefined) model.eosToken = eosToken;
  if (padToken !== undefined) model.padToken = padToken;
  if (unkToken !== undefined) model.unkToken = unkToken;
  const bosId = idOf(bosToken);
  if (bosId !== undefined) model.bosTokenId = bosId;
  if (eosTokenId !== undefined) model.eosTokenId = eosTokenId;
  const padId = idOf(padToken);
  if (padId !== undefined) model.padTokenId = padId;
  if (typeof mc.model_type === 'string') model.modelType = mc.model_type;
  if (typeof cfg.name_or_path === 'string') model.nameOrPath = cfg.name_or_path;
  else if (typeof mc._name_or_path === 'string') model.nameOrPath = mc._name_or_path;
  if (maxLen !== undefined) model.modelMaxLength = maxLen;
  return ok(model);
}
