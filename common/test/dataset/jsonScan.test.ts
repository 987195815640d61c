import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeAtPath, scanJson } from '../../dataset/jsonScan';
import { validateDatasetTextAsync, validateDatasetText } from '../../dataset/index';

test('the scanner says where and why a record is not JSON, in the words of the usual mistakes', () => {
  const cases: [string, number, string][] = [
    [`{'role': 'user'}`, 1, "expected a property name in double quotes, found a single quote (JSON strings use double quotes)"],
    ['{"a": NaN}', 6, 'NaN is not valid JSON (use null or a string)'],
    ['{"a": None}', 6, 'None is Python, not JSON (use null)'],
    ['{"a": True}', 6, 'True is Python, not JSON (use true)'],
    ['{"a": 1,}', 8, "trailing comma before '}'"],
    ['[1, 2,]', 6, "trailing comma before ']'"],
    ['{"a" 1}', 5, `expected ':' after property name "a", found '1'`],
    ['{"a": 1 "b": 2}', 8, `expected ',' or '}' after the value of "a", found '"'`],
    ['{"a": "x\\q"}', 8, "invalid escape '\\q' in string"],
    ['{"a": "\\u12G4"}', 7, 'invalid \\u escape: expected 4 hex digits'],
    ['{"a": "tab\there"}', 10, 'control character inside a string (escape it)'],
    ['{"a": 1} x', 9, "unexpected 'x' after the end of the record"],
    ['{"a": ', 6, 'expected a value, found end of record'],
    ['{"a": "open', 6, 'unterminated string'],
  ];
  for (const [text, offset, message] of cases) {
    assert.deepEqual(scanJson(text).error, { offset, message }, text);
    assert.throws(() => JSON.parse(text), SyntaxError, `JSON.parse agrees that ${text} is invalid`);
  }
});

test('offsets of keys and values, the last duplicate key winning as in JSON.parse', () => {
  const text = '{"messages": [{"role": "user", "content": "hi"}], "x": 1, "x": [true, null]}';
  const { root } = scanJson(text);
  assert.ok(root);
  const role = nodeAtPath(root, ['messages', 0, 'role']);
  assert.deepEqual([role.complete, text.slice(role.node.start, role.node.end), text.slice(role.node.keyStart, role.node.keyEnd)], [true, '"user"', '"role"']);
  const x = nodeAtPath(root, ['x', 1]);
  assert.deepEqual([x.complete, text.slice(x.node.start, x.node.end)], [true, 'null']);
  const missing = nodeAtPath(root, ['messages', 3, 'role']);
  assert.deepEqual([missing.complete, missing.node.type, text.slice(missing.node.start, missing.node.start + 2)], [false, 'array', '[{']);
});

test('the language server path: validation in slices yields between them and can stop', async () => {
  const text = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ text: `record ${i}` })).join('\n');
  let pauses = 0;
  const whole = await validateDatasetTextAsync(text, {}, { sliceChars: 4096, yield: async () => void pauses++ });
  assert.equal(pauses, Math.ceil(text.length / 4096));
  const { cancelled, ...report } = whole;
  assert.equal(cancelled, false);
  assert.deepEqual(report, validateDatasetText(text));
  let slices = 0;
  const stopped = await validateDatasetTextAsync(text, {}, { sliceChars: 4096, isCancelled: () => ++slices > 3, yield: async () => undefined });
  assert.equal(stopped.cancelled, true);
  assert.ok(stopped.summary.records > 0 && stopped.summary.records < 2000, `${stopped.summary.records} records read before stopping`);
});
