import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { LineSplitter, parseEvent, type TrainerEvent } from '../../common/protocol/events';
import { importRuns, writeImportedEvents } from '../../common/runs/index';
import type { MetricBatch, RunSummary } from '../../common/protocol/webview';
import { formatDuration, formatLoss, humanLine, stepStatusText } from './format';
import { foldEventsText, RunTracker } from './runTracker';
import { trainerCommand } from './trainerCommand';

/** Where a run's human-readable lines go besides the output channel (a task's terminal). */
export interface RunSink {
  line(text: string): void;
  exited(code: number): void;
}

interface Proc {
  child: ChildProcess;
  configPath: string;
  runId: string | null;
  stopRequested: boolean;
  sink?: RunSink;
}

/** How long a stopping trainer gets to checkpoint before the user is offered a hard kill. */
const STOP_GRACE_MS = 120_000;
/** How often new metric points are handed to the dashboard: batched, so 100 steps/s stay smooth. */
const FLUSH_MS = 200;

/**
 * Starts, stops, resumes and remembers training runs. The trainer runs as a subprocess
 * (`tunelab train CONFIG --json`); its stdout events feed a {@link RunTracker} per run. Runs
 * started elsewhere (a terminal, a task, an earlier window) are found through their
 * `<output_dir>/events.jsonl` files and followed while those grow.
 */
export class RunManager implements vscode.Disposable {
  private readonly trackers = new Map<string, RunTracker>();
  private readonly procs = new Set<Proc>();
  private readonly tails = new Map<string, { offset: number; splitter: LineSplitter }>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly runsChanged = new vscode.EventEmitter<{ focus: string | null }>();
  private readonly metricsArrived = new vscode.EventEmitter<MetricBatch[]>();
  private readonly statusItem: vscode.StatusBarItem;
  private flushTimer: NodeJS.Timeout | undefined;
  private discovered: Promise<void> | undefined;

  /** Fires when the list of runs or one's status changes. */
  readonly onDidChangeRuns = this.runsChanged.event;
  /** Fires with new metric points, at most every {@link FLUSH_MS}. */
  readonly onDidAppendMetrics = this.metricsArrived.event;

  constructor(
    private readonly extensionPath: string,
    private readonly output: vscode.OutputChannel,
  ) {
    this.statusItem = vscode.window.createStatusBarItem('tunelab.run', vscode.StatusBarAlignment.Left, 50);
    this.statusItem.name = 'Tunelab Training';
    this.statusItem.command = 'tunelab.showDashboard';
    const watcher = vscode.workspace.createFileSystemWatcher('**/events.jsonl');
    watcher.onDidChange((u) => void this.tail(u.fsPath), null, this.disposables);
    watcher.onDidCreate((u) => void this.tail(u.fsPath), null, this.disposables);
    this.disposables.push(watcher, this.statusItem, this.runsChanged, this.metricsArrived);
  }

