import { join } from 'node:path';
import * as vscode from 'vscode';
import { looksLikeConfigText } from './configDetect';
import type { RunManager } from './runs/runManager';

/** The `tunelab` task type's definition, as written in tasks.json. */
export interface TunelabTaskDefinition extends vscode.TaskDefinition {
  type: 'tunelab';
  command: 'train' | 'validate';
  config: string;
  resume?: boolean;
  maxSteps?: number;
  backend?: string;
}

const isDefinition = (d: vscode.TaskDefinition): d is TunelabTaskDefinition =>
  d.type === 'tunelab' && (d.command === 'train' || d.command === 'validate') && typeof d.config === 'string';

/**
 * Runs `tunelab` tasks. `train` goes through the run manager (a pseudoterminal shows its log and
 * the dashboard its curves, exactly as the Train command); `validate` runs the CLI with the
 * `$tunelab` problem matcher, so its findings land in the Problems view.
 */
export class TunelabTaskProvider implements vscode.TaskProvider {
  constructor(
    private readonly extensionPath: string,
    private readonly runs: RunManager,
  ) {}

  /** Offers one train and one validate task per config found in the workspace. */
  async provideTasks(): Promise<vscode.Task[]> {
    const files = await vscode.workspace.findFiles('**/*.{yml,yaml}', '{**/node_modules/**,**/.git/**}', 200);
    const tasks: vscode.Task[] = [];
    for (const f of files) {
      const folder = vscode.workspace.getWorkspaceFolder(f);
      if (!folder) continue;
      const head = Buffer.from(await vscode.workspace.fs.readFile(f)).subarray(0, 64 * 1024).toString('utf8');
      if (!looksLikeConfigText(head)) continue;
      const rel = vscode.workspace.asRelativePath(f, false);
      tasks.push(this.build({ type: 'tunelab', command: 'train', config: rel }, folder)!);
      tasks.push(this.build({ type: 'tunelab', command: 'validate', config: rel }, folder)!);
    }
    return tasks;
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    if (!isDefinition(task.definition)) return undefined;
    const scope = task.scope && typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
    return scope ? this.build(task.definition, scope, task) : undefined;
  }

  private build(def: TunelabTaskDefinition, folder: vscode.WorkspaceFolder, original?: vscode.Task): vscode.Task | undefined {
    const configPath = join(folder.uri.fsPath, def.config);
    const name = original?.name ?? `${def.command} ${def.config}`;
    if (def.command === 'validate') {
      const nodePath = vscode.workspace.getConfiguration('tunelab', folder.uri).get<string>('nodePath', '');
      const electron = typeof process.versions.electron === 'string' && nodePath === '';
      const exec = new vscode.ProcessExecution(nodePath || process.execPath, [join(this.extensionPath, 'bin', 'tunelab.js'), 'validate', configPath], {
        cwd: folder.uri.fsPath,
        env: electron ? { ELECTRON_RUN_AS_NODE: '1' } : {},
      });
      const t = new vscode.Task(def, folder, name, 'tunelab', exec, ['$tunelab']);
      t.group = vscode.TaskGroup.Test;
      return t;
    }
    const exec = new vscode.CustomExecution(async () => new TrainTerminal(this.runs, vscode.Uri.file(configPath), def));
    const t = new vscode.Task(def, folder, name, 'tunelab', exec, []);
    t.group = vscode.TaskGroup.Build;
    t.isBackground = false;
    return t;
  }
}

/** The terminal of a train task: the run manager's human log, and the trainer's exit code. */
class TrainTerminal implements vscode.Pseudoterminal {
  private readonly writer = new vscode.EventEmitter<string>();
  private readonly closer = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writer.event;
  readonly onDidClose = this.closer.event;

  constructor(
    private readonly runs: RunManager,
    private readonly config: vscode.Uri,
    private readonly def: TunelabTaskDefinition,
  ) {}

  open(): void {
    this.writer.fire(`tunelab train ${this.config.fsPath}${this.def.resume ? ' --resume' : ''}\r\n`);
    void this.runs.start(this.config, {
      resume: this.def.resume,
      maxSteps: this.def.maxSteps,
      backend: this.def.backend,
      sink: { line: (l) => this.writer.fire(`${l}\r\n`), exited: (code) => this.closer.fire(code) },
    });
  }

  /** Closing the terminal stops the run gracefully (it checkpoints). */
  close(): void {
    void this.runs.stopByConfig(this.config.fsPath);
  }
}
