/**
 * Streaming decoded text with stop strings (OpenAI `stop`): the text is cut before the first
 * occurrence of any stop string, and while streaming, a tail that could still become a stop
 * string (or an incomplete UTF-8 sequence, decoded as U+FFFD) is held back until the next token
 * settles it. So streamed deltas always concatenate to the final text.
 */
export class StopTextStream {
  private shown = '';
  private done = false;
  private readonly longest: number;

  constructor(private readonly stops: readonly string[]) {
    this.longest = Math.max(0, ...stops.map((s) => s.length));
  }

  /** Whether a stop string has been seen. */
  get stopped(): boolean {
    return this.done;
  }

  /** The text emitted so far. */
  get text(): string {
    return this.shown;
  }

  /**
   * Takes the whole decoded text so far; returns the new text that may be shown now ('' if none).
   * After a stop string is seen, returns '' for ever.
   */
  push(decoded: string): string {
    if (this.done) return '';
    const cut = this.findStop(decoded);
    if (cut >= 0) {
      this.done = true;
      return this.advance(decoded.slice(0, cut));
    }
    let safe = decoded.replace(/\uFFFD+$/, '');
    safe = safe.slice(0, safe.length - this.heldTail(safe));
    return this.advance(safe);
  }

  /** The final decoded text: returns the rest to show (cut at a stop string). */
  finish(decoded: string): string {
    if (this.done) return '';
    const cut = this.findStop(decoded);
    if (cut >= 0) this.done = true;
    const final = cut >= 0 ? decoded.slice(0, cut) : decoded;
    const delta = this.advance(final);
    // A decoder that revised earlier text (rare; never for byte-level BPE) still ends on the final text.
    if (!final.startsWith(this.shown)) this.shown = final;
    return delta;
  }

  private advance(text: string): string {
    if (text.length <= this.shown.length || !text.startsWith(this.shown)) return '';
    const delta = text.slice(this.shown.length);
    this.shown = text;
    return delta;
  }

  /** Index of the earliest stop string, or -1; only the part that new text can reach is searched. */
  private findStop(text: string): number {
    if (this.stops.length === 0) return -1;
    const from = Math.max(0, this.shown.length - this.longest);
    let best = -1;
    for (const s of this.stops) {
      const i = text.indexOf(s, from);
      if (i >= 0 && (best < 0 || i < best)) best = i;
    }
    return best;
  }

  /** Length of the longest suffix of `text` that is a proper prefix of a stop string. */
  private heldTail(text: string): number {
    let held = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, text.length); n > held; n--) {
        if (text.endsWith(s.slice(0, n))) {
          held = n;
          break;
        }
      }
    }
    return held;
  }
}
