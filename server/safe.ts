/**
 * Language services never throw into the transport: a failing feature logs once to the client's
 * output and answers with its empty result, so one bad document cannot take the server down or
 * leave a request unanswered.
 */
export interface Logger {
  error(message: string): void;
}

/** Runs `fn`; on an exception logs `what` with the stack and returns `fallback`. */
export function guard<T>(log: Logger, what: string, fallback: T, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    log.error(`tunelab: ${what} failed: ${(e as Error)?.stack ?? String(e)}`);
    return fallback;
  }
}

/** The async form of {@link guard}. */
export async function guardAsync<T>(log: Logger, what: string, fallback: T, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    log.error(`tunelab: ${what} failed: ${(e as Error)?.stack ?? String(e)}`);
    return fallback;
  }
}
