import * as vscode from 'vscode';
import type { PanelKind, Parsed } from '../../common/protocol/webview';
import { makeNonce, panelHtml } from './html';

export { escapeHtml, makeNonce, panelHtml } from './html';

/** A panel's static description: its kind (view type `tunelab.<kind>`, bundle `dist/webviews/<kind>.js`) and message check. */
export interface PanelSpec<In> {
  kind: PanelKind;
  title: string;
  /** Validates what the webview posts; rejected messages are logged and dropped. */
  parseIncoming(v: unknown): Parsed<In>;
  /** Keep the page alive while hidden (live charts); otherwise it reloads and says `ready` again. */
  retainContextWhenHidden?: boolean;
}

/** The only folder a panel may load from: the webview bundles (the elements library is bundled into them). */
export function webviewRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webviews')];
}

export function panelOptions(extensionUri: vscode.Uri, spec: PanelSpec<unknown>): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    enableForms: false,
    localResourceRoots: webviewRoots(extensionUri),
    retainContextWhenHidden: spec.retainContextWhenHidden ?? false,
  };
}

/**
 * One open panel: owns the WebviewPanel, sets its HTML and options, runs the ready handshake and
 * validates every incoming message. Messages posted before the webview is ready are dropped:
 * on each `ready` (first load, reload after being hidden, window reload) the owner re-sends the
 * whole state through `onReady`, which makes a queue unnecessary.
 */
export class PanelHost<In extends { type: string }, Out> implements vscode.Disposable {
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly readyEmitter = new vscode.EventEmitter<void>();
  private readonly messageEmitter = new vscode.EventEmitter<Exclude<In, { type: 'ready' }>>();
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  /** The webview (re)started and listens: send the full state. */
  readonly onReady = this.readyEmitter.event;
  /** A validated message other than `ready`. */
  readonly onMessage = this.messageEmitter.event;
  readonly onDidDispose = this.disposeEmitter.event;

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly spec: PanelSpec<In>,
    private readonly log: (line: string) => void,
  ) {
    const webview = panel.webview;
    webview.options = panelOptions(extensionUri, spec);
    webview.html = panelHtml({
      kind: spec.kind,
      title: spec.title,
      nonce: makeNonce(),
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webviews', `${spec.kind}.js`)).toString(),
    });
    webview.onDidReceiveMessage((raw: unknown) => this.receive(raw), null, this.disposables);
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    this.disposables.push(this.readyEmitter, this.messageEmitter);
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Posts when the webview listens; returns false when the message was dropped. */
  post(message: Out): boolean {
    if (!this.ready) return false;
    void this.panel.webview.postMessage(message);
    return true;
  }

  dispose(): void {
    this.ready = false;
    const ds = this.disposables.splice(0);
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
    for (const d of ds) d.dispose();
    this.panel.dispose();
  }

  private receive(raw: unknown): void {
    const parsed = this.spec.parseIncoming(raw);
    if (!parsed.ok) {
      this.log(`${this.spec.kind} panel: dropped a malformed message (${parsed.error})`);
      return;
    }
    const msg = parsed.value;
    if (msg.type === 'ready') {
      this.ready = true;
      this.readyEmitter.fire();
    } else {
      this.messageEmitter.fire(msg as Exclude<In, { type: 'ready' }>);
    }
  }
}
