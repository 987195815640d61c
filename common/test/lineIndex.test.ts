import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineIndex } from '../text/lineIndex';

test('positions across \\n, \\r\\n and \\r line breaks', () => {
  const idx = new LineIndex('ab\ncd\r\nef\rg');
  assert.equal(idx.lineCount, 4);
  assert.deepEqual(idx.positionAt(0), { line: 0, character: 0 });
  assert.deepEqual(idx.positionAt(3), { line: 1, character: 0 });
  assert.deepEqual(idx.positionAt(5), { line: 1, character: 2 });
  assert.deepEqual(idx.positionAt(7), { line: 2, character: 0 });
  assert.deepEqual(idx.positionAt(10), { line: 3, character: 0 });
  assert.deepEqual(idx.positionAt(99), { line: 3, character: 1 });
  assert.equal(idx.offsetAt({ line: 1, character: 1 }), 4);
  assert.equal(idx.offsetAt({ line: 1, character: 50 }), 5);
  assert.equal(idx.lineEnd(1), 5);
  assert.deepEqual(idx.range(3, 5), { start: { line: 1, character: 0 }, end: { line: 1, character: 2 } });
});
