// Loss-mask throughput: records/s and tokens/s of buildExample (render with the chat template,
// find the turns, tokenise with offsets, mask) on generated OpenAI-chat records, against the
// ceiling measured in the same run: the bare work any trainer must do, one template render plus
// one tokenizer.encode per record with the same libraries. Also Alpaca records and the server's
// single-record hover latency. Tokenizer: byte-level BPE with 2,000 merges learned from the same
// generated text (no downloads), ChatML template. Each contender runs 5 times, interleaved; the
// fastest run counts (the machine is shared; the load average is printed). Set TUNELAB_BENCH_CHAT_RECORDS for a longer run.
import { cpus, loadavg } from 'node:os';
import { buildAlpacaExample, buildExample, createChatModel, renderTemplate, resolveChatTemplate, type ChatModel } from '../common/chat/index';
import type { Conversation } from '../common/dataset/types';
import { trainByteLevelBpe } from './chat/bpe';

const N = Number(process.env.TUNELAB_BENCH_CHAT_RECORDS ?? 3000);
let seed = 7;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
// A Zipf-distributed vocabulary of 4,000 pseudo-words built from syllables, with some accented and
// CJK words, so that the learned merges look like a real tokenizer's (whole frequent words, subwords).
const syllables = 'ka ri to na me lo su te fi ra mo de ple tion ing er al an con pro ment ter ver com re ex'.split(' ');
const lexicon = Array.from({ length: 4000 }, (_, i) => {
  let w = '';
  for (let k = 0, n = 1 + (i % 4); k < n; k++) w += syllables[Math.floor(rand() * syllables.length)];
  return i % 97 === 0 ? w + 'é' : i % 211 === 0 ? '数据' + w : w;
});
const zipf = () => lexicon[Math.min(lexicon.length - 1, Math.floor(Math.exp(rand() * Math.log(lexicon.length))) - 1)]!;
const sentence = (n: number) => Array.from({ length: n }, zipf).join(' ');

function record(): Conversation {
  const messages: Conversation['messages'] = [];
  if (rand() < 0.7) messages.push({ role: 'system', content: 'You are a helpful assistant. ' + sentence(8) });
  const turns = 1 + Math.floor(rand() * 3);
  for (let t = 0; t < turns; t++) {
    messages.push({ role: 'user', content: sentence(10 + Math.floor(rand() * 40)) + '?' });
    messages.push({ role: 'assistant', content: sentence(30 + Math.floor(rand() * 120)) + '.' });
  }
  return { messages };
}

const records = Array.from({ length: N }, record);
const corpus = records.slice(0, 400).flatMap((r) => r.messages.map((m) => m.content)).join('\n');
const t0 = performance.now();
const tokenizerJson = trainByteLevelBpe(corpus, 3000);
const trainMs = performance.now() - t0;
const made = createChatModel({ tokenizerJson, tokenizerConfig: { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' } });
if (!made.ok) throw new Error(made.error.message);
const model: ChatModel = made.value;
const tpl = resolveChatTemplate(model, { chatTemplate: 'chatml' });
if (!tpl.ok) throw new Error(tpl.error.message);

const contenders: { label: string; fn: () => number }[] = [
  {
    label: 'ceiling: render + encode',
    fn: () => {
      let tokens = 0;
      for (const r of records) {
        const text = renderTemplate(model, tpl.value.source, r.messages);
        if (text.ok) tokens += model.tokenizer.encode(text.value, { add_special_tokens: false }).ids.length;
      }
      return tokens;
    },
  },
  {
    label: 'buildExample (defaults)',
    fn: () => {
      let tokens = 0;
      for (const r of records) {
        const ex = buildExample(model, r, { chatTemplate: 'chatml' });
        if (ex.ok) tokens += ex.value.ids.length;
      }
      return tokens;
    },
  },
  {
    label: 'buildExample (train_on_eos: all)',
    fn: () => {
      let tokens = 0;
      for (const r of records) {
        const ex = buildExample(model, r, { chatTemplate: 'chatml', trainOnEos: 'all', trainOnInputs: true });
        if (ex.ok) tokens += ex.value.ids.length;
      }
      return tokens;
    },
  },
  {
    label: 'buildAlpacaExample',
    fn: () => {
      let tokens = 0;
      for (const r of records) {
        const ex = buildAlpacaExample(model, { instruction: r.messages.at(-2)!.content, input: '', output: r.messages.at(-1)!.content });
        if (ex.ok) tokens += ex.value.ids.length;
      }
      return tokens;
    },
  },
];
for (const c of contenders) c.fn(); // warm-up (JIT, template compile, BPE cache)
const results = contenders.map((c) => ({ label: c.label, ms: Infinity, tokens: 0 }));
for (let rep = 0; rep < 5; rep++)
  contenders.forEach((c, i) => {
    const start = performance.now();
    const tokens = c.fn();
    const ms = performance.now() - start;
    if (ms < results[i]!.ms) results[i] = { label: c.label, ms, tokens };
  });
const ceiling = results[0]!;

// Hover: one record, cold template cache excluded (the server keeps models loaded).
const hover: number[] = [];
for (let i = 0; i < 200; i++) {
  const s = performance.now();
  buildExample(model, records[i]!, { chatTemplate: 'chatml' });
  hover.push(performance.now() - s);
}
hover.sort((a, b) => a - b);

const rate = (r: { ms: number; tokens: number }) => `${((N / r.ms) * 1000).toFixed(0)} records/s, ${((r.tokens / r.ms) * 1000 / 1e3).toFixed(0)}k tokens/s`;
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`tokenizer: byte-level BPE, ${Object.keys((tokenizerJson as { model: { vocab: object } }).model.vocab).length} tokens, trained in ${trainMs.toFixed(0)} ms; ${N} records, ${ceiling.tokens} tokens`);
for (const r of results) console.log(`${r.label.padEnd(36)} ${r.ms.toFixed(0).padStart(6)} ms  ${rate(r)}  (${(ceiling.ms / r.ms).toFixed(2)}x ceiling)`);
console.log(`hover (one record): p50 ${hover[100]!.toFixed(2)} ms, p95 ${hover[190]!.toFixed(2)} ms`);
const mem = process.memoryUsage();
console.log(`rss ${(mem.rss / 2 ** 20).toFixed(0)} MB`);
