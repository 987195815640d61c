import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { parseEvalReport } from '../../common/eval/report';
import { parseEvaluationToHost, type EvaluationToHost, type HostToEvaluation } from '../../common/protocol/webview';
import { PanelHost, panelOptions, type PanelSpec } from './panel';

export const EVALUATION_VIEW_TYPE = 'tunelab.evaluation';
const spec: PanelSpec<EvaluationToHost> = { kind: 'evaluation', title: 'Tunelab Evaluation', parseIncoming: parseEvaluationToHost };

/** The file a run's end-of-training evaluation writes (trainer, `eval_tasks:`). */
export const RUN_EVAL_REPORT = 'eval_report.json';

/**
 * Reads an eval report file for the panel: the message to post, a located reason when the file
 * is missing, not JSON or not a report (nothing stale is shown).
 */
export async function readReportMessage(path: string): Promise<HostToEvaluation> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { type: 'error', path, message: code === 'ENOENT' ? `${path} does not exist (yet): run \`tunelab eval --out ${basename(path)}\` or train with eval_tasks.` : `${path} cannot be read: ${(e as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { type: 'error', path, message: `${path} is not JSON: ${(e as Error).message}` };
  }
  const report = parseEvalReport(json);
  if ('error' in report) return { type: 'error', path, message: `${path} is not a Tunelab eval report: ${report.error}` };
  return { type: 'report', path, report };
}

/**
 * The eval-results panel: one per window, showing one report file. It follows the file on disk,
 * so a `tunelab eval --out` or a run that writes its report again refreshes the panel.
 */
export class EvaluationController implements vscode.Disposable {
  private host: PanelHost<EvaluationToHost, HostToEvaluation> | undefined;
  private path: string | null = null;
  private watcher: vscode.FileSystemWatcher | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: (line: string) => void,
  ) {}

  /** Opens the panel on a report file (argument, active editor, or a pick among the workspace's reports). */
  async show(arg?: vscode.Uri): Promise<void> {
    const uri = arg ?? (await this.chooseReport());
    if (!uri) return;
    this.follow(uri.fsPath);
    if (this.host) {
      this.host.panel.reveal();
      await this.sendReport();
      return;
    }
    const panel = vscode.window.createWebviewPanel(EVALUATION_VIEW_TYPE, spec.title, vscode.ViewColumn.Active, panelOptions(this.extensionUri, spec));
    this.attach(panel);
  }

  /** After a window reload: the panel's report path was kept as its state. */
  revive(panel: vscode.WebviewPanel, state: unknown): void {
    const saved = state && typeof state === 'object' && typeof (state as { path?: unknown }).path === 'string' ? (state as { path: string }).path : null;
    if (saved) this.follow(saved);
    this.attach(panel);
  }

  dispose(): void {
    this.watcher?.dispose();
    this.host?.dispose();
  }

  private follow(path: string): void {
    if (path === this.path) return;
    this.path = path;
    this.watcher?.dispose();
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dirname(path)), basename(path)));
    const refresh = () => void this.sendReport();
    this.watcher.onDidChange(refresh);
    this.watcher.onDidCreate(refresh);
    this.watcher.onDidDelete(refresh);
  }

  private attach(panel: vscode.WebviewPanel): void {
    const host = new PanelHost<EvaluationToHost, HostToEvaluation>(panel, this.extensionUri, spec, this.log);
    this.host = host;
    const subs = [
      host.onReady(() => void this.sendReport()),
      host.onMessage(async (m) => {
        if (m.type === 'openSource' && this.path) await vscode.window.showTextDocument(vscode.Uri.file(this.path), { viewColumn: vscode.ViewColumn.One });
        else if (m.type === 'pickReport') await this.show(await this.chooseReport(true));
      }),
    ];
    host.onDidDispose(() => {
      for (const s of subs) s.dispose();
      if (this.host === host) this.host = undefined;
    });
  }

  private async sendReport(): Promise<void> {
    if (!this.host) return;
    const message: HostToEvaluation = this.path ? await readReportMessage(this.path) : { type: 'error', path: null, message: 'No report chosen.' };
    this.host.post(message);
    if (message.type === 'error') this.log(`evaluation panel: ${message.message}`);
  }

  /** The active editor's JSON report, else a pick among the workspace's reports, else a file dialog. */
  private async chooseReport(always = false): Promise<vscode.Uri | undefined> {
    const doc = vscode.window.activeTextEditor?.document;
    if (!always && doc && doc.uri.scheme === 'file' && /\.json$/i.test(doc.uri.fsPath) && !('error' in parseEvalReportText(doc.getText()))) return doc.uri;
    const found = await vscode.workspace.findFiles('**/*eval*report*.json', '{**/node_modules/**,**/.git/**}', 100);
    if (found.length > 0) {
      const pick = await vscode.window.showQuickPick(
        found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })),
        { placeHolder: 'Which evaluation report?' },
      );
      if (pick) return pick.uri;
      if (!always) return undefined;
    }
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Eval reports': ['json'] }, title: 'Open an evaluation report' });
    return picked?.[0];
  }
}

function parseEvalReportText(text: string): ReturnType<typeof parseEvalReport> {
  try {
    return parseEvalReport(JSON.parse(text));
  } catch (e) {
    return { error: (e as Error).message };
  }
}