  /** Every known run, newest first. */
  summaries(): RunSummary[] {
    return [...this.trackers.values()].map((t) => t.summary()).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** Full series of every run, for a dashboard that (re)opens. */
  fullBatches(): MetricBatch[] {
    return [...this.trackers.values()].map((t) => t.fullBatch());
  }

  isActive(): boolean {
    return [...this.procs].length > 0;
  }

  /** Reads every events.jsonl in the workspace once (later calls wait for the same pass). */
  discover(): Promise<void> {
    this.discovered ??= (async () => {
      const files = await vscode.workspace.findFiles('**/events.jsonl', '{**/node_modules/**,**/.git/**}', 500);
      await Promise.all(files.map((f) => this.tail(f.fsPath)));
      await this.discoverElsewhere(new Set(files.map((f) => dirname(f.fsPath))));
    })();
    return this.discovered;
  }

  /**
   * Runs made elsewhere that sit in the workspace (a Transformers output or checkpoint folder,
   * TensorBoard logs) and have no events.jsonl of their own: shown from memory (common/runs), so
   * a cluster run copied into the workspace appears without writing into it. Large files wait for
   * an explicit import.
   */
  private async discoverElsewhere(withEvents: Set<string>): Promise<void> {
    const exclude = '{**/node_modules/**,**/.git/**}';
    const found = [...(await vscode.workspace.findFiles('**/trainer_state.json', exclude, 200)), ...(await vscode.workspace.findFiles('**/events.out.tfevents.*', exclude, 200))];
    const dirs = new Set<string>();
    for (const f of found) {
      try {
        if ((await fs.stat(f.fsPath)).size > 32 * 2 ** 20) continue;
      } catch {
        continue;
      }
      let d = dirname(f.fsPath);
      if (/^checkpoint-\d+$/.test(basename(d))) d = dirname(d);
      // TensorBoard files live in <output_dir>/runs/<date_host>/: the run belongs to output_dir.
      if (basename(f.fsPath).startsWith('events.out.tfevents.') && basename(dirname(d)) === 'runs') d = dirname(dirname(d));
      if (!withEvents.has(d)) dirs.add(d);
    }
    let added = 0;
    for (const d of dirs) {
      const result = importRuns(d);
      const text = result.runs.flatMap((r) => r.events).map((e) => JSON.stringify(e)).join('\n');
      if (!text) continue;
      for (const t of foldEventsText(text, join(d, 'events.jsonl'), parseEvent).runs) {
        if (this.trackers.has(t.id)) continue;
        this.trackers.set(t.id, t);
        added++;
      }
    }
    if (added > 0) this.runsChanged.fire({ focus: null });
  }

  /** Starts training a config. Resolves when the process has been spawned. */
  async start(configUri: vscode.Uri, options: { resume?: boolean; maxSteps?: number; backend?: string; sink?: RunSink } = {}): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      const msg = 'Tunelab runs nothing in an untrusted workspace: training executes the config and its datasets. Trust the folder to train.';
      options.sink?.line(msg);
      options.sink?.exited(2);
      void vscode.window.showWarningMessage(msg, 'Manage Workspace Trust').then((a) => a && vscode.commands.executeCommand('workbench.trust.manage'));
      return;
    }
    const configPath = configUri.fsPath;
    if ([...this.procs].some((p) => p.configPath === configPath)) {
      options.sink?.line(`${configPath} is already training in this window.`);
      options.sink?.exited(1);
      const a = await vscode.window.showWarningMessage(`${basename(configPath)} is already training.`, 'Show Dashboard', 'Stop');
      if (a === 'Show Dashboard') await vscode.commands.executeCommand('tunelab.showDashboard');
      if (a === 'Stop') await this.stop();
      return;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === configPath);
    if (doc?.isDirty) await doc.save();

