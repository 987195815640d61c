import * as vscode from 'vscode';
import { validate, object, literal } from '../../common/protocol/check';
import type { Parsed, ReadyMessage } from '../../common/protocol/webview';
import { PanelHost, panelOptions, type PanelSpec } from './panel';

export const PLAN_VIEW_TYPE = 'tunelab.plan';

/** Until the plan protocol lands in common/protocol/webview.ts, the plan panel accepts only `ready`. */
const parsePlanIncoming = (v: unknown): Parsed<ReadyMessage> => validate(object({ type: literal('ready') }), v);
const spec: PanelSpec<ReadyMessage> = { kind: 'plan', title: 'Fine-tune or Prompt?', parseIncoming: parsePlanIncoming };

/** The "fine-tune or prompt?" panel (its webview is webviews/plan/); one per window. */
export class PlanController implements vscode.Disposable {
  private host: PanelHost<ReadyMessage, never> | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: (line: string) => void,
  ) {}

  show(_configUri?: vscode.Uri): void {
    if (this.host) {
      this.host.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(PLAN_VIEW_TYPE, spec.title, vscode.ViewColumn.Active, panelOptions(this.extensionUri, spec));
    this.attach(panel);
  }

  revive(panel: vscode.WebviewPanel): void {
    this.attach(panel);
  }

  dispose(): void {
    this.host?.dispose();
  }

  private attach(panel: vscode.WebviewPanel): void {
    const host = new PanelHost<ReadyMessage, never>(panel, this.extensionUri, spec, this.log);
    this.host = host;
    host.onDidDispose(() => {
      if (this.host === host) this.host = undefined;
    });
  }
}
