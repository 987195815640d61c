import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, parseEvent } from '../protocol/events';

test('LineSplitter joins lines split across chunks and keeps the tail', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('{"a":1}\n{"b"'), ['{"a":1}']);
  assert.deepEqual(s.push(':2}\r\n\n{"c":'), ['{"b":2}']);
  assert.deepEqual(s.flush(), ['{"c":']);
  assert.deepEqual(s.flush(), []);
});

test('parseEvent accepts version 1 events and explains rejections', () => {
  const ok = parseEvent('{"v":1,"type":"log","time":"t","run_id":"r","level":"info","message":"hi"}');
  assert.deepEqual(ok, { v: 1, type: 'log', time: 't', run_id: 'r', level: 'info', message: 'hi' });
  assert.deepEqual(parseEvent('{"v":2,"type":"log"}'), { error: 'unsupported event version 2' });
  assert.deepEqual(parseEvent('{"v":1,"type":"nope"}'), { error: 'unknown event type "nope"' });
  assert.deepEqual(parseEvent('[1]'), { error: 'not a JSON object' });
  assert.ok('error' in parseEvent('{'));
});
