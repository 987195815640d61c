import type { Parsed } from '../../common/protocol/webview';

/** The API VS Code injects into a webview (called once per page). */
export interface VsCodeApi<S> {
  postMessage(message: unknown): void;
  getState(): S | undefined;
  setState(state: S): void;
}

declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

/**
 * The webview end of a panel's protocol: validates what the host posts, queues it, and hands the
 * queue over once per animation frame, so that hundreds of messages a second cost one render.
 * Outgoing messages are typed by `Out`; the host validates them again.
 */
export class Messenger<In, Out, S> {
  private readonly api: VsCodeApi<S>;
  private queue: In[] = [];
  private scheduled = false;

  constructor(
    private readonly parse: (v: unknown) => Parsed<In>,
    private readonly onBatch: (messages: In[]) => void,
  ) {
    this.api = acquireVsCodeApi<S>();
    window.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
  }

  /** Tells the host the page listens; call after the first render is set up. */
  ready(): void {
    this.api.postMessage({ type: 'ready' });
  }

  post(message: Out): void {
    this.api.postMessage(message);
  }

  /** What the page saved for a reload (panel serializer). */
  get saved(): S | undefined {
    return this.api.getState();
  }

  save(state: S): void {
    this.api.setState(state);
  }

  private receive(data: unknown): void {
    const parsed = this.parse(data);
    if (!parsed.ok) {
      console.warn(`tunelab: dropped a malformed message: ${parsed.error}`);
      return;
    }
    this.queue.push(parsed.value);
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      const batch = this.queue;
      this.queue = [];
      this.onBatch(batch);
    });
  }
}
