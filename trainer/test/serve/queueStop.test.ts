import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelledError, JobQueue, QueueFullError } from '../../serve/queue';
import { StopTextStream } from '../../serve/stopText';

describe('StopTextStream', () => {
  it('holds back a tail that may become a stop string, and cuts before the stop', () => {
    const s = new StopTextStream(['###', '\nUser:']);
    const steps = ['Hello', 'Hello\n', 'Hello\nUs', 'Hello\nUsa', 'Hello\nUsa #', 'Hello\nUsa ##', 'Hello\nUsa ###', 'Hello\nUsa ### more'];
    const deltas = steps.map((t) => s.push(t));
    assert.deepEqual(deltas, ['Hello', '', '', '\nUsa', ' ', '', '', '']);
    assert.equal(s.stopped, true);
    assert.equal(s.text, 'Hello\nUsa ');
    assert.equal(s.finish('Hello\nUsa ### more'), '');
  });

  it('without a stop, the held tail is released by finish; incomplete UTF-8 (U+FFFD) waits for the next token', () => {
    const s = new StopTextStream(['END']);
    assert.equal(s.push('ab E'), 'ab ');
    assert.equal(s.push('ab EN\uFFFD'), '');
    assert.equal(s.push('ab EN\u00e9'), 'EN\u00e9');
    assert.equal(s.finish('ab EN\u00e9 E'), ' E');
    assert.equal(s.stopped, false);
    assert.equal(s.text, 'ab EN\u00e9 E');
    const none = new StopTextStream([]);
    assert.equal(none.push('x\uFFFD'), 'x');
    assert.equal(none.finish('xy'), 'y');
  });

  it('a stop string that arrives inside one token', () => {
    const s = new StopTextStream(['stop']);
    assert.equal(s.push('go'), 'go');
    assert.equal(s.push('go on, stop now'), ' on, ');
    assert.equal(s.text, 'go on, ');
  });
});

describe('JobQueue', () => {
  const gate = () => {
    let open!: () => void;
    const p = new Promise<void>((r) => (open = r));
    return { p, open };
  };

  it('runs one job at a time in arrival order, refuses past the bound, drops cancelled waiters', async () => {
    const q = new JobQueue(2);
    const order: string[] = [];
    const g = gate();
    const first = q.run(async () => {
      order.push('first start');
      await g.p;
      order.push('first end');
      return 1;
    });
    const abort = new AbortController();
    const second = q.run(async () => void order.push('second'), abort.signal);
    const third = q.run(async () => (order.push('third'), 3));
    assert.equal(q.busy, true);
    assert.equal(q.pending, 2);
    assert.equal(q.full, true);
    await assert.rejects(q.run(async () => 4), QueueFullError);
    abort.abort();
    await assert.rejects(second, CancelledError);
    assert.equal(q.pending, 1);
    g.open();
    assert.equal(await first, 1);
    assert.equal(await third, 3);
    assert.deepEqual(order, ['first start', 'first end', 'third']);
    await q.idle();
    assert.equal(q.busy, false);
    // A failing job does not stop the queue.
    await assert.rejects(q.run(async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await q.run(async () => 'after'), 'after');
  });
});
