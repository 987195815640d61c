import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { RestartPolicy } from './restartPolicy';

/** The documents the server looks at; it decides itself which YAML is a config and which JSON a dataset. */
export const documentSelector = [
  { scheme: 'file', language: 'yaml' },
  { scheme: 'untitled', language: 'yaml' },
  { scheme: 'file', language: 'jsonl' },
  { scheme: 'file', language: 'json' },
];

/**
 * The language client over IPC, with a restart policy and a status bar item that shows whether
 * the server runs. `restart()` is what the "Restart Language Server" command calls.
 */
export class ServerConnection implements vscode.Disposable {
  readonly client: LanguageClient;
  private readonly policy = new RestartPolicy();
  private readonly item: vscode.StatusBarItem;
  private gaveUp = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
  ) {
    const module = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server', 'server.cjs').fsPath;
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector,
      outputChannel: output,
      synchronize: { configurationSection: 'tunelab' },
      initializationOptions: { trusted: vscode.workspace.isTrusted },
      // The record hover highlights trained spans with <span> styles; VS Code sanitises the HTML.
      markdown: { supportHtml: true },
      errorHandler: this.errorHandler(),
    };
    this.client = new LanguageClient('tunelab', 'Tunelab Language Server', serverOptions, clientOptions);
    this.item = vscode.window.createStatusBarItem('tunelab.server', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Tunelab Language Server';
    this.disposables.push(
      this.item,
      this.client.onDidChangeState((e) => this.show(e.newState)),
    );
    this.show(State.Stopped);
    this.item.show();
  }

  async start(): Promise<void> {
    this.showStarting();
    try {
      await this.client.start();
    } catch (e) {
      this.output.appendLine(`the language server did not start: ${(e as Error).message}`);
      this.gaveUp = true;
      this.show(State.Stopped);
    }
  }

  async restart(): Promise<void> {
    this.policy.reset();
    this.gaveUp = false;
    this.showStarting();
    if (this.client.isRunning()) await this.client.restart();
    else await this.start();
  }

  async dispose(): Promise<void> {
    for (const d of this.disposables) d.dispose();
    if (this.client.needsStop()) await this.client.stop(2000);
  }

  private errorHandler(): ErrorHandler {
    return {
      // A transport error on one message is not fatal; many in a row mean the pipe is gone.
      error: (_error, _message, count): ErrorHandlerResult => ({ action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true }),
      closed: (): CloseHandlerResult => {
        if (this.policy.crashed(Date.now())) {
          this.output.appendLine(`the language server stopped unexpectedly; restarting (${this.policy.recentCrashes} in the last ${this.policy.windowMs / 60_000} minutes)`);
          return { action: CloseAction.Restart, handled: true };
        }
        this.gaveUp = true;
        this.show(State.Stopped);
        return {
          action: CloseAction.DoNotRestart,
          message: `The Tunelab language server stopped ${this.policy.recentCrashes} times in ${this.policy.windowMs / 60_000} minutes and was not restarted. Run "Tunelab: Restart Language Server" after checking the output.`,
        };
      },
    };
  }

  private showStarting(): void {
    this.item.text = '$(sync~spin) Tunelab';
    this.item.tooltip = 'Tunelab language server: starting';
    this.item.command = 'tunelab.showOutput';
    this.item.backgroundColor = undefined;
  }

  private show(state: State): void {
    if (state === State.Running) {
      this.item.text = '$(check) Tunelab';
      this.item.tooltip = `Tunelab language server: running${vscode.workspace.isTrusted ? '' : ' (restricted mode: checks only, nothing runs)'}`;
      this.item.command = 'tunelab.showOutput';
      this.item.backgroundColor = undefined;
    } else if (state === State.Starting) {
      this.showStarting();
    } else {
      this.item.text = '$(error) Tunelab';
      this.item.tooltip = this.gaveUp ? 'Tunelab language server: stopped after repeated failures. Click to restart.' : 'Tunelab language server: stopped. Click to restart.';
      this.item.command = 'tunelab.restartServer';
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    }
  }
}
