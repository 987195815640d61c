/**
 * The config's `special_tokens` (Axolotl) applied to a ChatModel. Axolotl sets them on the
 * tokenizer before any example is built; the usual case is a base model under ChatML with
 * `special_tokens: { eos_token: "<|im_end|>" }`, so that the end-of-turn token becomes the EOS
 * token: trained after every assistant turn, appended to Alpaca and completion texts, and a stop
 * token for generation. The builders apply the override themselves (`specialTokens` in their
 * options, set by `exampleOptionsFromConfig`), so the loss-mask view, the trainer and the config
 * checker all see the same tokenizer.
 *
 * Only tokens the vocabulary already holds as one token are honoured. A token it lacks would be
 * added by Axolotl as a new token (resizing the embeddings); that extended tokenizer is not
 * modelled here, so it is a coded error (`chat-special-token-unknown`), never a guess.
 */
import { fail, ok, type Outcome } from './errors';
import type { ChatModel } from './model';

/** Axolotl's `special_tokens` keys that change masking, templating or padding. */
export interface SpecialTokens {
  bosToken?: string;
  eosToken?: string;
  padToken?: string;
  unkToken?: string;
}

const KEYS = [
  ['bos_token', 'bosToken'],
  ['eos_token', 'eosToken'],
  ['pad_token', 'padToken'],
  ['unk_token', 'unkToken'],
] as const;

/**
 * The `special_tokens` of a parsed config, when it sets any of bos/eos/pad/unk to a non-empty
 * string (other keys and other value types are the config checker's concern, not silently used).
 */
export function specialTokensFromConfig(config: Readonly<Record<string, unknown>>): SpecialTokens | undefined {
  const s = config.special_tokens;
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return undefined;
  const out: SpecialTokens = {};
  for (const [key, field] of KEYS) {
    const v = (s as Record<string, unknown>)[key];
    if (typeof v === 'string' && v !== '') out[field] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The id of `text` when the tokenizer has it and encodes it as exactly that one token. */
function singleTokenId(model: ChatModel, text: string): number | undefined {
  const id = model.tokenizer.token_to_id(text);
  if (id === undefined || id === null) return undefined;
  const enc = model.tokenizer.encode(text, { add_special_tokens: false }).ids;
  return enc.length === 1 && enc[0] === id ? id : undefined;
}

// One view per model and override: the builders call this for every record.
const views = new WeakMap<ChatModel, Map<string, Outcome<ChatModel>>>();

/**
 * `model` as the config's special tokens change it: the same model when nothing changes, a copy
 * with the new tokens and ids otherwise. A new EOS token joins the stop tokens (the old ones stay,
 * since generation_config.json still names them) and replaces the old EOS where the tokenizer's
 * post-processor appends it; a new BOS token replaces the old one where it is prepended (as
 * transformers rebuilds a Llama tokenizer's post-processor). Fails with
 * `chat-special-token-unknown` when a token is not one token of the vocabulary.
 */
export function withSpecialTokens(model: ChatModel, tokens: SpecialTokens | undefined): Outcome<ChatModel> {
  if (!tokens) return ok(model);
  const key = KEYS.map(([, f]) => tokens[f] ?? '').join('\u0000');
  let byKey = views.get(model);
  const cached = byKey?.get(key);
  if (cached) return cached;
  const r = apply(model, tokens);
  if (!byKey) views.set(model, (byKey = new Map()));
  byKey.set(key, r);
  return r;
}

function apply(model: ChatModel, tokens: SpecialTokens): Outcome<ChatModel> {
  const idOf: Partial<Record<keyof SpecialTokens, number>> = {};
  for (const [key, field] of KEYS) {
    const t = tokens[field];
    if (t === undefined) continue;
    const id = singleTokenId(model, t);
    if (id === undefined)
      return fail(
        'chat-special-token-unknown',
        `special_tokens.${key} "${t}" is not a token of this tokenizer's vocabulary: Axolotl would add it as a new token (resizing the embeddings), which Tunelab does not model; use a token the vocabulary has or add the token to the model first`,
        model.dir,
      );
    idOf[field] = id;
  }
  const same = KEYS.every(([, f]) => tokens[f] === undefined || tokens[f] === model[f]) &&
    (idOf.eosToken === undefined || idOf.eosToken === model.eosTokenId) &&
    (idOf.bosToken === undefined || idOf.bosToken === model.bosTokenId) &&
    (idOf.padToken === undefined || idOf.padToken === model.padTokenId);
  if (same) return ok(model);
  const out: ChatModel = { ...model };
  const swap = (list: readonly number[], from: number | undefined, to: number) => (from === undefined ? list : list.map((i) => (i === from ? to : i)));
  if (tokens.eosToken !== undefined) {
    const id = idOf.eosToken!;
    out.eosToken = tokens.eosToken;
    out.eosTokenId = id;
    out.stopTokenIds = [...new Set([id, ...model.stopTokenIds])];
    out.suffixIds = swap(model.suffixIds, model.eosTokenId, id);
  }
  if (tokens.bosToken !== undefined) {
    const id = idOf.bosToken!;
    out.bosToken = tokens.bosToken;
    out.bosTokenId = id;
    out.prefixIds = swap(model.prefixIds, model.bosTokenId, id);
  }
  if (tokens.padToken !== undefined) {
    out.padToken = tokens.padToken;
    out.padTokenId = idOf.padToken!;
  }
  if (tokens.unkToken !== undefined) out.unkToken = tokens.unkToken;
  return ok(out);
}
