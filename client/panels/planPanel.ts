import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_PLAN_INPUTS, type PlanInputs } from '../../common/estimate/plan';
import { planStartFromConfig } from '../../common/estimate/planFacts';
import { parsePlanToHost, type HostToPlan, type PlanToHost } from '../../common/protocol/webview';
import { PanelHost, panelOptions, type PanelSpec } from './panel';

export const PLAN_VIEW_TYPE = 'tunelab.plan';
const spec: PanelSpec<PlanToHost> = { kind: 'plan', title: 'Fine-tune or Prompt?', parseIncoming: parsePlanToHost };

/**
 * The "fine-tune or prompt?" panel (its webview is webviews/plan/, which computes the plan
 * itself). The host supplies the starting inputs, inferred from a config when the panel is
 * opened from one, and keeps the user's edits so that a reload starts where they left off.
 */
export class PlanController implements vscode.Disposable {
  private host: PanelHost<PlanToHost, HostToPlan> | undefined;
  private configPath: string | null = null;
  private edited: PlanInputs | null = null;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: (line: string) => void,
  ) {}

  /** Opens the panel; a config (argument or active YAML editor) fills in what it can infer. */
  show(configUri?: vscode.Uri): void {
    const doc = vscode.window.activeTextEditor?.document;
    const config = configUri ?? (doc?.languageId === 'yaml' && doc.uri.scheme === 'file' ? doc.uri : undefined);
    const path = config?.fsPath ?? null;
    if (path !== this.configPath) this.edited = null;
    this.configPath = path;
    if (this.host) {
      this.host.panel.reveal();
      void this.sendInit();
      return;
    }
    const panel = vscode.window.createWebviewPanel(PLAN_VIEW_TYPE, spec.title, vscode.ViewColumn.Active, panelOptions(this.extensionUri, spec));
    this.attach(panel);
  }

  /** After a window reload: the webview saved its inputs as its state. */
  revive(panel: vscode.WebviewPanel, state: unknown): void {
    if (state && typeof state === 'object' && 'taskComplexity' in state) this.edited = state as PlanInputs;
    this.attach(panel);
  }

  dispose(): void {
    this.host?.dispose();
  }

  private attach(panel: vscode.WebviewPanel): void {
    const host = new PanelHost<PlanToHost, HostToPlan>(panel, this.extensionUri, spec, this.log);
    this.host = host;
    const subs = [
      host.onReady(() => void this.sendInit()),
      host.onMessage(async (m) => {
        if (m.type === 'inputs') this.edited = m.inputs;
        else if (m.type === 'openConfig' && this.configPath) await vscode.window.showTextDocument(vscode.Uri.file(this.configPath), { viewColumn: vscode.ViewColumn.One });
      }),
    ];
    host.onDidDispose(() => {
      for (const s of subs) s.dispose();
      if (this.host === host) this.host = undefined;
    });
  }

  private async sendInit(): Promise<void> {
    const configPath = this.configPath;
    let start: { inputs: PlanInputs; notes: string[]; estimate: string | null } = { inputs: DEFAULT_PLAN_INPUTS, notes: [], estimate: null };
    if (configPath) {
      const cwd = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(configPath))?.uri.fsPath ?? dirname(configPath);
      start = await planStartFromConfig(configPath, cwd).catch((e: Error) => ({ inputs: DEFAULT_PLAN_INPUTS, notes: [`could not read ${configPath}: ${e.message}`], estimate: null }));
    }
    this.host?.post({ type: 'init', inputs: this.edited ?? start.inputs, configPath, notes: this.edited ? [] : start.notes, estimate: start.estimate });
  }
}
