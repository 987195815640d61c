import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEvent } from '../../../common/protocol/events';
import { EventWriter } from '../../events/writer';
import { duration, progressLine } from '../../events/progress';

const clock = () => new Date('2026-01-02T03:04:05.000Z');

test('--json: stdout carries exactly the JSON lines, the events file gets the same lines appended', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-events-'));
  try {
    let stdout = '';
    let stderr = '';
    const w = new EventWriter('run-1', { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), json: true, isTty: false }, clock);
    w.openFile(join(dir, 'out', 'events.jsonl'));
    w.emit({ type: 'log', level: 'info', message: 'hello' });
    w.emit({ type: 'checkpoint', step: 3, path: '/x/checkpoint-3' });
    const expected =
      '{"v":1,"time":"2026-01-02T03:04:05.000Z","run_id":"run-1","type":"log","level":"info","message":"hello"}\n' +
      '{"v":1,"time":"2026-01-02T03:04:05.000Z","run_id":"run-1","type":"checkpoint","step":3,"path":"/x/checkpoint-3"}\n';
    assert.equal(stdout, expected);
    assert.equal(stderr, '');
    assert.equal(readFileSync(join(dir, 'out', 'events.jsonl'), 'utf8'), expected);
    for (const line of expected.trim().split('\n')) assert.ok(!('error' in parseEvent(line)));
    // A second writer (a resumed run) appends rather than truncating.
    const w2 = new EventWriter('run-1', { stdout: () => {}, stderr: () => {}, json: true, isTty: false }, clock);
    w2.openFile(join(dir, 'out', 'events.jsonl'));
    w2.emit({ type: 'log', level: 'warning', message: 'again' });
    assert.equal(readFileSync(join(dir, 'out', 'events.jsonl'), 'utf8').split('\n').length, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('human output goes to stderr only; a terminal gets one redrawn progress line', () => {
  let stdout = '';
  let stderr = '';
  const w = new EventWriter('r', { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), json: false, isTty: true }, clock);
  const step = { type: 'step', step: 5, total_steps: 10, epoch: 0.5, loss: 1.23456, lr: 0.0002, grad_norm: 0.5, tokens_per_s: 1234.4, elapsed: 10, eta: 75 } as const;
  w.emit(step);
  w.emit({ type: 'eval', step: 5, epoch: 0.5, eval_loss: 1.5, perplexity: Math.exp(1.5) });
  assert.equal(stdout, '');
  assert.equal(
    stderr,
    '\r\x1b[2K████████████░░░░░░░░░░░░ 5/10  loss 1.2346  lr 2.00e-4  grad 0.500  1234 tok/s  elapsed 10s  eta 1m15s' +
      '\neval at step 5: loss 1.5000, perplexity 4.48\n',
  );
  assert.equal(progressLine({ ...step, v: 1, time: '', run_id: '', grad_norm: null, tokens_per_s: null, eta: null }), '████████████░░░░░░░░░░░░ 5/10  loss 1.2346  lr 2.00e-4  elapsed 10s');
});

test('durations', () => {
  assert.deepEqual([duration(0), duration(59.4), duration(75), duration(3725)], ['0s', '59s', '1m15s', '1h02m']);
});

test('a refusal in human mode names the file, line and column', () => {
  let stderr = '';
  const w = new EventWriter('r', { stdout: () => {}, stderr: (t) => (stderr += t), json: false, isTty: false }, clock);
  w.emit({ type: 'error', code: 'config-type', message: 'learning_rate must be a number', location: { path: '/c.yml', range: { start: { line: 4, character: 15 }, end: { line: 4, character: 19 } } } });
  assert.equal(stderr, 'tunelab train: /c.yml:5:16: config-type: learning_rate must be a number\n');
});
