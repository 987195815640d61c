/**
 * When to restart a crashed language server: up to `maxRestarts` crashes within `windowMs`, then
 * give up (a server that crashes at start-up would otherwise spin forever). Pure: the clock is
 * passed in.
 */
export class RestartPolicy {
  private crashes: number[] = [];

  constructor(
    readonly maxRestarts = 4,
    readonly windowMs = 3 * 60_000,
  ) {}

  /** Records a crash at `now` and says whether to restart. */
  crashed(now: number): boolean {
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    return this.crashes.length <= this.maxRestarts;
  }

  /** A manual restart forgives earlier crashes. */
  reset(): void {
    this.crashes = [];
  }

  get recentCrashes(): number {
    return this.crashes.length;
  }
}
