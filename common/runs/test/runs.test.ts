import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseEvent, type StepEvent, type TrainerEvent } from '../../protocol/events';
import { crc32c, maskedCrc32c } from '../crc32c';
import { halfToFloat, tensorScalar } from '../tfevents';
import { importRuns, parseAxolotlLog, parseTrainerState, readTfevents, summarizeEvents, writeImportedEvents } from '../index';

const FIX = fileURLToPath(new URL('./fixtures/', import.meta.url));
// Expected values below come from scripts/reference/runs_fixture_facts.py (struct/json/ast), not from our readers.
const TB = join(FIX, 'tb-summarywriter', 'events.out.tfevents.1622543341.janoshs-mbp.lan.86862.0');
const TB_REPLAY = join(FIX, 'tb-lora-replay', 'events.out.tfevents.1748450196.tunelab-fixture.0');
/** Byte offset where TFRecord record `k` starts (the framing: u64 length, u32 crc, data, u32 crc). */
function recordStart(data: Uint8Array, k: number): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  for (let i = 0; i < k; i++) at += 12 + Number(view.getBigUint64(at, true)) + 4;
  return at;
}
const of = <T extends TrainerEvent['type']>(events: TrainerEvent[], t: T) => events.filter((e): e is Extract<TrainerEvent, { type: T }> => e.type === t);

describe('crc32c', () => {
  it('matches the published check value and TensorFlow masking', () => {
    const bytes = new TextEncoder().encode('123456789');
    assert.equal(crc32c(bytes), 0xe3069283);
    // mask: rotate right by 15, add 0xa282ead8
    const c = 0xe3069283;
    assert.equal(maskedCrc32c(bytes), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
  });
});

describe('tfevents reader (a file written by PyTorch SummaryWriter)', () => {
  const data = readFileSync(TB);
  it('reads every record and the scalars', () => {
    const r = readTfevents(data);
    assert.deepEqual(r.problems, []);
    assert.equal(r.records, 101);
    assert.equal(r.fileVersion, 'brain.Event:2');
    assert.equal(r.startWallTime, 1622543341.75773);
    assert.equal(r.scalars.length, 100);
    assert.deepEqual([...new Set(r.scalars.map((s) => s.tag))], ['strict/foo']);
    // step 0 is absent from the wire (proto3 default) and must read as 0
    assert.deepEqual(r.scalars.map((s) => s.step), Array.from({ length: 100 }, (_, i) => 5 * i));
    assert.equal(r.scalars[0]!.value, 1.4962565898895264);
    assert.equal(r.scalars[0]!.wallTime, 1622543341.758558);
    assert.equal(r.scalars.at(-1)!.value, 1.212090253829956);
  });
  it('reads the train/* tags of the Transformers-layout file', () => {
    const r = readTfevents(readFileSync(TB_REPLAY));
    assert.deepEqual(r.problems, []);
    assert.equal(r.records, 199);
    assert.equal(r.scalars.length, 198);
    assert.deepEqual([...new Set(r.scalars.map((s) => s.tag))], [
      'train/loss', 'train/grad_norm', 'train/learning_rate', 'train/epoch',
      'train/train_runtime', 'train/train_samples_per_second', 'train/train_steps_per_second', 'train/total_flos', 'train/train_loss',
    ]);
    const loss = r.scalars.filter((s) => s.tag === 'train/loss');
    assert.equal(loss.length, 48);
    assert.deepEqual([loss[0]!.step, loss[0]!.value], [5, Math.fround(2.0905)]);
    assert.deepEqual([loss.at(-1)!.step, loss.at(-1)!.value], [240, Math.fround(0.0707)]);
  });
  it('locates a damaged data block and skips only that record', () => {
    const bad = Uint8Array.from(data);
    // Record 1 starts after record 0 (12 + len0 + 4); flip a byte inside its data.
    const len0 = Number(new DataView(bad.buffer).getBigUint64(0, true));
    const rec1 = 12 + len0 + 4;
    bad[rec1 + 12 + 5]! ^= 0xff;
    const r = readTfevents(bad);
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]!.code, 'run-import-crc-mismatch');
    assert.equal(r.problems[0]!.offset, rec1);
    assert.equal(r.problems[0]!.record, 1);
    assert.equal(r.records, 101);
    assert.equal(r.scalars.length, 99, 'record 1 (the first scalar) is skipped, every other is read');
    assert.equal(r.scalars[0]!.step, 5);
  });
  it('stops at a damaged length and reports a file cut short', () => {
    const badLen = Uint8Array.from(data);
    badLen[3]! ^= 0x01;
    const a = readTfevents(badLen);
    assert.deepEqual(a.problems.map((p) => [p.code, p.offset]), [['run-import-crc-mismatch', 0]]);
    assert.equal(a.scalars.length, 0);
    const cut = data.subarray(0, data.length - 10);
    const b = readTfevents(cut);
    assert.equal(b.problems.length, 1);
    assert.equal(b.problems[0]!.code, 'run-import-truncated');
    assert.equal(b.records, 100);
    assert.equal(b.scalars.length, 99);
  });
  it('refuses a file that is not an event file without throwing', () => {
    const r = readTfevents(new TextEncoder().encode('{"not": "tfevents"} padding padding'));
    assert.equal(r.problems[0]!.code, 'run-import-crc-mismatch');
    assert.equal(r.records, 0);
  });
});

