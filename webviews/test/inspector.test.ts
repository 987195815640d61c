import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RowSummary } from '../../common/protocol/webview';
import { initialState, missingWindow, reduce, ROW_CACHE } from '../inspector/reducer';
import { visibleRange } from '../inspector/virtualList';

const row = (index: number): RowSummary => ({ index, line: index, preview: `r${index}`, codes: [], severity: 0 });
const file = { path: '/d.jsonl', name: 'd.jsonl', size: 10, sequenceLen: null, trusted: true };

test('rows belong to their view; a new view drops the old rows; late rows are ignored', () => {
  let s = reduce(initialState(), { type: 'file', file });
  s = reduce(s, { type: 'view', viewId: 0, count: 100, complete: false, filter: { search: '', codes: [] } });
  s = reduce(s, { type: 'rows', viewId: 0, start: 10, rows: [row(10), row(11)] });
  assert.deepEqual(Object.keys(s.rows), ['10', '11']);
  s = reduce(s, { type: 'view', viewId: 0, count: 200, complete: true, filter: { search: '', codes: [] } });
  assert.deepEqual(Object.keys(s.rows), ['10', '11'], 'a growing view keeps its rows');
  s = reduce(s, { type: 'view', viewId: 1, count: 1, complete: true, filter: { search: 'x', codes: [] } });
  assert.deepEqual(s.rows, {});
  s = reduce(s, { type: 'rows', viewId: 0, start: 0, rows: [row(0)] });
  assert.deepEqual(s.rows, {});
  s = reduce(s, { type: 'view', viewId: 0, count: 5, complete: true, filter: { search: '', codes: [] } });
  assert.equal(s.view.viewId, 1, 'an older view never replaces a newer one');
});

test('the row cache stays bounded around the newest window', () => {
  let s = reduce(initialState(), { type: 'view', viewId: 0, count: 1_000_000, complete: true, filter: { search: '', codes: [] } });
  for (let start = 0; start < 5000; start += 500) s = reduce(s, { type: 'rows', viewId: 0, start, rows: Array.from({ length: 500 }, (_, k) => row(start + k)) });
  const keys = Object.keys(s.rows).map(Number);
  assert.equal(keys.length, ROW_CACHE);
  assert.equal(Math.min(...keys), 5000 - ROW_CACHE);
});

test('selection and a late record answer', () => {
  let s = reduce(initialState(), { type: 'select', index: 4 });
  const rec = (index: number) => ({ index, line: index, raw: '{}', rawTruncated: false, messages: null, diagnostics: [], mask: { ok: false as const, reason: 'r' } });
  s = reduce(s, { type: 'record', record: rec(3) });
  assert.equal(s.record, null);
  s = reduce(s, { type: 'record', record: rec(4) });
  assert.equal(s.record?.index, 4);
});

test('which window to request', () => {
  let s = reduce(initialState(), { type: 'view', viewId: 0, count: 1000, complete: true, filter: { search: '', codes: [] } });
  assert.deepEqual(missingWindow(s, 100, 120, 50, 500), { start: 50, count: 121 });
  s = reduce(s, { type: 'rows', viewId: 0, start: 50, rows: Array.from({ length: 121 }, (_, k) => row(50 + k)) });
  assert.equal(missingWindow(s, 100, 120, 50, 500), null);
  assert.deepEqual(missingWindow(s, 990, 1010, 50, 500), { start: 940, count: 60 });
});

test('the virtual list maps a scroll position to rows, compressing huge lists', () => {
  assert.deepEqual(visibleRange(100, 0, 220, 22), { first: 0, last: 9, offset: 0, spacer: 2200 });
  assert.deepEqual(visibleRange(100, 33, 220, 22), { first: 1, last: 11, offset: 11, spacer: 2200 });
  const huge = visibleRange(10_000_000, 8_000_000 - 440, 440, 22);
  assert.equal(huge.spacer, 8_000_000);
  assert.equal(huge.last, 9_999_999);
  assert.equal(visibleRange(0, 0, 400).last, -1);
});

test('no webview source writes markup from strings', () => {
  const root = join(import.meta.dirname, '..');
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (name !== 'test') walk(p);
      } else if (p.endsWith('.ts')) {
        const text = readFileSync(p, 'utf8');
        if (/\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/.test(text)) offenders.push(p);
      }
    }
  };
  walk(root);
  assert.deepEqual(offenders, []);
});
