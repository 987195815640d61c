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
const TB = join(FIX, 'hf-ner-tensorboard', 'events.out.tfevents.1742235362.PCDuDieuDesMathsNico.1778.0');
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

describe('tfevents reader (a real Transformers TensorBoard file)', () => {
  const data = readFileSync(TB);
  it('reads every record and the training scalars', () => {
    const r = readTfevents(data);
    assert.deepEqual(r.problems, []);
    assert.equal(r.records, 19);
    assert.equal(r.fileVersion, 'brain.Event:2');
    assert.equal(r.scalars.length, 16);
    assert.deepEqual([...new Set(r.scalars.map((s) => s.tag))], ['train/loss', 'train/grad_norm', 'train/learning_rate', 'train/epoch']);
    const first = r.scalars[0]!;
    assert.equal(first.tag, 'train/loss');
    assert.equal(first.step, 500);
    assert.equal(first.value, Math.fround(0.1697));
    assert.deepEqual(r.scalars.filter((s) => s.tag === 'train/loss').map((s) => s.step), [500, 1000, 1500, 2000]);
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
    assert.equal(r.records, 19);
    assert.equal(r.scalars.length, 16, 'record 1 is the text summary of the arguments, not a scalar');
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
    assert.equal(b.records, 18);
    assert.equal(b.scalars.length, 15);
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
  it('reports bad JSON with its line and column', () => {
    const r = parseTrainerState('{\n  "log_history": [\n    {"loss": 1,,}\n  ]\n}');
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /\(line 3, column 16\)$/);
    const s = parseTrainerState('{"global_step": 3}');
    assert.deepEqual(s, { ok: false, message: 'no log_history array: not a Transformers trainer_state.json' });
  });
});

describe('Axolotl console log', () => {
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
    const r = importRuns(join(FIX, 'hf-ner-output'));
    assert.deepEqual(r.problems, []);
    assert.equal(r.runs.length, 1);
    const ev = r.runs[0]!.events;
    for (const e of ev) assert.ok(!('error' in parseEvent(JSON.stringify(e))));
    assert.equal(ev[0]!.type, 'run_start');
    const steps = of(ev, 'step');
    assert.equal(steps.length, 29);
    assert.deepEqual(
      { step: steps[0]!.step, loss: steps[0]!.loss, lr: steps[0]!.lr, grad: steps[0]!.grad_norm, total: steps[0]!.total_steps, elapsed: steps[0]!.elapsed },
      // elapsed: train_runtime 600.2945 s spread over 14550 steps.
      { step: 500, loss: 2.466, lr: 3.5034117508563125e-5, grad: 60.69256591796875, total: 14550, elapsed: 20.63 },
    );
    const done = of(ev, 'done')[0]!;
    assert.equal(done.status, 'completed');
    assert.equal(done.metrics.train_loss, 0.6498275238377942);
    assert.equal(done.metrics.elapsed, 600.29);
  });
  it('uses TensorBoard wall time and marks a log without an end as stopped', () => {
    const r = importRuns(join(FIX, 'hf-ner-tensorboard'));
    const ev = r.runs[0]!.events;
    assert.equal(r.runs[0]!.kind, 'tensorboard');
    assert.equal(ev[0]!.time, new Date(readTfevents(readFileSync(TB)).startWallTime! * 1000).toISOString());
    const steps = of(ev, 'step') as StepEvent[];
    assert.deepEqual(steps.map((s) => s.step), [500, 1000, 1500, 2000]);
    assert.equal(steps[0]!.elapsed, 1000.64);
    assert.equal(of(ev, 'done')[0]!.status, 'stopped');
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