describe('TensorProto scalars (TF2 tf.summary.scalar)', () => {
  // Wire bytes spelled out: field key = (number << 3) | wire type.
  it('float_val, double tensor_content, int64_val and half_val', () => {
    const f32 = new Uint8Array(new Float32Array([0.5]).buffer);
    // dtype DT_FLOAT (1:varint 1), float_val packed (5:len 4 bytes)
    assert.equal(tensorScalar(Uint8Array.from([0x08, 0x01, 0x2a, 0x04, ...f32])), 0.5);
    const f64 = new Uint8Array(new Float64Array([2.25]).buffer);
    // dtype DT_DOUBLE (2), tensor_content (4:len 8 bytes)
    assert.equal(tensorScalar(Uint8Array.from([0x08, 0x02, 0x22, 0x08, ...f64])), 2.25);
    // dtype DT_INT64 (9), int64_val packed (10:len) holding varint 300 (0xac 0x02)
    assert.equal(tensorScalar(Uint8Array.from([0x08, 0x09, 0x52, 0x02, 0xac, 0x02])), 300);
    // dtype DT_HALF (19), half_val packed (13:len) holding 0x3c00 = 1.0 as a varint (0x80 0x78)
    assert.equal(tensorScalar(Uint8Array.from([0x08, 0x13, 0x6a, 0x02, 0x80, 0x78])), 1);
    assert.equal(halfToFloat(0xc000), -2);
    // DT_STRING (7) is no scalar
    assert.equal(tensorScalar(Uint8Array.from([0x08, 0x07, 0x42, 0x01, 0x61])), null);
  });
});

describe('trainer_state.json', () => {
  it('reads steps, evals and the final summary of a checkpoint (older Transformers, no grad_norm)', () => {
    const r = parseTrainerState(readFileSync(join(FIX, 'hf-checkpoint', 'trainer_state.json'), 'utf8'));
    assert.ok(r.ok);
    assert.equal(r.log.totalSteps, 5000);
    assert.equal(r.log.steps.length, 200);
    assert.deepEqual(r.log.steps[0], { step: 25, epoch: 0.19, loss: 0.3048, lr: 4.6000000000000004e-7, gradNorm: null, tokensPerS: null, wallTime: null });
    assert.deepEqual(r.log.evals.map((e) => e.step), [1000, 2000, 3000, 4000, 5000]);
    assert.equal(r.log.evals.at(-1)!.evalLoss, 0.4200145900249481);
  });
  it('reads a mid-run checkpoint with an evaluation after every logged step', () => {
    const r = parseTrainerState(readFileSync(join(FIX, 'hf-asr-checkpoint', 'trainer_state.json'), 'utf8'));
    assert.ok(r.ok);
    assert.equal(r.log.totalSteps, 35050);
    assert.deepEqual(r.log.steps.map((s) => [s.step, s.loss]), [[500, 0.5516], [1000, 0.3163], [1500, 0.2646], [2000, 0.1984]]);
    assert.deepEqual(r.log.steps[0], { step: 500, epoch: 0.36, loss: 0.5516, lr: 3.94339514978602e-5, gradNorm: null, tokensPerS: null, wallTime: null });
    assert.deepEqual(r.log.evals.map((e) => e.step), [500, 1000, 1500, 2000]);
    assert.equal(r.log.evals[0]!.evalLoss, 0.25193867087364197);
    assert.equal(r.log.evals.at(-1)!.evalLoss, 0.1926349401473999);
    assert.equal(r.log.final, null);
  });
  it('reports bad JSON with its line and column', () => {
    const r = parseTrainerState('{\n  "log_history": [\n    {"loss": 1,,}\n  ]\n}');
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /\(line 3, column 16\)$/);
    const s = parseTrainerState('{"global_step": 3}');
    assert.deepEqual(s, { ok: false, message: 'no log_history array: not a Transformers trainer_state.json' });
  });
});