    const settings = vscode.workspace.getConfiguration('tunelab', configUri);
    const cmd = trainerCommand({
      cliPath: join(this.extensionPath, 'bin', 'tunelab.js'),
      configPath,
      resume: options.resume ?? false,
      backend: options.backend ?? settings.get<string>('backend', 'auto'),
      maxSteps: options.maxSteps,
      nodePath: settings.get<string>('nodePath', ''),
      execPath: process.execPath,
      isElectron: typeof process.versions.electron === 'string',
      env: process.env,
      engine: settings.get<string>('engine', 'builtin'),
      python: settings.get<string>('python', ''),
      gpus: settings.get<number>('gpus', 1),
    });
    const cwd = vscode.workspace.getWorkspaceFolder(configUri)?.uri.fsPath ?? dirname(configPath);
    this.output.appendLine(`\n[${new Date().toLocaleTimeString()}] ${options.resume ? 'resume' : 'train'} ${configPath}`);
    this.output.appendLine(`$ ${[cmd.command, ...cmd.args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
    const child = spawn(cmd.command, cmd.args, { cwd, env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const proc: Proc = { child, configPath, runId: null, stopRequested: false, sink: options.sink };
    this.procs.add(proc);
    void vscode.commands.executeCommand('setContext', 'tunelab.runActive', true);

    const out = new LineSplitter();
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => out.push(chunk).forEach((l) => this.onStdoutLine(proc, l)));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => this.output.append(chunk));

    const exited = new Promise<void>((resolve) => {
      child.on('error', (err) => {
        this.output.appendLine(`could not start the trainer: ${err.message}`);
        void vscode.window.showErrorMessage(`Tunelab could not start the trainer (${cmd.command}): ${err.message}. Check the tunelab.nodePath setting.`);
      });
      child.on('close', (code, signal) => {
        out.flush().forEach((l) => this.onStdoutLine(proc, l));
        this.procs.delete(proc);
        const t = proc.runId ? this.trackers.get(proc.runId) : undefined;
        t?.processExited(code, signal);
        this.output.appendLine(`trainer exited (${signal ?? `code ${code}`})`);
        proc.sink?.exited(code ?? 1);
        void vscode.commands.executeCommand('setContext', 'tunelab.runActive', this.procs.size > 0);
        this.flush();
        this.runsChanged.fire({ focus: proc.runId });
        this.updateStatus();
        if (t) this.announceEnd(t);
        else if (code !== 0) void this.offerOutput(`Training ${basename(configPath)} ended before it started (exit ${signal ?? code}).`);
        resolve();
      });
    });
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Training ${basename(configPath)}`, cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => this.stopProc(proc));
        let reported = 0;
        const sub = this.onDidAppendMetrics(() => {
          const t = proc.runId ? this.trackers.get(proc.runId) : undefined;
          const e = t?.lastStepEvent;
          if (!e) return;
          const pct = e.total_steps > 0 ? (100 * e.step) / e.total_steps : 0;
          progress.report({ message: proc.stopRequested ? 'stopping: saving a checkpoint…' : stepStatusText(e), increment: Math.max(0, pct - reported) });
          reported = Math.max(reported, pct);
        });
        return exited.finally(() => sub.dispose());
      },
    );
  }

  /** Stops the given run, or the only active one (asks when several run). */
  async stop(runId?: string): Promise<void> {
    const procs = [...this.procs];
    let proc = runId ? procs.find((p) => p.runId === runId) : procs.length === 1 ? procs[0] : undefined;
    if (!proc && !runId && procs.length > 1) {
      const pick = await vscode.window.showQuickPick(
        procs.map((p) => ({ label: basename(p.configPath), description: p.runId ?? 'starting', proc: p })),
        { placeHolder: 'Which run should stop?' },
      );
      proc = pick?.proc;
    }
    if (!proc) {
      if (procs.length === 0) void vscode.window.showInformationMessage('No Tunelab training run is active in this window.');
      return;
    }
    this.stopProc(proc);
  }

  /** Stops the run of a config if one is active (a task's terminal closed). */
  stopByConfig(configPath: string): void {
    const p = [...this.procs].find((x) => x.configPath === configPath);
    if (p) this.stopProc(p);
  }

  /** Resumes a run from its latest checkpoint (`tunelab train CONFIG --resume`). */
  async resume(runId?: string): Promise<void> {
    await this.discover();
    // An imported run has no config Tunelab could train again: it is shown, not resumed.
    const candidates = this.summaries().filter((s) => s.resumable && !s.backend.endsWith('(imported)'));
    let run = runId ? candidates.find((s) => s.id === runId) : candidates.length === 1 ? candidates[0] : undefined;
    if (!run && !runId && candidates.length > 1) {
      const pick = await vscode.window.showQuickPick(
        candidates.map((s) => ({ label: s.label, description: `${s.status} at step ${s.lastStep}/${s.totalSteps}`, run: s })),
        { placeHolder: 'Which run should resume from its latest checkpoint?' },
      );
      run = pick?.run;
    }
    if (!run) {
      if (candidates.length === 0) void vscode.window.showInformationMessage('No stopped Tunelab run with a checkpoint was found in this workspace.');
      return;
    }
    await this.start(vscode.Uri.file(run.configPath), { resume: true });
  }

  /**
   * Imports a run made elsewhere (a Transformers output or checkpoint folder, TensorBoard logs, an
   * Axolotl log) into `<dir>/events.jsonl` (common/runs), then shows it beside the local runs.
   */
  async importFolder(target?: vscode.Uri): Promise<void> {
    let uri = target;
    if (!uri) {
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: true, canSelectMany: false, openLabel: 'Import Run', title: 'A training output folder, checkpoint-N, TensorBoard log folder or log file' });
      uri = picked?.[0];
    }
    if (!uri) return;
    const result = importRuns(uri.fsPath);
    for (const p of result.problems) this.output.appendLine(`${p.path}${p.offset !== undefined ? `@${p.offset}` : ''}: ${p.severity} ${p.code}: ${p.message}`);
    if (result.runs.length === 0) {
      void this.offerOutput(`Nothing to import from ${basename(uri.fsPath)}: ${result.problems[0]?.message ?? 'no training metrics found'}`);
      return;
    }
    const written = writeImportedEvents(result);
    if (written.written) {
      this.tails.delete(written.path); // re-read from the start: the file was replaced
      await this.tail(written.path);
    }
    else {
      // A live run's events.jsonl stays as it is: fold the imported events in memory only.
      const { runs } = foldEventsText(result.runs.flatMap((r) => r.events).map((e) => JSON.stringify(e)).join('\n'), written.path, parseEvent);
      for (const r of runs) this.trackers.set(r.id, r);
      this.runsChanged.fire({ focus: null });
    }
    const first = result.runs[0]!;
    this.runsChanged.fire({ focus: first.runId });
    this.flush();
    void vscode.commands.executeCommand('tunelab.showDashboard', first.runId);
  }

  dispose(): void {
    clearTimeout(this.flushTimer);
    // Leave no orphan: a window that closes asks its trainers to checkpoint and stop.
    for (const p of this.procs) p.child.kill('SIGTERM');
    for (const d of this.disposables) d.dispose();
  }

  private stopProc(proc: Proc): void {
    if (proc.stopRequested) return;
    proc.stopRequested = true;
    const t = proc.runId ? this.trackers.get(proc.runId) : undefined;
    if (t) t.status = 'stopping';
    this.output.appendLine('stop requested: the trainer finishes its step and writes a checkpoint');
    proc.child.kill('SIGTERM');
    this.runsChanged.fire({ focus: proc.runId });
    this.updateStatus();
    const timer = setTimeout(async () => {
      if (!this.procs.has(proc)) return;
      const a = await vscode.window.showWarningMessage(`The trainer for ${basename(proc.configPath)} has not stopped after ${STOP_GRACE_MS / 1000} s.`, 'Kill It', 'Keep Waiting');
      if (a === 'Kill It' && this.procs.has(proc)) proc.child.kill('SIGKILL');
    }, STOP_GRACE_MS);
    proc.child.once('close', () => clearTimeout(timer));
  }

  private onStdoutLine(proc: Proc, line: string): void {
    const e = parseEvent(line);
    if ('error' in e) {
      this.output.appendLine(`(unparsed trainer output: ${e.error}) ${line.slice(0, 300)}`);
      return;
    }
    if (!proc.runId) {
      proc.runId = e.run_id;
      // A resumed run keeps its id: continue the same tracker (its points before the checkpoint stay).
      const t = this.trackers.get(e.run_id) ?? new RunTracker(e.run_id, '');
      t.active = true;
      this.trackers.set(e.run_id, t);
    }
    const t = this.trackers.get(proc.runId)!;
    this.applyEvent(t, e, proc.sink);
  }

  private applyEvent(t: RunTracker, e: TrainerEvent, sink?: RunSink): void {
    const before = t.status;
    t.apply(e);
    if (t.active && proc(this.procs, t.id)?.stopRequested && t.status === 'running') t.status = 'stopping';
    const line = humanLine(e);
    if (line !== null) {
      if (t.active) this.output.appendLine(line);
      sink?.line(line);
    }
    if (e.type === 'run_start' || e.type === 'checkpoint' || e.type === 'done' || e.type === 'error' || t.status !== before) {
      this.runsChanged.fire({ focus: e.type === 'run_start' ? t.id : null });
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batches = [...this.trackers.values()].map((t) => t.takeBatch()).filter((b): b is MetricBatch => b !== null);
    if (batches.length > 0) this.metricsArrived.fire(batches);
    this.updateStatus();
  }

  private updateStatus(): void {
    const running = [...this.procs].map((p) => (p.runId ? this.trackers.get(p.runId) : undefined));
    if (running.length === 0) {
      this.statusItem.hide();
      return;
    }
    const t = running[0];
    const e = t?.lastStepEvent;
    const stopping = [...this.procs][0].stopRequested;
    const text = stopping ? 'stopping…' : e ? stepStatusText(e) : 'starting…';
    this.statusItem.text = `$(${stopping ? 'debug-stop' : 'sync~spin'}) ${text}${running.length > 1 ? ` (+${running.length - 1})` : ''}`;
    this.statusItem.tooltip = e
      ? `Tunelab: ${basename([...this.procs][0].configPath)}\nstep ${e.step} of ${e.total_steps}, epoch ${e.epoch.toFixed(2)}\nloss ${formatLoss(e.loss)}, lr ${e.lr.toExponential(2)}\nelapsed ${formatDuration(e.elapsed)}${e.eta === null ? '' : `, ETA ${formatDuration(e.eta)}`}\nClick for the dashboard.`
      : 'Tunelab: the trainer is loading the model and data';
    this.statusItem.show();
  }

  /** Reads what is new in an events.jsonl file (all of it the first time) and applies it. */
  private async tail(path: string): Promise<void> {
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(path, 'r');
      const { size } = await handle.stat();
      let state = this.tails.get(path);
      const fresh = !state || size < state.offset;
      if (!state || fresh) this.tails.set(path, (state = { offset: 0, splitter: new LineSplitter() }));
      if (size === state.offset) return;
      const buf = Buffer.alloc(size - state.offset);
      await handle.read(buf, 0, buf.length, state.offset);
      state.offset = size;
      const text = buf.toString('utf8');
      if (fresh) {
        // A first read folds the whole file at once (fast for 100,000 lines) rather than event by event.
        const { runs } = foldEventsText(state.splitter.push(text).join('\n'), path, parseEvent);
        for (const r of runs) if (!this.trackers.get(r.id)?.active) this.trackers.set(r.id, r);
        if (runs.length) this.runsChanged.fire({ focus: null });
        return;
      }
      for (const line of state.splitter.push(text)) {
        const e = parseEvent(line);
        if ('error' in e) continue;
        let t = this.trackers.get(e.run_id);
        if (t?.active) continue; // our own process: its stdout already carries these events
        if (!t) this.trackers.set(e.run_id, (t = new RunTracker(e.run_id, path)));
        this.applyEvent(t, e);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.output.appendLine(`could not read ${path}: ${(err as Error).message}`);
    } finally {
      await handle?.close();
    }
  }

  private announceEnd(t: RunTracker): void {
    const s = t.summary();
    if (s.status === 'completed') {
      const loss = s.final?.evalLoss ?? s.final?.trainLoss;
      void vscode.window
        .showInformationMessage(`Training finished${loss == null ? '' : ` (loss ${formatLoss(loss)})`}: ${s.outputDir}`, 'Show Dashboard')
        .then((a) => a && vscode.commands.executeCommand('tunelab.showDashboard'));
    } else if (s.status === 'stopped') {
      const cp = s.checkpoints.at(-1);
      void vscode.window
        .showInformationMessage(`Training stopped at step ${s.lastStep}${cp ? `; checkpoint ${cp.path}` : ''}.`, ...(cp ? ['Resume'] : []))
        .then((a) => {
          if (a === 'Resume') void this.resume(t.id);
        });
    } else if (s.status === 'failed') {
      void this.offerOutput(`Training failed: ${s.error ?? 'see the output'}`);
    }
  }

  private async offerOutput(message: string): Promise<void> {
    if ((await vscode.window.showErrorMessage(message, 'Show Output')) === 'Show Output') this.output.show(true);
  }
}

function proc(procs: Set<Proc>, runId: string): Proc | undefined {
  return [...procs].find((p) => p.runId === runId);
}
