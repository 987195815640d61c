/**
 * `npx tsx scripts/forgetting-experiment.ts [--steps N] [--only a,b] [--no-write]`: measures
 * forgetting on the shipped tiny model (examples/models/tiny-base). Every run fine-tunes it on the
 * demo's pirate data (examples/data/pirate.openai.jsonl; its first 24 records held out as
 * `test_datasets`, the same for every run) with `tunelab train`, then scores
 *   - task loss: the run's last validation loss on those held-out pirate answers, and
 *   - general perplexity: the trained model's perplexity on held-out text of the tiny model's own
 *     pre-training distribution (scripts/tiny: the same invented world, documents drawn with
 *     another seed), next to the base model's;
 * and writes a Markdown table (and an SVG scatter of task loss vs general perplexity) into
 * docs/forgetting.md between the forgetting-table markers. Runs differ in one thing each: the
 * method (LoRA vs full), the shape of LoRA at equal trainable parameters (all linear layers at low
 * rank vs q/v at high rank), learning rate and epochs, and the mitigations (data mixing, EWC, L2-SP).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { main } from '../cli/main';
import type { CliIo } from '../cli/command';
import { encode, loadChatModel } from '../common/chat/index';
import { writeFileAtomic } from '../common/fsAtomic';
import { parseEvent, type TrainerEvent } from '../common/protocol/events';
import { selectBackend } from '../trainer/backend/index';
import { generalExamples } from '../trainer/data/general';
import { loadModel } from '../trainer/io/index';
import { loadAdapterInto } from '../trainer/peft/index';
import { evaluate } from '../trainer/train/evaluate';
import { lossModel } from '../trainer/train/modelPort';
import { pretrainingDocuments } from './tiny/corpus';
import { SEED, WORLD_TOWNS } from './tiny/constants';
import { makeWorld } from './tiny/world';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const baseModel = join(root, 'examples', 'models', 'tiny-base');
const work = join(root, 'outputs', 'forgetting');
const docPath = join(root, 'docs', 'forgetting.md');
const START = '<!-- forgetting-table:start -->';
const END = '<!-- forgetting-table:end -->';

const args = process.argv.slice(2);
const argValue = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const STEPS = Number(argValue('--steps') ?? 30);
const ONLY = argValue('--only')?.split(',');

/** One run: a label, the group it answers, and the config keys that differ from the shared ones. */
interface RunSpec {
  id: string;
  group: string;
  label: string;
  keys: Record<string, unknown>;
}

const lora = (r: number, targets: 'all' | 'qv', lr = 0.003): Record<string, unknown> => ({
  adapter: 'lora',
  lora_r: r,
  lora_alpha: 2 * r,
  lora_dropout: 0,
  ...(targets === 'all' ? { lora_target_linear: true } : { lora_target_modules: ['q_proj', 'v_proj'] }),
  learning_rate: lr,
});
const full = (lr = 0.0005): Record<string, unknown> => ({ learning_rate: lr, weight_decay: 0 });
const mixed = { datasets: [{ path: '__TASK__', type: 'chat_template', roles_to_train: ['assistant'], train_on_eos: 'turn', weight: 3 }, { path: '__GENERAL_JSONL__', type: 'completion', weight: 1 }] };

// Equal trainable parameters: per layer LoRA adds r·(in+out) per module; all 7 linears of this
// model sum to 2336·r, q+v to 448·r, so r 4 on all ≈ r 21 on q/v (9,344 vs 9,408 per layer).
const RUNS: RunSpec[] = [
  { id: 'lora', group: 'method', label: 'LoRA r16, all linear, lr 3e-3', keys: lora(16, 'all') },
  { id: 'full', group: 'method', label: 'full fine-tuning, lr 5e-4', keys: full() },
  { id: 'broad', group: 'shape (equal params)', label: 'LoRA r4 on all linear layers', keys: lora(4, 'all') },
  { id: 'narrow', group: 'shape (equal params)', label: 'LoRA r21 on q_proj, v_proj', keys: lora(21, 'qv') },
  { id: 'lr-low', group: 'learning rate', label: 'LoRA r16, lr 1e-3', keys: lora(16, 'all', 0.001) },
  { id: 'lr-high', group: 'learning rate', label: 'LoRA r16, lr 1e-2', keys: lora(16, 'all', 0.01) },
  { id: 'epochs', group: 'epochs', label: `LoRA r16, ${3 * STEPS} steps (3x)`, keys: { ...lora(16, 'all'), max_steps: 3 * STEPS } },
  { id: 'full-mix', group: 'mitigation (full)', label: 'full + 25 % general data (weight 3:1)', keys: { ...full(), ...mixed } },
  { id: 'full-ewc', group: 'mitigation (full)', label: 'full + EWC (λ 1e3, 32 sequences)', keys: { ...full(), ewc_lambda: 1000, ewc_data: '__GENERAL_TXT__', ewc_samples: 32 } },
  { id: 'full-ewc-strong', group: 'mitigation (full)', label: 'full + EWC (λ 1e5, 32 sequences)', keys: { ...full(), ewc_lambda: 100000, ewc_data: '__GENERAL_TXT__', ewc_samples: 32 } },
  { id: 'full-l2sp', group: 'mitigation (full)', label: 'full + L2-SP (λ 1)', keys: { ...full(), l2sp_lambda: 1 } },
];