describe('Transformers console log (Axolotl, LLaMA-Factory: the same dicts and tqdm bar)', () => {
  it('a real log whose stdout was buffered: every dict after the finished bar, steps from the bar redraws', () => {
    // LLaMA-Factory run under nohup: stdout (the dicts) was flushed at exit, tqdm (stderr) was not buffered.
    const text = readFileSync(join(FIX, 'llamafactory-console', 'training_v3.log'), 'utf8');
    const log = parseAxolotlLog(text);
    assert.equal(log.totalSteps, 240);
    assert.equal(log.steps.length, 48);
    assert.deepEqual(log.steps.map((s) => s.step), Array.from({ length: 48 }, (_, i) => 5 * (i + 1)));
    assert.deepEqual(log.steps[0], { step: 5, epoch: 0.44, loss: 2.0905, lr: 0.0005, gradNorm: 1.9506487846374512, tokensPerS: null, wallTime: null });
    assert.deepEqual([log.steps.at(-1)!.loss, log.steps.at(-1)!.gradNorm, log.steps.at(-1)!.epoch], [0.0707, 0.7277708053588867, 20]);
    assert.deepEqual(log.evals, []);
    assert.deepEqual(log.final, { step: 240, trainLoss: 0.19847503900527955, runtime: 1273.9239 });
    // The same run's trainer_state.json: both readers agree on every step and loss.
    const state = parseTrainerState(readFileSync(join(FIX, 'hf-lora-output', 'trainer_state.json'), 'utf8'));
    assert.ok(state.ok);
    assert.deepEqual(log.steps.map((s) => [s.step, s.loss, s.gradNorm]), state.log.steps.map((s) => [s.step, s.loss, s.gradNorm]));
  });

  it('takes each dict\'s step from the progress bar before it', () => {
    const text = [
      '[2024-05-01 10:00:00,000] [INFO] [axolotl.train.train:173] Starting trainer...',
      '  0%|          | 0/20 [00:00<?, ?it/s]\r  5%|▌         | 1/20 [00:02<00:40,  2.1s/it]\r 10%|█         | 2/20 [00:04<00:38,  2.1s/it]',
      "{'loss': 1.3421, 'grad_norm': 0.61, 'learning_rate': 2e-05, 'epoch': 0.1}",
      ' 15%|█▌        | 3/20 [00:06<00:36]\r 20%|██        | 4/20 [00:08<00:34]',
      "{'loss': 1.2, 'grad_norm': nan, 'learning_rate': 4e-05, 'epoch': 0.2}",
      '\r  0%|          | 0/3 [00:00<?, ?it/s]\r 67%|██████▋   | 2/3 [00:00<00:00]',
      "{'eval_loss': 1.25, 'eval_runtime': 0.5, 'eval_samples_per_second': 20.0, 'epoch': 0.2}",
      '100%|██████████| 20/20 [00:40<00:00]',
      "{'train_runtime': 41.5, 'train_samples_per_second': 3.9, 'train_loss': 1.1, 'epoch': 1.0}",
    ].join('\n');
    const log = parseAxolotlLog(text);
    assert.equal(log.totalSteps, 20);
    assert.deepEqual(log.steps.map((s) => [s.step, s.loss, s.gradNorm, s.lr, s.epoch]), [
      [2, 1.3421, 0.61, 2e-5, 0.1],
      [4, 1.2, null, 4e-5, 0.2],
    ]);
    assert.deepEqual(log.evals.map((e) => [e.step, e.evalLoss]), [[4, 1.25]]);
    assert.deepEqual(log.final, { step: 20, trainLoss: 1.1, runtime: 41.5 });
  });
});

