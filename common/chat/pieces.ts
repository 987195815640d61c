/**
 * The text each token stands for, as UTF-8 bytes. @huggingface/tokenizers gives ids and token
 * strings but no character offsets, so the chat core maps tokens back onto the text itself
 * (offsets.ts); this is the per-token half of that: byte-level BPE alphabets (GPT-2, Llama 3,
 * Qwen), SentencePiece `▁` and `<0xNN>` byte fallback (Llama 2, Mistral), WordPiece `##`.
 */
import type { Tokenizer } from '@huggingface/tokenizers';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether any component (or a Sequence of them) has one of the given types. */
function hasType(component: unknown, types: string[]): boolean {
  if (!isObj(component)) return false;
  if (typeof component.type === 'string' && types.includes(component.type)) return true;
  for (const key of ['pretokenizers', 'decoders', 'normalizers', 'processors']) {
    const list = component[key];
    if (Array.isArray(list) && list.some((c) => hasType(c, types))) return true;
  }
  return false;
}

/** The inverse of GPT-2's byte alphabet: printable stand-in code point -> byte value. */
function byteDecoder(): Map<number, number> {
  const map = new Map<number, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    map.set(printable ? b : 256 + extra++, b);
  }
  return map;
}

const encoder = new TextEncoder();
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

export class TokenPieces {
  /** Byte-level BPE (GPT-2 alphabet) rather than SentencePiece-style pieces. */
  readonly byteLevel: boolean;
  readonly wordPiecePrefix: string | undefined;
  private readonly byteFallback: boolean;
  private readonly bytesByte: Map<number, number> | undefined;
  private readonly cache: (Uint8Array | undefined)[] = [];
  private readonly added: Map<number, string>;

  constructor(
    private readonly tokenizer: Tokenizer,
    tokenizerJson: Json,
  ) {
    this.byteLevel = hasType(tokenizerJson.pre_tokenizer, ['ByteLevel']) || hasType(tokenizerJson.decoder, ['ByteLevel']);
    const model = isObj(tokenizerJson.model) ? tokenizerJson.model : {};
    this.byteFallback = model.byte_fallback === true || hasType(tokenizerJson.decoder, ['ByteFallback']);
    this.wordPiecePrefix =
      model.type === 'WordPiece' ? (typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '##') : undefined;
    this.bytesByte = this.byteLevel ? byteDecoder() : undefined;
    this.added = new Map([...tokenizer.get_added_tokens_decoder()].map(([id, t]) => [id, t.content]));
  }

  /** True for added (control) tokens, whose text is their literal content. */
  isAdded(id: number): boolean {
    return this.added.has(id);
  }

  /** The UTF-8 bytes token `id` contributes to the text (empty when unknown). */
  bytes(id: number): Uint8Array {
    const hit = this.cache[id];
    if (hit) return hit;
    const piece = this.compute(id);
    if (id >= 0 && id < 4_000_000) this.cache[id] = piece;
    return piece;
  }

  private compute(id: number): Uint8Array {
    const content = this.added.get(id);
    if (content !== undefined) return encoder.encode(content);
    const token = this.tokenizer.id_to_token(id);
    if (token === undefined) return new Uint8Array(0);
    if (this.bytesByte) {
      const out: number[] = [];
      for (const ch of token) {
        const b = this.bytesByte.get(ch.codePointAt(0)!);
        if (b !== undefined) out.push(b);
        else out.push(...encoder.encode(ch));
      }
      return Uint8Array.from(out);
    }
    if (this.byteFallback) {
      const m = BYTE_PIECE.exec(token);
      if (m) return Uint8Array.of(parseInt(m[1]!, 16));
    }
    if (this.wordPiecePrefix !== undefined) {
      return encoder.encode(token.startsWith(this.wordPiecePrefix) ? token.slice(this.wordPiecePrefix.length) : ' ' + token);
    }
    return encoder.encode(token.replaceAll('\u2581', ' '));
  }
}