function sharedConfig(outputDir: string): Record<string, unknown> {
  return {
    base_model: baseModel,
    datasets: [{ path: '__TASK__', type: 'chat_template', roles_to_train: ['assistant'], train_on_eos: 'turn' }],
    // The same held-out pirate records for every run, mixed or not.
    test_datasets: [{ path: '__TASK_VAL__', type: 'chat_template', roles_to_train: ['assistant'], train_on_eos: 'turn' }],
    val_set_size: 0,
    sequence_len: 128,
    micro_batch_size: 8,
    gradient_accumulation_steps: 1,
    max_steps: STEPS,
    lr_scheduler: 'cosine',
    warmup_steps: 2,
    max_grad_norm: 1.0,
    eval_steps: STEPS,
    logging_steps: 5,
    save_steps: 100000,
    seed: 42,
    output_dir: outputDir,
  };
}

/** Held-out general text of the tiny model's own distribution, and a JSONL of other documents for mixing. */
function writeGeneralData(): { evalTxt: string; ewcTxt: string; mixJsonl: string } {
  const world = makeWorld(SEED, WORLD_TOWNS);
  // Documents as the model was pre-trained on them (ChatML chats keep their special tokens).
  const clean = (d: string) => d.trim();
  const evalDocs = pretrainingDocuments(world, SEED + 101, 200).map(clean);
  const ewcDocs = pretrainingDocuments(world, SEED + 202, 120).map(clean);
  const mixDocs = pretrainingDocuments(world, SEED + 303, 240).map(clean);
  const evalTxt = join(work, 'general-eval.txt');
  const ewcTxt = join(work, 'general-ewc.txt');
  const mixJsonl = join(work, 'general-mix.jsonl');
  writeFileSync(evalTxt, evalDocs.join('\n\n') + '\n');
  writeFileSync(ewcTxt, ewcDocs.join('\n\n') + '\n');
  writeFileSync(mixJsonl, mixDocs.map((text) => JSON.stringify({ text })).join('\n') + '\n');
  return { evalTxt, ewcTxt, mixJsonl };
}

async function train(cfgPath: string): Promise<TrainerEvent[]> {
  let out = '';
  let err = '';
  const io: CliIo = { cwd: work, out: (t) => void (out += t), err: (t) => void (err += t), isTty: false };
  const code = await main(['train', cfgPath, '--json'], io);
  const events = out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => parseEvent(l) as TrainerEvent);
  if (code !== 0) throw new Error(`training ${cfgPath} failed (${code}): ${err} ${JSON.stringify(events.filter((e) => e.type === 'error'))}`);
  return events;
}

/** Perplexity of a model folder (with an adapter folder, when given) on the general held-out text. */
function generalPerplexity(modelDir: string, adapterDir: string | null, examples: Parameters<typeof evaluate>[1]): number {
  const model = loadModel(modelDir);
  try {
    if (adapterDir) loadAdapterInto(model, adapterDir);
    return evaluate(lossModel(model), examples, { batchSize: 8, seqLen: 128, padId: 0, packing: false }).perplexity;
  } finally {
    model.dispose();
  }
}

interface Row {
  spec: RunSpec;
  trainable: number;
  taskLoss: number;
  generalPpl: number;
  seconds: number;
}