describe('importRuns → events', () => {
  it('turns an output folder into a complete, parseable run', () => {
    const r = importRuns(join(FIX, 'hf-lora-output'));
    assert.deepEqual(r.problems, []);
    assert.equal(r.runs.length, 1);
    const ev = r.runs[0]!.events;
    for (const e of ev) assert.ok(!('error' in parseEvent(JSON.stringify(e))));
    assert.equal(ev[0]!.type, 'run_start');
    const steps = of(ev, 'step');
    assert.equal(steps.length, 48);
    assert.deepEqual(
      { step: steps[0]!.step, loss: steps[0]!.loss, lr: steps[0]!.lr, grad: steps[0]!.grad_norm, total: steps[0]!.total_steps, elapsed: steps[0]!.elapsed },
      // elapsed: train_runtime 1273.9239 s spread over 240 steps (5 × 5.308 s).
      { step: 5, loss: 2.0905, lr: 0.0005, grad: 1.9506487846374512, total: 240, elapsed: 26.54 },
    );
    assert.equal(steps.at(-1)!.loss, 0.0707);
    const done = of(ev, 'done')[0]!;
    assert.equal(done.status, 'completed');
    assert.equal(done.metrics.train_loss, 0.19847503900527955);
    assert.equal(done.metrics.elapsed, 1273.92);
  });
  it('uses TensorBoard wall time; the train summary completes a run, a log without it is stopped', () => {
    const r = importRuns(join(FIX, 'tb-lora-replay'));
    const ev = r.runs[0]!.events;
    assert.equal(r.runs[0]!.kind, 'tensorboard');
    assert.equal(ev[0]!.time, new Date(1748450196.78 * 1000).toISOString());
    const steps = of(ev, 'step') as StepEvent[];
    assert.deepEqual(steps.map((s) => s.step), Array.from({ length: 48 }, (_, i) => 5 * (i + 1)));
    assert.equal(steps[0]!.elapsed, 26.54);
    assert.equal(steps[0]!.loss, Math.fround(2.0905));
    assert.equal(of(ev, 'done')[0]!.status, 'completed');
    assert.equal(of(ev, 'done')[0]!.metrics.train_loss, Math.fround(0.19847503900527955));
    // Cut before the summary (1 version record + 48 steps × 4 scalars): the run did not finish.
    const tmp = mkdtempSync(join(tmpdir(), 'tunelab-import-'));
    try {
      const data = readFileSync(TB_REPLAY);
      writeFileSync(join(tmp, 'events.out.tfevents.1748450196.cut.0'), data.subarray(0, recordStart(data, 193)));
      const cut = importRuns(tmp);
      assert.deepEqual(cut.problems, []);
      assert.equal(of(cut.runs[0]!.events, 'step').length, 48);
      assert.equal(of(cut.runs[0]!.events, 'done')[0]!.status, 'stopped');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
  it('an event file with no training scalars names the tags it holds', () => {
    const r = importRuns(join(FIX, 'tb-summarywriter'));
    assert.deepEqual(r.runs, []);
    assert.deepEqual(
      r.problems.map((p) => [p.code, p.severity, p.message]),
      [
        ['run-import-no-metrics', 'warning', 'events.out.tfevents.1622543341.janoshs-mbp.lan.86862.0 holds scalars (strict/foo) but no training loss (train/loss, loss, eval/loss or eval_loss)'],
        ['run-import-nothing-found', 'error', 'no trainer_state.json, TensorBoard event file or Axolotl log with training metrics was found'],
      ],
    );
  });
  it('imports a console log as a run', () => {
    const r = importRuns(join(FIX, 'llamafactory-console'));
    assert.deepEqual(r.problems, []);
    assert.equal(r.runs[0]!.kind, 'axolotl_log');
    const ev = r.runs[0]!.events;
    assert.equal(of(ev, 'step').length, 48);
    assert.equal(of(ev, 'done')[0]!.status, 'completed');
  });
  it('a checkpoint folder belongs to its output folder; checkpoints become events', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'tunelab-import-'));
    try {
      cpSync(join(FIX, 'hf-checkpoint'), join(tmp, 'checkpoint-5000'), { recursive: true });
      const r = importRuns(join(tmp, 'checkpoint-5000'));
      assert.equal(r.dir, tmp);
      const ev = r.runs[0]!.events;
      assert.deepEqual(of(ev, 'checkpoint').map((c) => [c.step, c.path]), [[5000, join(tmp, 'checkpoint-5000')]]);
      // the folder itself finds the newest checkpoint's trainer_state
      const again = importRuns(tmp);
      assert.equal(again.runs[0]!.runId, importRuns(join(tmp, 'checkpoint-5000', 'trainer_state.json')).runs[0]!.runId);
      const w = writeImportedEvents(again);
      assert.equal(w.written, true);
      const lines = summarizeEvents(readFileSync(w.path, 'utf8'));
      assert.deepEqual(lines.map((l) => [l.status, l.step, l.totalSteps, l.evalLoss, l.backend]), [['completed', 5000, 5000, 0.4200145900249481, 'transformers (imported)']]);
      // an events.jsonl of a live run is never replaced
      writeFileSync(w.path, JSON.stringify({ ...ev[0], backend: 'wasm' }) + '\n');
      assert.equal(writeImportedEvents(again).written, false);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
  it('a folder without training records is one clear problem', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'tunelab-import-'));
    try {
      writeFileSync(join(tmp, 'notes.txt'), 'nothing here');
      const r = importRuns(tmp);
      assert.deepEqual(r.problems.map((p) => p.code), ['run-import-nothing-found']);
      writeFileSync(join(tmp, 'trainer_state.json'), '{"log_history": [');
      assert.deepEqual(importRuns(tmp).problems.map((p) => p.code), ['run-import-bad-json']);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
