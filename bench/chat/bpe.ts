/**
 * A small byte-level BPE trainer for the chat benchmark: learns `merges` merges from a text so the
 * benchmark tokenises with a vocabulary shaped like a real one (whole common words, subwords),
 * written as a Hugging Face tokenizer.json with ChatML specials. Deterministic.
 */

function byteAlphabet(): string[] {
  const out: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    out[b] = printable ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  }
  return out;
}

/** Trains merges over the words of `text` (GPT-2-like split: optional space + letters, or other runs). */
export function trainByteLevelBpe(text: string, merges: number): object {
  const alpha = byteAlphabet();
  const enc = new TextEncoder();
  const counts = new Map<string, number>();
  for (const w of text.match(/ ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+/gu) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts].map(([w, c]) => ({ syms: [...enc.encode(w)].map((b) => alpha[b]!), c }));
  const vocab: Record<string, number> = {};
  alpha.forEach((ch, b) => (vocab[ch] = b));
  const learned: string[] = [];
  for (let m = 0; m < merges; m++) {
    const pairs = new Map<string, number>();
    for (const { syms, c } of words) for (let i = 0; i + 1 < syms.length; i++) {
      const k = syms[i] + ' ' + syms[i + 1];
      pairs.set(k, (pairs.get(k) ?? 0) + c);
    }
    let best = '';
    let bestN = 1;
    for (const [k, n] of pairs) if (n > bestN || (n === bestN && best !== '' && k < best)) [best, bestN] = [k, n];
    if (!best) break;
    const [a, b] = best.split(' ') as [string, string];
    learned.push(best);
    vocab[a + b] = 256 + m;
    for (const w of words) {
      const out: string[] = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === a && w.syms[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(w.syms[i]!);
      }
      w.syms = out;
    }
  }
  const base = Object.keys(vocab).length;
  const specials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  return {
    version: '1.0',
    added_tokens: specials.map((content, i) => ({ id: base + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, fuse_unk: false, byte_fallback: false, vocab, merges: learned },
  };
}
