/**
 * Tokenisation with character offsets. The tokenizer gives ids only, so each token's bytes
 * (pieces.ts) are walked along the text's UTF-8 bytes. Tokenizers change text a little on the way
 * (SentencePiece prepends `▁`, added tokens with lstrip/rstrip swallow spaces, normalizers
 * substitute characters), so the walk tolerates inserted spaces, skipped whitespace and
 * substitutions, and special tokens re-anchor it exactly.
 */
import type { ChatModel } from './model';

/** `[start, end)` UTF-16 offsets into the text, one pair per token. */
export type TokenOffsets = [number, number][];

export interface EncodedText {
  ids: number[];
  offsets: TokenOffsets;
}

const encoder = new TextEncoder();
const isSpaceByte = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d;

/** Byte -> UTF-16 index maps for a text (floor: the char holding the byte; ceil: the next boundary). */
function byteMaps(text: string, byteLength: number): { floor: Int32Array; ceil: Int32Array } {
  const floor = new Int32Array(byteLength + 1);
  const ceil = new Int32Array(byteLength + 1);
  let b = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const u16 = cp > 0xffff ? 2 : 1;
    const u8 = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < u8; k++) {
      floor[b + k] = i;
      ceil[b + k] = k === 0 ? i : i + u16;
    }
    b += u8;
    i += u16;
  }
  floor[byteLength] = text.length;
  ceil[byteLength] = text.length;
  return { floor, ceil };
}

/** Index of `needle` in `hay` at or after `from`, looking no further than `limit`; -1 if absent. */
function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from: number, limit: number): number {
  if (needle.length === 0) return -1;
  const last = Math.min(limit, hay.length - needle.length);
  outer: for (let i = from; i <= last; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Maps each token of `ids` (the tokenisation of `text`, without post-processor additions) onto
 * `text`. Never throws; where a tokenizer changed the text beyond recognition the offsets degrade
 * gracefully (monotone, within the text).
 */
export function alignOffsets(model: ChatModel, text: string, ids: readonly number[]): TokenOffsets {
  const bytes = encoder.encode(text);
  const n = bytes.length;
  const ascii = n === text.length;
  const maps = ascii ? undefined : byteMaps(text, n);
  const out: TokenOffsets = new Array(ids.length);
  const starts = new Int32Array(ids.length);
  const ends = new Int32Array(ids.length);
  const unk = model.unkToken === undefined ? undefined : model.tokenizer.token_to_id(model.unkToken);
  let p = 0;
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t]!;
    const piece = model.pieces.bytes(id);
    if (model.pieces.isAdded(id) || id === unk) {
      const at = id === unk ? -1 : indexOfBytes(bytes, piece, p, p + 256);
      let gapIsSpace = at >= 0;
      for (let k = p; gapIsSpace && k < at; k++) gapIsSpace = isSpaceByte(bytes[k]);
      if (at >= 0 && gapIsSpace) {
        // Whitespace an lstrip token swallowed belongs to it.
        starts[t] = p;
        p = at + piece.length;
        ends[t] = p;
      } else if (id === unk && p < n) {
        // An unknown token stands for one character of the text.
        starts[t] = p;
        p++;
        while (p < n && (bytes[p]! & 0xc0) === 0x80) p++;
        ends[t] = p;
      } else {
        starts[t] = p;
        ends[t] = p;
      }
      continue;
    }
    let first = -1;
    for (let j = 0; j < piece.length; j++) {
      const c = piece[j]!;
      if (p < n && bytes[p] === c) {
        if (first < 0) first = p;
        p++;
        continue;
      }
      // A space the tokenizer inserted (SentencePiece's prefix `▁`) has no counterpart in the text.
      if (c === 0x20) continue;
      // Whitespace a special token's rstrip swallowed: skip it, then match.
      let q = p;
      while (q < n && isSpaceByte(bytes[q]) && bytes[q] !== c) q++;
      if (q > p && q < n && bytes[q] === c) {
        if (t > 0 && first < 0) ends[t - 1] = q;
        p = q + 1;
        if (first < 0) first = q;
        continue;
      }
      // Otherwise a normalizer substituted the character: consume one byte for one byte.
      if (p < n) {
        if (first < 0) first = p;
        p++;
      }
    }
    starts[t] = first < 0 ? p : first;
    ends[t] = p;
  }
  for (let t = 0; t < ids.length; t++) {
    const s = starts[t]!;
    const e = Math.max(s, ends[t]!);
    out[t] = maps ? [maps.floor[s]!, maps.ceil[e]!] : [s, e];
  }
  return out;
}

/** Encodes `text` without post-processor additions (as chat templates are tokenised) with offsets. */
export function encodeWithOffsets(model: ChatModel, text: string): EncodedText {
  if (text.length === 0) return { ids: [], offsets: [] };
  const ids = model.tokenizer.encode(text, { add_special_tokens: false }).ids;
  return { ids, offsets: alignOffsets(model, text, ids) };
}
