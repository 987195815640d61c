/**
 * Errors of the chat core are data: every failure has a stable code (listed in
 * docs/diagnostics.md under "Chat templates, tokenizers and loss masking") and a message a user can
 * act on. Functions that can fail return an `Outcome`; nothing here throws into a caller.
 */

/** Stable codes; the server and the CLI turn them into diagnostics or one-line messages. */
export type ChatErrorCode =
  | 'chat-model-dir-missing'
  | 'chat-tokenizer-missing'
  | 'chat-tokenizer-invalid'
  | 'chat-tokenizer-config-invalid'
  | 'chat-template-missing'
  | 'chat-template-unknown'
  | 'chat-template-syntax'
  | 'chat-template-raised'
  | 'chat-template-failed'
  | 'chat-eot-token-invalid'
  | 'chat-train-on-eos-conflict'
  | 'chat-special-token-unknown'
  | 'chat-record-invalid';

/** One failure, located at a file when a file caused it. */
export interface ChatError {
  code: ChatErrorCode;
  message: string;
  /** The file (or directory) at fault, when there is one. */
  path?: string;
}

/** Either a value or the reason there is none. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ChatError };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });

export const fail = <T = never>(code: ChatErrorCode, message: string, path?: string): Outcome<T> => ({
  ok: false,
  error: path === undefined ? { code, message } : { code, message, path },
});

/** The message of anything thrown, without a stack. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Runs `fn`, turning anything it throws into a coded failure. The builders wrap their work in it
 * so that a tokenizer or template library bug on one odd record is one error, not a crash.
 */
export function guard<T>(fn: () => Outcome<T>, code: ChatErrorCode, what: string): Outcome<T> {
  try {
    return fn();
  } catch (e) {
    return fail(code, `${what} failed: ${messageOf(e)}`);
  }
}
