/**
 * A small LSP client for protocol tests and the latency benchmark: starts a real server process
 * on stdio and speaks JSON-RPC to it with vscode-jsonrpc (through vscode-languageserver/node).
 * It answers `workspace/configuration` with the settings it was given and collects every
 * `textDocument/publishDiagnostics` so callers can wait for the one of a given version.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-languageserver/node';
import type { Diagnostic } from 'vscode-languageserver-types';
import type { InitializeResult } from 'vscode-languageserver/node';

export interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: Diagnostic[];
}

export interface LspClientOptions {
  /** The command that starts the server, e.g. [process.execPath, 'dist/server/server.cjs', '--stdio']. */
  command: string[];
  cwd: string;
  /** Answers to `workspace/configuration`, by section (`tunelab`, `yaml`, ...); null: never answer. */
  settings?: Record<string, unknown> | null;
}

type Waiter = { uri: string; accept: (p: PublishedDiagnostics) => boolean; resolve: (p: PublishedDiagnostics) => void };

export class LspClient {
  readonly connection: MessageConnection;
  readonly process: ChildProcess;
  readonly published: PublishedDiagnostics[] = [];
  readonly notifications: { method: string; params: unknown }[] = [];
  readonly logs: string[] = [];
  stderr = '';
  /** How many times the server asked for code lenses again. */
  lensRefreshes = 0;
  private waiters: Waiter[] = [];
  private exited: Promise<number | null>;

  constructor(readonly options: LspClientOptions) {
    const [cmd, ...args] = options.command;
    this.process = spawn(cmd!, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.process.on('exit', (code) => resolve(code)));
    this.connection = createMessageConnection(new StreamMessageReader(this.process.stdout!), new StreamMessageWriter(this.process.stdin!));
    this.connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
      // `settings: null` plays a client that never answers.
      this.options.settings === null ? new Promise(() => undefined) : params.items.map((i) => (i.section ? (this.options.settings?.[i.section] ?? null) : null)),
    );
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('workspace/codeLens/refresh', () => {
      this.lensRefreshes++;
      return null;
    });
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onNotification('window/logMessage', (p: { message: string }) => this.logs.push(p.message));
    this.connection.onNotification('textDocument/publishDiagnostics', (p: PublishedDiagnostics) => {
      this.published.push(p);
      const w = this.waiters.find((x) => x.uri === p.uri && x.accept(p));
      if (w) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(p);
      }
    });
    this.connection.onUnhandledNotification((n) => this.notifications.push({ method: n.method, params: n.params }));
    this.connection.listen();
  }

  async initialize(rootPath: string, capabilities: Record<string, unknown> = {}, initializationOptions?: unknown): Promise<InitializeResult> {
    const rootUri = pathToFileURL(rootPath).href;
    const result = (await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'root' }],
      initializationOptions,
      capabilities: {
        workspace: { configuration: true, workspaceFolders: true, didChangeConfiguration: { dynamicRegistration: true }, codeLens: { refreshSupport: true }, didChangeWatchedFiles: { dynamicRegistration: true } },
        textDocument: {
          publishDiagnostics: { relatedInformation: true, versionSupport: true },
          // What VS Code's client (vscode-languageclient 9) announces for completion.
          completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] }, completionList: { itemDefaults: ['commitCharacters', 'editRange', 'insertTextFormat', 'insertTextMode', 'data'] } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
          documentSymbol: { hierarchicalDocumentSymbolSupport: true },
        },
        ...capabilities,
      },
    })) as InitializeResult;
    await this.connection.sendNotification('initialized', {});
    return result;
  }

  /**
   * Resolves with the next diagnostics published for `uri` that satisfy `accept` (by default: of
   * `version`, when given). Already-received ones count, so no notification is missed.
   */
  diagnostics(uri: string, version?: number, accept: (p: PublishedDiagnostics) => boolean = (p) => version === undefined || p.version === version): Promise<PublishedDiagnostics> {
    const seen = this.published.find((p) => p.uri === uri && accept(p));
    if (seen) {
      this.published.splice(this.published.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve) => this.waiters.push({ uri, accept, resolve: (p) => {
      this.published.splice(this.published.indexOf(p), 1);
      resolve(p);
    } }));
  }

  open(uri: string, languageId: string, text: string, version = 1): Promise<void> {
    return this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  change(uri: string, version: number, text: string): Promise<void> {
    return this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  close(uri: string): Promise<void> {
    return this.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  /** Shuts the server down politely; resolves with its exit code (kills it after 5 s). */
  async stop(): Promise<number | null> {
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
    try {
      await this.connection.sendRequest('shutdown');
      await this.connection.sendNotification('exit');
    } catch {
      this.process.kill('SIGKILL');
    }
    const code = await this.exited;
    clearTimeout(timer);
    this.connection.dispose();
    return code;
  }
}

/** A file URI for an absolute path. */
export const fileUri = (absPath: string): string => pathToFileURL(absPath).href;
