/**
 * What a WebAssembly abort means for a user. tfjs's wasm backend is an Emscripten module: when its
 * heap cannot grow (4 GiB at most, less when the machine is short), malloc aborts the whole module
 * with "Aborted(). Build with -sASSERTIONS for more info.", which names neither the cause nor a remedy.
 */

const WASM_ABORT = /^(?:RuntimeError: )?Aborted\(/;

/** A readable message for an error thrown by a backend: WebAssembly aborts get the likely cause and what to lower. */
export function describeBackendFailure(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  if (!WASM_ABORT.test(message)) return message;
  return (
    'the wasm backend aborted, most likely out of memory (a WebAssembly heap holds at most 4 GiB): ' +
    'lower micro_batch_size or sequence_len (prefix and prompt tuning add peft_num_virtual_tokens to every sequence), ' +
    `or use --backend tensorflow (${message})`
  );
}
