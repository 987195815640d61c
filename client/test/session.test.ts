import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { HostToInspector } from '../../common/protocol/webview';
import { histogram, messagesOf, previewOf, sampleIndexes, DatasetSession, type SessionHost } from '../dataset/session';

const chat = (user: string, assistant: string) => JSON.stringify({ messages: [{ role: 'user', content: user }, { role: 'assistant', content: assistant }] });
const LINES = [
  chat('What is 2+2?', '4'),
  JSON.stringify({ messages: [{ role: 'usr', content: 'hi' }, { role: 'assistant', content: 'hello' }] }),
  '{"messages": [',
  chat('What is 2+2?', '4'),
  chat('<img src=x onerror=alert(1)>', '<script>alert(2)</script>'),
];

function dataset(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-session-'));
  const path = join(dir, 'chat.jsonl');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function host(posts: HostToInspector[], trusted = true): SessionHost {
  return {
    post: (m) => posts.push(m),
    trusted,
    sequenceLen: 8,
    mask: async (index) => ({ ok: true, model: 'fixture', tokens: [{ text: `record ${index}`, trained: true }], trained: 1, truncated: 0 }),
  };
}

const last = <T extends HostToInspector['type']>(posts: HostToInspector[], type: T) => posts.filter((p): p is Extract<HostToInspector, { type: T }> => p.type === type).at(-1);

test('a session indexes, checks and serves windows, filters and records', async () => {
  const path = dataset(LINES);
  const posts: HostToInspector[] = [];
  const s = new DatasetSession(path, host(posts));
  await s.open();
  assert.deepEqual(posts[0], { type: 'file', file: { path, name: 'chat.jsonl', size: LINES.join('\n').length + 1, sequenceLen: 8, trusted: true } });
  assert.deepEqual(last(posts, 'view'), { type: 'view', viewId: 0, count: 5, complete: true, filter: { search: '', codes: [] } });

  const stats = last(posts, 'stats')!.stats;
  assert.equal(stats.records, 5);
  assert.equal(stats.format, 'openai');
  assert.equal(stats.unit, 'characters');
  assert.deepEqual(stats.duplicates, { count: 1, examples: [[3, 0]] });
  const codes = stats.codes.map((c) => c.code);
  assert.ok(codes.includes('dataset-invalid-json') && codes.includes('dataset-unknown-role') && codes.includes('dataset-duplicate'), codes.join(','));

  posts.length = 0;
  await s.window(0, 0, 10);
  const rows = last(posts, 'rows')!;
  assert.deepEqual(rows.rows.map((r) => [r.index, r.line, r.severity]), [[0, 0, 0], [1, 1, 1], [2, 2, 1], [3, 3, 2], [4, 4, 0]]);
  assert.equal(rows.rows[4]!.preview, LINES[4]);
  assert.deepEqual(rows.rows[1]!.codes, ['dataset-unknown-role', 'dataset-starts-with-assistant']);

  await s.setFilter({ search: '', codes: ['dataset-invalid-json'] });
  assert.deepEqual(last(posts, 'view'), { type: 'view', viewId: 1, count: 1, complete: true, filter: { search: '', codes: ['dataset-invalid-json'] } });
  await s.setFilter({ search: '2+2', codes: [] });
  assert.deepEqual(last(posts, 'view'), { type: 'view', viewId: 2, count: 2, complete: true, filter: { search: '2+2', codes: [] } });
  await s.window(2, 0, 10);
  assert.deepEqual(last(posts, 'rows')!.rows.map((r) => r.index), [0, 3]);
  // Case-insensitive, and combined with a code filter.
  await s.setFilter({ search: 'ONERROR', codes: ['ok'] });
  await s.window(3, 0, 10);
  assert.deepEqual(last(posts, 'rows')!.rows.map((r) => r.index), [4]);
  // A window of an outdated view is ignored.
  posts.length = 0;
  await s.window(1, 0, 10);
  assert.deepEqual(posts, []);

  await s.select(4);
  const detail = last(posts, 'record')!.record;
  assert.deepEqual(detail.messages, [
    { role: 'user', content: '<img src=x onerror=alert(1)>' },
    { role: 'assistant', content: '<script>alert(2)</script>' },
  ]);
  assert.deepEqual(detail.mask, { ok: true, model: 'fixture', tokens: [{ text: 'record 4', trained: true }], trained: 1, truncated: 0 });
  assert.equal(detail.raw, LINES[4]);
  s.dispose();
});

test('in an untrusted workspace the loss mask is not computed, and says why', async () => {
  const posts: HostToInspector[] = [];
  let asked = false;
  const h = { ...host(posts, false), mask: async () => ((asked = true), { ok: false as const, reason: 'x' }) };
  const s = new DatasetSession(dataset(LINES), h);
  await s.open();
  await s.select(0);
  const mask = last(posts, 'record')!.record.mask;
  assert.equal(asked, false);
  assert.deepEqual(mask, { ok: false, reason: "The loss-mask view runs the model's chat template, so it is off in an untrusted workspace. Trust the folder to see trained and masked tokens." });
  s.dispose();
});

test('helpers: previews, conversations, samples and histograms', () => {
  assert.equal(previewOf('  {"a":\n\t"b"}  '), '{"a": "b"}');
  assert.equal(previewOf('x'.repeat(300)).length, 240);
  assert.deepEqual(messagesOf(JSON.stringify({ conversations: [{ from: 'human', value: 'q' }, { from: 'gpt', value: 'a' }] })), [
    { role: 'user', content: 'q' },
    { role: 'assistant', content: 'a' },
  ]);
  assert.deepEqual(messagesOf(JSON.stringify({ instruction: 'Add', input: '1 1', output: '2' }))?.map((m) => m.role), ['user', 'assistant']);
  assert.equal(messagesOf('not json'), null);
  assert.deepEqual(sampleIndexes(3, 5), [0, 1, 2]);
  assert.deepEqual(sampleIndexes(10, 4), [0, 2, 5, 7]);
  assert.deepEqual(histogram([1, 2, 9, 10], 5, null), { edges: [0, 2, 4, 6, 8, 10, 12], counts: [1, 1, 0, 0, 1, 1] });
  assert.deepEqual(histogram([1, 2], 4, 8), { edges: [0, 2, 4, 6, 8, 10], counts: [1, 1, 0, 0, 0] });
  assert.deepEqual(histogram([], 4, null), { edges: [0, 1], counts: [0] });
});
