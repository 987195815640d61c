import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDashboardToHost, parseHostToDashboard, parseHostToInspector, parseInspectorToHost } from '../../common/protocol/webview';

const run = { id: 'r', label: 'l', configPath: '/c', outputDir: '/o', eventsPath: '/o/events.jsonl', status: 'running', active: true, resumable: false, startedAt: 't', backend: 'wasm', method: 'lora', params: null, totalSteps: 10, lastStep: 2, config: {}, checkpoints: [], final: null, error: null };
const batch = { runId: 'r', reset: false, step: [1, 2], loss: [2, 1.5], lr: [1e-4, 1e-4], gradNorm: [null, 0.3], tokensPerS: [10, null], evalStep: [], evalLoss: [] };

test('valid messages pass unchanged both ways', () => {
  for (const m of [{ type: 'runs', runs: [run], focus: null }, { type: 'metrics', batches: [batch] }]) assert.deepEqual(parseHostToDashboard(m), { ok: true, value: m });
  for (const m of [{ type: 'ready' }, { type: 'stop', runId: 'r' }, { type: 'resume', runId: 'r' }, { type: 'reveal', path: '/o' }, { type: 'openConfig', runId: 'r' }, { type: 'openEvaluation', runId: 'r' }]) assert.deepEqual(parseDashboardToHost(m), { ok: true, value: m });
  for (const m of [{ type: 'ready' }, { type: 'filter', filter: { search: 'x', codes: ['ok'] } }, { type: 'window', viewId: 1, start: 0, count: 500 }, { type: 'select', index: 3 }, { type: 'reveal', index: 0 }]) assert.deepEqual(parseInspectorToHost(m), { ok: true, value: m });
  const rec = { type: 'record', record: { index: 0, line: 0, raw: '{}', rawTruncated: false, messages: null, diagnostics: [], mask: { ok: false, reason: 'no model' } } };
  assert.deepEqual(parseHostToInspector(rec), { ok: true, value: rec });
});

test('malformed messages are rejected with the path of the bad field', () => {
  const cases: [unknown, string][] = [
    [null, 'message: expected an object, got null'],
    [{ type: 'explode' }, 'type: expected one of ready, stop, resume, reveal, openConfig, openEvaluation, got "explode"'],
    [{ type: 'stop', runId: 7 }, 'runId: expected a string, got 7'],
    [{ type: 'reveal' }, 'path: expected a string, got undefined'],
  ];
  for (const [m, error] of cases) assert.deepEqual(parseDashboardToHost(m), { ok: false, error });
  assert.deepEqual(parseHostToDashboard({ type: 'runs', runs: [{ ...run, status: 'exploded' }], focus: null }), { ok: false, error: 'runs[0].status: expected one of running, stopping, completed, stopped, failed, stale, got "exploded"' });
  assert.deepEqual(parseHostToDashboard({ type: 'metrics', batches: [{ ...batch, loss: [1] }] }), { ok: false, error: 'batches[0].loss: 1 values for 2 steps' });
  assert.deepEqual(parseHostToDashboard({ type: 'metrics', batches: [{ ...batch, loss: [1, Number.NaN] }] }), { ok: false, error: 'batches[0].loss[1]: expected a finite number, got a non-finite number' });
  assert.deepEqual(parseInspectorToHost({ type: 'window', viewId: 1, start: -1, count: 5 }), { ok: false, error: 'start: expected a non-negative integer, got -1' });
  assert.deepEqual(parseInspectorToHost({ type: 'window', viewId: 1, start: 0, count: 501 }), { ok: false, error: 'count: at most 500 rows per request, got 501' });
  assert.deepEqual(parseInspectorToHost({ type: 'filter', filter: { search: 'x', codes: 'ok' } }), { ok: false, error: 'filter.codes: expected an array, got "ok"' });
  assert.deepEqual(parseHostToInspector({ type: 'record', record: { index: 0, line: 0, raw: '', rawTruncated: false, messages: [{ role: 'user', content: 5 }], diagnostics: [], mask: { ok: false, reason: '' } } }), { ok: false, error: 'record.messages[0].content: expected a string, got 5' });
});
