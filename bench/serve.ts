/**
 * `tunelab serve` with several adapters on one base: what the resident switch costs.
 *
 * The shipped tiny-base (4-layer Llama) with three LoRA adapters (r = 8 on every linear, random
 * non-zero weights so each changes the answers). The same 12 chat requests, adapters in turn
 * (a, b, c, a, ...), greedy, 48 new tokens each (EOS ignored: vLLM's `ignore_eos`), measured
 * after one warm-up request each way:
 *   ceiling  one model per adapter loaded in this process (three bases in memory), `generate` on
 *            the token ids: no HTTP, no switch, no event-loop yields
 *   serve    one `tunelab serve` instance in this process, requests over HTTP (Node's fetch), one
 *            at a time and then 4 clients at once
 *   peer     per request what `tunelab generate --chat --adapter` does (load tokenizer, base and
 *            adapter, generate, free): serving without resident adapters
 * Reports new tokens per CPU-second of this process (server, client and model alike) and the ratios; the answers of serve and ceiling must be equal.
 *
 *   npm run bench -- serve
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, encode, loadChatModel, renderTemplate } from '../common/chat/index';
import { selectBackend, tf } from '../trainer/backend/index';
import { generate } from '../trainer/generate/index';
import { loadModel, saveAdapter } from '../trainer/io/index';
import { applyLora, loraLayers, type CausalLM } from '../trainer/model/index';
import { loadAdapterInto } from '../trainer/peft/index';
import { startServer } from '../trainer/serve/index';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const base = join(root, 'examples', 'models', 'tiny-base');
const MAX = 48;
const PROMPTS = ['Tell me about ships.', 'What is the weather like today?', 'Name three fruits.', 'How do I boil an egg?', 'Who are you?', 'Write a short greeting.', 'What is two plus two?', 'Describe the sea.', 'Give me a tip for sleeping well.', 'What colour is the sky?', 'Say something about cats.', 'Where do birds live?'];
const NAMES = ['a', 'b', 'c'];

// CPU seconds of this process (user + system): the machine is shared, so wall time is noise.
const clock = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const dir = mkdtempSync(join(tmpdir(), 'tunelab-bench-serve-'));
await selectBackend('wasm');
const chat = await loadChatModel(base);
if (!chat.ok) throw new Error(chat.error.message);

// Three adapters with different random weights.
for (const [k, name] of NAMES.entries()) {
  const m = loadModel(base);
  applyLora(m, { r: 8, alpha: 16, dropout: 0, targetLinear: true, seed: 11 + k });
  let s = 1234 + k;
  for (const layer of loraLayers(m).values()) {
    const n = layer.loraB.size;
    const data = new Float32Array(n).map(() => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2);
    layer.loraB.assign(tf.tensor(data, layer.loraB.shape));
  }
  saveAdapter(m, join(dir, name));
  m.dispose();
}

const jobs = PROMPTS.map((p, i) => ({ prompt: p, adapter: NAMES[i % NAMES.length]! }));
const idsOf = (p: string): number[] => {
  const r = renderTemplate(chat.value, chat.value.chatTemplate!, [{ role: 'user', content: p }], { addGenerationPrompt: true });
  if (!r.ok) throw new Error(r.error.message);
  return encode(chat.value, r.value);
};

// Ceiling: one preloaded model per adapter.
const models = new Map<string, CausalLM>();
for (const name of NAMES) {
  const m = loadModel(base);
  loadAdapterInto(m, join(dir, name));
  models.set(name, m);
}
generate(models.get('a')!, idsOf(jobs[0]!.prompt), { maxNewTokens: MAX, stopIds: [] }); // warm-up, not timed
let t0 = clock();
let ceilingTokens = 0;
const ceilingTexts: string[] = [];
for (const j of jobs) {
  const r = generate(models.get(j.adapter)!, idsOf(j.prompt), { maxNewTokens: MAX, stopIds: [] });
  ceilingTokens += r.ids.length;
  ceilingTexts.push(decode(chat.value, r.ids, true));
}
const ceilingS = (clock() - t0) / 1000;
const ceilingParams = [...models.values()].reduce((n, m) => n + m.parameterCounts().total, 0);
for (const m of models.values()) m.dispose();

// Serve: sequential, then 4 clients at once.
const server = await startServer({ modelDir: base, adapters: NAMES.map((n) => ({ name: n, dir: join(dir, n) })), backend: 'wasm', port: 0 });
const ask = async (j: { prompt: string; adapter: string }) => {
  const r = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: j.adapter, messages: [{ role: 'user', content: j.prompt }], max_tokens: MAX, temperature: 0, ignore_eos: true }) });
  const body = (await r.json()) as { choices: { message: { content: string } }[]; usage: { completion_tokens: number } };
  return { text: body.choices[0]!.message.content, tokens: body.usage.completion_tokens };
};
await ask(jobs[0]!); // warm-up (first-call kernel setup), not timed
t0 = clock();
let serveTokens = 0;
const serveTexts: string[] = [];
for (const j of jobs) {
  const r = await ask(j);
  serveTokens += r.tokens;
  serveTexts.push(r.text);
}
const serveS = (clock() - t0) / 1000;
t0 = clock();
const queue = [...jobs];
let concTokens = 0;
await Promise.all(
  Array.from({ length: 4 }, async () => {
    for (let j = queue.shift(); j; j = queue.shift()) {
      const r = await ask(j);
      concTokens += r.tokens;
    }
  }),
);
const concS = (clock() - t0) / 1000;
const serveParams = server.engine.model.parameterCounts().total + server.engine.bank.adapters.reduce((n, a) => n + a.parameters, 0);
await server.close(0);

// Peer: load per request.
t0 = clock();
let peerTokens = 0;
for (const j of jobs) {
  // What `tunelab generate --chat --adapter` does per call (generateText), with EOS ignored as above.
  const c = await loadChatModel(base);
  if (!c.ok) throw new Error(c.error.message);
  const m = loadModel(base);
  loadAdapterInto(m, join(dir, j.adapter));
  peerTokens += generate(m, idsOf(j.prompt), { maxNewTokens: MAX, stopIds: [] }).ids.length;
  m.dispose();
}
const peerS = (clock() - t0) / 1000;
rmSync(dir, { recursive: true, force: true });

const same = serveTexts.every((t, i) => t === ceilingTexts[i]);
const rate = (tok: number, s: number) => tok / s;
const rows = [
  ['ceiling: preloaded model per adapter, generate()', ceilingTokens, ceilingS],
  ['serve, sequential HTTP requests, adapters in turn', serveTokens, serveS],
  ['serve, 4 concurrent clients (queued FIFO)', concTokens, concS],
  ['peer: load tokenizer + base + adapter per request', peerTokens, peerS],
] as const;
console.log(`tiny-base + 3 LoRA adapters (r 8, all linears), ${jobs.length} requests, greedy, ${MAX} new tokens each`);
console.log('| setup | new tokens | CPU seconds | tokens per CPU-s | vs ceiling |');
console.log('|---|---|---|---|---|');
const ceil = rate(ceilingTokens, ceilingS);
for (const [label, tok, s] of rows) console.log(`| ${label} | ${tok} | ${s.toFixed(2)} | ${rate(tok, s).toFixed(1)} | ${(rate(tok, s) / ceil).toFixed(2)}x |`);
console.log(`resident parameters: serve ${serveParams} (one base + 3 adapters), ceiling ${ceilingParams} (${(ceilingParams / serveParams).toFixed(2)}x)`);
console.log(`serve answers equal the ceiling's: ${same}`);
if (!same) process.exit(1);
