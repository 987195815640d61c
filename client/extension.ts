import * as vscode from 'vscode';
import { LspCommands, type EstimateResult } from '../common/protocol/lsp';
import { looksLikeConfigText } from './configDetect';
import { ServerConnection } from './languageClient';
import { DASHBOARD_VIEW_TYPE, DashboardController } from './panels/dashboardPanel';
import { EVALUATION_VIEW_TYPE, EvaluationController } from './panels/evaluationPanel';
import { INSPECTOR_VIEW_TYPE, InspectorController } from './panels/inspectorPanel';
import { PLAN_VIEW_TYPE, PlanController } from './panels/planPanel';
import { RunManager } from './runs/runManager';
import { TunelabTaskProvider } from './tasks';

const loadedAt = performance.now();


/** What untrusted workspaces are told when they ask for something that would execute code. */
const UNTRUSTED = 'Tunelab is in restricted mode: this workspace is not trusted, so configs and datasets are checked but nothing runs (training, evaluation, merging and the loss-mask view execute code or chat templates from the workspace).';

/**
 * Activation (on YAML, JSON/JSONL, a Tunelab command or a restored panel): the language client,
 * the run manager, the panels, commands and the task provider. Nothing heavy happens here: the
 * server starts in the background and runs are rediscovered when the dashboard first asks.
 */
export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const activateStarted = performance.now();
  const output = vscode.window.createOutputChannel('Tunelab');
  const log = (line: string) => output.appendLine(line);
  const server = new ServerConnection(context, output);
  const runs = new RunManager(context.extensionPath, output);
  const dashboard = new DashboardController(context.extensionUri, runs, log);
  const inspector = new InspectorController(context.extensionUri, () => server.client, log);
  const plan = new PlanController(context.extensionUri, log);
  const evaluation = new EvaluationController(context.extensionUri, log);
  context.subscriptions.push(output, runs, dashboard, inspector, plan, evaluation, { dispose: () => void server.dispose() });

  const guard = <A extends unknown[]>(fn: (...args: A) => unknown) => (...args: A) => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(UNTRUSTED, 'Manage Workspace Trust').then((a) => a && vscode.commands.executeCommand('workbench.trust.manage'));
      return;
    }
    return fn(...args);
  };

  const command = (id: string, fn: (...args: never[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn as (...args: unknown[]) => unknown));
  command(
    LspCommands.train,
    guard(async (arg?: unknown) => {
      const uri = await configUriOf(arg);
      if (!uri) return;
      dashboard.show(null, true);
      await runs.start(uri);
    }),
  );
  command('tunelab.resume', guard((runId?: unknown) => runs.resume(typeof runId === 'string' ? runId : undefined)));
  command('tunelab.stop', (runId?: unknown) => runs.stop(typeof runId === 'string' ? runId : undefined));
  command('tunelab.importRun', guard((arg?: unknown) => runs.importFolder(toUri(arg))));
  command('tunelab.showDashboard', (runId?: unknown) => dashboard.show(typeof runId === 'string' ? runId : null));
  command(LspCommands.inspectDataset, async (arg?: unknown, record?: unknown) => {
    const uri = await datasetUriOf(arg);
    if (uri) inspector.show(uri, typeof record === 'number' && Number.isInteger(record) && record >= 0 ? record : undefined);
  });
  command('tunelab.plan', (arg?: unknown) => plan.show(toUri(arg)));
  command('tunelab.showEvaluation', (arg?: unknown) => evaluation.show(toUri(arg)));
  command(LspCommands.showEstimate, (_uri?: unknown, breakdown?: EstimateResult) => showEstimate(breakdown));
  command('tunelab.restartServer', () => server.restart());
  command('tunelab.showOutput', () => output.show(true));

  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, { deserializeWebviewPanel: async (p) => dashboard.revive(p) }),
    vscode.window.registerWebviewPanelSerializer(INSPECTOR_VIEW_TYPE, { deserializeWebviewPanel: async (p, state) => inspector.revive(p, state) }),
    vscode.window.registerWebviewPanelSerializer(PLAN_VIEW_TYPE, { deserializeWebviewPanel: async (p, state) => plan.revive(p, state) }),
    vscode.window.registerWebviewPanelSerializer(EVALUATION_VIEW_TYPE, { deserializeWebviewPanel: async (p, state) => evaluation.revive(p, state) }),
    vscode.tasks.registerTaskProvider('tunelab', new TunelabTaskProvider(context.extensionPath, runs)),
    vscode.window.onDidChangeActiveTextEditor((e) => updateIsConfig(e)),
    vscode.workspace.onDidChangeTextDocument((e) => e.document === vscode.window.activeTextEditor?.document && updateIsConfig(vscode.window.activeTextEditor)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      log('workspace trusted: training and the loss-mask view are available; restarting the language server');
      void server.restart();
    }),
  );
  updateIsConfig(vscode.window.activeTextEditor);
  void vscode.commands.executeCommand('setContext', 'tunelab.runActive', false);
  if (!vscode.workspace.isTrusted) log(UNTRUSTED);

  void server.start();
  const now = performance.now();
  log(`Tunelab activated: activate() took ${(now - activateStarted).toFixed(1)} ms (${(now - loadedAt).toFixed(1)} ms since the bundle was evaluated)`);
}

