/**
 * A byte-level BPE trainer that writes Hugging Face `tokenizer.json` (the GPT-2 / SmolLM layout:
 * ByteLevel pre-tokenizer and decoder, BPE model, added special tokens), so @huggingface/tokenizers
 * and Python `tokenizers` load it unchanged. Deterministic: ties go to the lexicographically
 * smallest pair.
 */

/** GPT-2's pre-tokenisation pattern (what ByteLevel with use_regex applies). */
const SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible map from bytes to printable characters. */
export function byteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const map: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    map[b] = printable.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  }
  return map;
}

export interface BpeResult {
  vocab: Map<string, number>;
  merges: [string, string][];
}

/**
 * Learns merges until the vocabulary (specials + 256 bytes + merges) reaches `vocabSize`.
 * `texts` must not contain the special tokens (they are split off before training).
 */
export function trainBpe(texts: Iterable<string>, vocabSize: number, specials: readonly string[]): BpeResult {
  const b2u = byteToUnicode();
  const enc = new TextEncoder();
  const wordCounts = new Map<string, number>();
  for (const text of texts) {
    for (const m of text.matchAll(SPLIT)) {
      const w = Array.from(enc.encode(m[0]), (b) => b2u[b]).join('');
      wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
    }
  }
  const words = [...wordCounts.entries()].map(([w, c]) => ({ symbols: Array.from(w), count: c }));
  const vocab = new Map<string, number>();
  specials.forEach((s) => vocab.set(s, vocab.size));
  for (let b = 0; b < 256; b++) vocab.set(b2u[b]!, vocab.size);
  const merges: [string, string][] = [];
  while (vocab.size < vocabSize) {
    const pairs = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const k = symbols[i] + ' ' + symbols[i + 1];
        pairs.set(k, (pairs.get(k) ?? 0) + count);
      }
    }
    let best: string | null = null;
    let bestCount = 0;
    for (const [k, c] of pairs) {
      if (c > bestCount || (c === bestCount && best !== null && k < best)) {
        best = k;
        bestCount = c;
      }
    }
    if (best === null || bestCount < 2) break;
    const [a, b] = best.split(' ') as [string, string];
    const merged = a + b;
    merges.push([a, b]);
    if (!vocab.has(merged)) vocab.set(merged, vocab.size);
    for (const w of words) {
      const s = w.symbols;
      if (s.length < 2) continue;
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(s[i]!);
      }
      w.symbols = out;
    }
  }
  return { vocab, merges };
}

/** The `tokenizer.json` document for a trained BPE with its special tokens. */
export function tokenizerJson(bpe: BpeResult, specials: readonly string[]): Record<string, unknown> {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content) => ({
      id: bpe.vocab.get(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(bpe.vocab),
      merges: bpe.merges.map(([a, b]) => [a, b]),
    },
  };
}
