/**
 * One generation at a time on the CPU, in arrival order: a FIFO with a bound on waiting jobs.
 * A full queue refuses at once (the server answers 503 with Retry-After) instead of holding
 * connections without limit; a job whose client went away is removed before it runs.
 */

/** The queue is full. */
export class QueueFullError extends Error {}

/** The job was cancelled while it waited. */
export class CancelledError extends Error {}

interface Waiting {
  start(): void;
  cancel(): void;
}

export class JobQueue {
  private running = false;
  private readonly waiting: Waiting[] = [];

  /** `maxWaiting` jobs may wait behind the running one. */
  constructor(readonly maxWaiting: number) {}

  /** Whether `run` would refuse a job now. */
  get full(): boolean {
    return this.running && this.waiting.length >= this.maxWaiting;
  }

  /** Jobs waiting (not counting the one running). */
  get pending(): number {
    return this.waiting.length;
  }

  /** Whether a job is running. */
  get busy(): boolean {
    return this.running;
  }

  /**
   * Runs `task` when every earlier job has finished. Throws `QueueFullError` at once when the
   * queue is full, and rejects with `CancelledError` if `signal` aborts before it starts.
   */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.running && this.waiting.length >= this.maxWaiting) return Promise.reject(new QueueFullError(`${this.waiting.length} requests are already waiting`));
    if (signal?.aborted) return Promise.reject(new CancelledError('cancelled before it started'));
    return new Promise<T>((resolve, reject) => {
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.running = true;
        task()
          .then(resolve, reject)
          .finally(() => {
            this.running = false;
            this.waiting.shift()?.start();
          });
      };
      const entry: Waiting = { start: go, cancel: () => reject(new CancelledError('cancelled while waiting')) };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) {
          this.waiting.splice(i, 1);
          entry.cancel();
        }
      };
      if (!this.running) go();
      else {
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(entry);
      }
    });
  }

  /** Resolves when nothing runs or waits. */
  async idle(): Promise<void> {
    while (this.running || this.waiting.length > 0) await new Promise((r) => setTimeout(r, 20));
  }
}