export function deactivate(): void {}

function updateIsConfig(editor: vscode.TextEditor | undefined): void {
  const doc = editor?.document;
  const isConfig = doc !== undefined && doc.languageId === 'yaml' && looksLikeConfigText(doc.getText(new vscode.Range(0, 0, 400, 0)));
  void vscode.commands.executeCommand('setContext', 'tunelab.isConfig', isConfig);
}

function toUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg.length > 0) return /^[a-z][a-z0-9+.-]+:/i.test(arg) && !/^[a-z]:[\\/]/i.test(arg) ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  return undefined;
}

/** The config to train: the argument (a code lens passes the uri), else the active YAML editor, else a pick. */
async function configUriOf(arg: unknown): Promise<vscode.Uri | undefined> {
  const given = toUri(arg);
  if (given) return given;
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && doc.languageId === 'yaml' && doc.uri.scheme === 'file') return doc.uri;
  const files = await vscode.workspace.findFiles('**/*.{yml,yaml}', '{**/node_modules/**,**/.git/**}', 200);
  const configs: vscode.Uri[] = [];
  for (const f of files) if (looksLikeConfigText(Buffer.from(await vscode.workspace.fs.readFile(f)).subarray(0, 32768).toString('utf8'))) configs.push(f);
  if (configs.length === 0) {
    void vscode.window.showInformationMessage('No fine-tuning config (a YAML file with base_model) was found in this workspace.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(configs.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })), { placeHolder: 'Which config should train?' });
  return pick?.uri;
}

async function datasetUriOf(arg: unknown): Promise<vscode.Uri | undefined> {
  const given = toUri(arg);
  if (given) return given;
  const doc = vscode.window.activeTextEditor?.document;
  if (doc && doc.uri.scheme === 'file' && /\.(jsonl|ndjson|json)$/i.test(doc.uri.fsPath)) return doc.uri;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Datasets: ['jsonl', 'ndjson', 'json'] }, title: 'Inspect a dataset' });
  return picked?.[0];
}

function showEstimate(breakdown: EstimateResult | undefined): void {
  if (!breakdown) return;
  if (!breakdown.ok) {
    void vscode.window.showWarningMessage(`No estimate: ${breakdown.reason}`);
    return;
  }
  // A modal shows plain text: drop Markdown emphasis, table rules and pipes.
  const plain = breakdown.markdown
    .split('\n')
    .filter((l) => !/^\s*\|?\s*:?-{3,}/.test(l))
    .map((l) => l.replace(/^\s*\||\|\s*$/g, '').replace(/\s*\|\s*/g, '  ').replace(/[*_`#]/g, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
  void vscode.window.showInformationMessage(breakdown.title, { modal: true, detail: plain });
}
