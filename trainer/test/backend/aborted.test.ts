import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeBackendFailure } from '../../backend/aborted';

test("a WebAssembly abort names the likely cause (the heap) and what to lower; other errors pass through", () => {
  const abort = new Error('Aborted(). Build with -sASSERTIONS for more info.');
  assert.equal(
    describeBackendFailure(abort),
    'the wasm backend aborted, most likely out of memory (a WebAssembly heap holds at most 4 GiB): lower micro_batch_size or sequence_len (prefix and prompt tuning add peft_num_virtual_tokens to every sequence), or use --backend tensorflow (Aborted(). Build with -sASSERTIONS for more info.)',
  );
  assert.equal(describeBackendFailure(new Error('shapes [2, 3] and [4] do not match')), 'shapes [2, 3] and [4] do not match');
  assert.equal(describeBackendFailure('plain'), 'plain');
});