function svg(rows: Row[], basePpl: number): string {
  const W = 640;
  const H = 360;
  const pad = 56;
  const xs = rows.map((r) => r.taskLoss);
  const ys = [...rows.map((r) => r.generalPpl), basePpl];
  const [x0, x1] = [Math.min(...xs) * 0.95, Math.max(...xs) * 1.05];
  const [y0, y1] = [Math.min(...ys) * 0.97, Math.max(...ys) * 1.03];
  const X = (v: number) => pad + ((v - x0) / (x1 - x0 || 1)) * (W - 2 * pad);
  const Y = (v: number) => H - pad - ((v - y0) / (y1 - y0 || 1)) * (H - 2 * pad);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const dots = rows
    .map((r) => `<circle cx="${X(r.taskLoss).toFixed(1)}" cy="${Y(r.generalPpl).toFixed(1)}" r="4" fill="#3b6ea5"/><text x="${(X(r.taskLoss) + 6).toFixed(1)}" y="${(Y(r.generalPpl) - 6).toFixed(1)}" font-size="11">${esc(r.spec.id)}</text>`)
    .join('\n  ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
  <rect width="${W}" height="${H}" fill="white"/>
  <line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="black"/>
  <line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="black"/>
  <line x1="${pad}" y1="${Y(basePpl).toFixed(1)}" x2="${W - pad}" y2="${Y(basePpl).toFixed(1)}" stroke="#999" stroke-dasharray="4 3"/>
  <text x="${W - pad}" y="${(Y(basePpl) - 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#666">base model ${basePpl.toFixed(3)}</text>
  <text x="${W / 2}" y="${H - 16}" font-size="12" text-anchor="middle">task validation loss (lower: learned the task)</text>
  <text x="16" y="${H / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">general perplexity (higher: forgot more)</text>
  <text x="${pad}" y="${H - pad + 16}" font-size="10">${x0.toFixed(3)}</text><text x="${W - pad}" y="${H - pad + 16}" font-size="10" text-anchor="end">${x1.toFixed(3)}</text>
  <text x="${pad - 4}" y="${H - pad}" font-size="10" text-anchor="end">${y0.toFixed(2)}</text><text x="${pad - 4}" y="${pad + 4}" font-size="10" text-anchor="end">${y1.toFixed(2)}</text>
  ${dots}
</svg>
`;
}

async function run(): Promise<void> {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const backend = await selectBackend('wasm');
  const general = writeGeneralData();
  const chat = await loadChatModel(baseModel);
  if (!chat.ok) throw new Error(chat.error.message);
  const c = chat.value;
  const evalExamples = await generalExamples(general.evalTxt, { seqLen: 128, samples: 64, seed: 7, encode: (t) => encode(c, t), eosId: c.eosTokenId ?? null });
  const basePpl = generalPerplexity(baseModel, null, evalExamples);
  process.stderr.write(`base model: general perplexity ${basePpl.toFixed(4)} on ${evalExamples.length} sequences (${backend.detail})\n`);
  // The demo's pirate records: the first 24 are the task's validation set, the rest train.
  const pirate = readFileSync(join(root, 'examples', 'data', 'pirate.openai.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const task = join(work, 'pirate-train.jsonl');
  const taskVal = join(work, 'pirate-val.jsonl');
  writeFileSync(taskVal, pirate.slice(0, 24).join('\n') + '\n');
  writeFileSync(task, pirate.slice(24).join('\n') + '\n');
  const rows: Row[] = [];
  for (const spec of RUNS.filter((r) => !ONLY || ONLY.includes(r.id))) {
    const out = join(work, spec.id);
    const cfg: Record<string, unknown> = { ...sharedConfig(out), ...spec.keys };
    const text = stringify(cfg).replaceAll('__TASK_VAL__', taskVal).replaceAll('__TASK__', task).replaceAll('__GENERAL_JSONL__', general.mixJsonl).replaceAll('__GENERAL_TXT__', general.ewcTxt);
    const cfgPath = join(work, `${spec.id}.yml`);
    writeFileSync(cfgPath, text);
    const t0 = Date.now();
    const events = await train(cfgPath);
    const seconds = (Date.now() - t0) / 1000;
    const start = events.find((e) => e.type === 'run_start') as Extract<TrainerEvent, { type: 'run_start' }>;
    const lastEval = events.filter((e) => e.type === 'eval').at(-1) as Extract<TrainerEvent, { type: 'eval' }>;
    const isAdapter = spec.keys.adapter !== undefined;
    const ppl = generalPerplexity(isAdapter ? baseModel : out, isAdapter ? out : null, evalExamples);
    rows.push({ spec, trainable: start.params.trainable, taskLoss: lastEval.eval_loss, generalPpl: ppl, seconds });
    process.stderr.write(`${spec.id}: task loss ${lastEval.eval_loss.toFixed(4)}, general perplexity ${ppl.toFixed(4)} (${seconds.toFixed(0)} s)\n`);
  }
  const table = [
    `Command: \`npx tsx scripts/forgetting-experiment.ts --steps ${STEPS}\` · ${new Date().toISOString().slice(0, 10)} · ${backend.detail}`,
    '',
    `Base model general perplexity: **${basePpl.toFixed(4)}** (${evalExamples.length} held-out sequences of 128 tokens).`,
    '',
    '| group | run | trainable params | task val loss | general perplexity | vs base | seconds |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.spec.group} | ${r.spec.label} | ${r.trainable.toLocaleString('en-US')} | ${r.taskLoss.toFixed(4)} | ${r.generalPpl.toFixed(4)} | ${((r.generalPpl / basePpl - 1) * 100).toFixed(1)} % | ${r.seconds.toFixed(0)} |`),
    '',
    '![task loss vs general perplexity](forgetting.svg)',
  ].join('\n');
  if (args.includes('--no-write')) {
    process.stdout.write(table + '\n');
    return;
  }
  writeFileSync(join(root, 'docs', 'forgetting.svg'), svg(rows, basePpl));
  const doc = readFileSync(docPath, 'utf8');
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${docPath} has no ${START} … ${END} markers`);
  const next = `${doc.slice(0, a + START.length)}\n${table}\n${doc.slice(b)}`;
  writeFileAtomic(docPath, next);
  process.stderr.write(`wrote ${docPath}\n`);
}

await run();
