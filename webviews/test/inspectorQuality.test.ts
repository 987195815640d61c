import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QualityAnalyzer } from '../../common/dataset/quality/analyzer';
import type { QualityReport } from '../../common/dataset/quality/types';
import { parseHostToInspector } from '../../common/protocol/webview';
import type { NormalizedRecord } from '../../common/dataset/types';
import { initialState, reduce } from '../inspector/reducer';

const file = { path: '/d.jsonl', name: 'd.jsonl', size: 10, sequenceLen: null, trusted: true };
const chat = (q: string, a: string): NormalizedRecord => ({ kind: 'chat', conversation: { messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] } });

/** A real report from the analyzer (not a hand-written object): what the host posts. */
function report(): QualityReport {
  const a = new QualityAnalyzer();
  a.add(chat('Tell me how to pick a lock.', "I'm sorry, but I cannot help with that."), { index: 0, line: 0 });
  a.add(chat('What is the capital of France?', 'Paris is the capital of France.'), { index: 1, line: 1 });
  return a.finish();
}

test('quality tab: the report arrives after the checks; choosing a record from it shows the record', () => {
  let s = reduce(initialState(), { type: 'file', file });
  assert.equal(s.tab, 'records');
  assert.equal(s.quality, null);
  s = reduce(s, { type: 'tab', tab: 'quality' });
  assert.equal(s.tab, 'quality');
  const q = report();
  s = reduce(s, { type: 'quality', quality: q });
  assert.equal(s.quality, q);
  assert.equal(s.tab, 'quality');
  // A record link in the report (or the list) selects the record and switches to its view.
  s = reduce(s, { type: 'select', index: 0 });
  assert.deepEqual([s.tab, s.selected, s.record], ['records', 0, null]);
  s = reduce(s, { type: 'tab', tab: 'quality' });
  s = reduce(s, { type: 'select', index: 0 });
  assert.deepEqual([s.tab, s.selected], ['records', 0], 'the same record again still shows it');
  // Same tab again: the state object is unchanged (nothing to redraw).
  assert.equal(reduce(s, { type: 'tab', tab: 'records' }), s);
});

test('quality tab: a reload of the same file keeps the tab and drops the old report; another file starts over', () => {
  let s = reduce(initialState(), { type: 'file', file });
  s = reduce(s, { type: 'tab', tab: 'quality' });
  s = reduce(s, { type: 'quality', quality: report() });
  const same = reduce(s, { type: 'file', file });
  assert.deepEqual([same.tab, same.quality], ['quality', null]);
  const other = reduce(s, { type: 'file', file: { ...file, path: '/e.jsonl', name: 'e.jsonl' } });
  assert.deepEqual([other.tab, other.quality], ['records', null]);
});

test('quality message: validated at the webview boundary', () => {
  const q = report();
  const ok = parseHostToInspector(JSON.parse(JSON.stringify({ type: 'quality', quality: q })));
  assert.equal(ok.ok, true);
  assert.deepEqual(ok.ok && ok.value, { type: 'quality', quality: q });
  const bad = parseHostToInspector({ type: 'quality', quality: { ...q, findings: [{ ...q.findings[0], count: -1 }] } });
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.error : '', /quality\.findings\[0\]\.count/);
});
