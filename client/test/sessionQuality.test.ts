import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { HostToInspector } from '../../common/protocol/webview';
import { DatasetSession } from '../dataset/session';

const chat = (user: string, assistant: string) => JSON.stringify({ messages: [{ role: 'user', content: user }, { role: 'assistant', content: assistant }] });
const LONG =
  'The mitochondria is the powerhouse of the cell. It produces most of the energy the cell needs, in the form of ATP, through respiration in its inner membrane and matrix. ' +
  'Mitochondria have their own DNA, inherited from the mother, and divide on their own inside the cell. They also take part in signalling, in cell growth and in programmed ' +
  'cell death, which is why faults in them cause a wide range of diseases.';

test('the session posts the quality report after the checks, near-duplicates verified from the records read by offset', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-session-quality-'));
  try {
    const path = join(dir, 'chat.jsonl');
    const lines = [chat('What do mitochondria do?', LONG), chat('Tell me how to pick a lock.', "I'm sorry, but I cannot help with that."), '', chat('What do mitochondria do in a cell?', LONG.replace('most of', 'nearly all of'))];
    writeFileSync(path, lines.join('\n') + '\n');
    const posts: HostToInspector[] = [];
    const s = new DatasetSession(path, { post: (m) => posts.push(m), trusted: true, sequenceLen: null, mask: async () => ({ ok: false, reason: 'none' }) });
    await s.open();
    s.dispose();
    const types = posts.map((p) => p.type);
    // After the statistics, once.
    assert.deepEqual(types.filter((t) => t === 'quality'), ['quality']);
    assert.ok(types.indexOf('quality') > types.indexOf('stats'));
    const q = (posts.find((p) => p.type === 'quality') as Extract<HostToInspector, { type: 'quality' }>).quality;
    assert.deepEqual([q.records, q.analysed], [3, 3]);
    assert.deepEqual(q.findings.map((g) => [g.code, g.examples.map((e) => [e.index, e.line])]), [
      ['quality-near-duplicate', [[2, 3]]],
      ['quality-refusal', [[1, 1]]],
    ]);
    assert.deepEqual(q.nearDuplicates.clusters, [{ first: { index: 0, line: 0 }, members: [{ index: 2, line: 3, jaccard: 0.833, verified: true }] }]);
    assert.equal(q.nearDuplicates.verified, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
