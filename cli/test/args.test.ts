// Option parsing shared by every command (cli/args.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from '../args';
import { UsageError } from '../command';

const options = { tasks: { type: 'string' }, output: { type: 'string' }, format: { type: 'string' } } as const;

function usageMessage(args: string[]): string {
  try {
    parse(args, options);
  } catch (e) {
    assert.ok(e instanceof UsageError);
    return e.message;
  }
  assert.fail('expected a usage error');
}

test('an unknown option names the nearest known one, in one line', () => {
  assert.equal(usageMessage(['--task', 'mmlu']), "unknown option '--task': did you mean '--tasks'? (see --help)");
  assert.equal(usageMessage(['--formt=json']), "unknown option '--formt': did you mean '--format'? (see --help)");
  assert.equal(usageMessage(['--output-dir', 'x']), "unknown option '--output-dir': did you mean '--output'? (see --help)");
  assert.equal(usageMessage(['--zzzzzz']), "unknown option '--zzzzzz' (see --help)");
});

test('other parse errors keep their text', () => {
  assert.equal(usageMessage(['--tasks']), "Option '--tasks <value>' argument missing");
});
