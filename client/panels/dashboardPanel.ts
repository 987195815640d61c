import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { parseDashboardToHost, type DashboardToHost, type HostToDashboard } from '../../common/protocol/webview';
import type { RunManager } from '../runs/runManager';
import { RUN_EVAL_REPORT } from './evaluationPanel';
import { PanelHost, panelOptions, type PanelSpec } from './panel';

const spec: PanelSpec<DashboardToHost> = { kind: 'dashboard', title: 'Tunelab Runs', parseIncoming: parseDashboardToHost, retainContextWhenHidden: true };
export const DASHBOARD_VIEW_TYPE = 'tunelab.dashboard';

/**
 * The run dashboard: one panel per window, fed by the run manager. On every `ready` it gets the
 * full list of runs and their series; after that, run changes and batched metric points.
 */
export class DashboardController implements vscode.Disposable {
  private host: PanelHost<DashboardToHost, HostToDashboard> | undefined;
  private focus: string | null = null;
  private subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: RunManager,
    private readonly log: (line: string) => void,
  ) {}

  /** Opens (or reveals) the dashboard, optionally bringing one run into view. */
  show(focus: string | null = null, preserveFocus = false): void {
    this.focus = focus;
    if (this.host) {
      this.host.panel.reveal(undefined, preserveFocus);
      this.postRuns();
      return;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, spec.title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, panelOptions(this.extensionUri, spec));
    this.attach(panel);
  }

  /** Called by the serializer after a window reload. */
  revive(panel: vscode.WebviewPanel): void {
    this.host?.dispose();
    this.attach(panel);
  }

  dispose(): void {
    this.host?.dispose();
  }

  private attach(panel: vscode.WebviewPanel): void {
    const host = new PanelHost<DashboardToHost, HostToDashboard>(panel, this.extensionUri, spec, this.log);
    this.host = host;
    this.subscriptions = [
      host.onReady(async () => {
        await this.runs.discover();
        this.postRuns();
        host.post({ type: 'metrics', batches: this.runs.fullBatches() });
      }),
      host.onMessage((m) => void this.handle(m)),
      this.runs.onDidChangeRuns((e) => {
        if (e.focus) this.focus = e.focus;
        this.postRuns();
      }),
      this.runs.onDidAppendMetrics((batches) => host.post({ type: 'metrics', batches })),
    ];
    host.onDidDispose(() => {
      for (const s of this.subscriptions) s.dispose();
      if (this.host === host) this.host = undefined;
    });
  }

  private postRuns(): void {
    if (!this.host) return;
    // A run's evaluation report is a file the trainer (eval_tasks) or `tunelab eval --out` writes
    // into its output folder, whoever trained it: look for it rather than trust an event.
    const runs = this.runs.summaries().map((s) => {
      const report = join(s.outputDir, RUN_EVAL_REPORT);
      return { ...s, evalReport: existsSync(report) ? report : null };
    });
    this.host.post({ type: 'runs', runs, focus: this.focus });
  }

  private async handle(m: Exclude<DashboardToHost, { type: 'ready' }>): Promise<void> {
    switch (m.type) {
      case 'stop':
        return this.runs.stop(m.runId);
      case 'resume':
        return this.runs.resume(m.runId);
      case 'reveal': {
        // Only paths the dashboard was given (a run's output folder or checkpoints) are revealed.
        const known = this.runs.summaries().some((s) => s.outputDir === m.path || s.checkpoints.some((c) => c.path === m.path));
        if (!known) return this.log(`dashboard asked to reveal an unknown path: ${m.path}`);
        await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(m.path));
        return;
      }
      case 'openEvaluation': {
        const run = this.runs.summaries().find((s) => s.id === m.runId);
        if (run) await vscode.commands.executeCommand('tunelab.showEvaluation', vscode.Uri.file(join(run.outputDir, RUN_EVAL_REPORT)));
        return;
      }
      case 'openConfig': {
        const run = this.runs.summaries().find((s) => s.id === m.runId);
        if (!run) return;
        try {
          await vscode.window.showTextDocument(vscode.Uri.file(run.configPath), { viewColumn: vscode.ViewColumn.One });
        } catch {
          void vscode.window.showWarningMessage(`The config of this run is gone: ${run.configPath} (its folder: ${dirname(run.configPath)})`);
        }
        return;
      }
    }
  }
}
