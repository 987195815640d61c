/**
 * What the server knows about the client and the workspace: the workspace roots, the client's
 * capabilities that change what we send, and the `tunelab` settings. Settings are fetched once
 * (and again on `workspace/didChangeConfiguration`), not per keystroke, so a change costs no
 * round trip.
 */
import type { Connection, InitializeParams } from 'vscode-languageserver/node';
import { defaultSettings, normaliseSettings, type ServerSettings } from './settings';
import { uriToPath } from './uri';

/** Client capabilities that change the shape of our answers. */
export interface ClientFeatures {
  snippets: boolean;
  /** Markdown in hovers may contain `<span style=...>` (VS Code client with supportHtml). */
  htmlInMarkdown: boolean;
  hierarchicalSymbols: boolean;
  /** `workspace/configuration` is answered. */
  configuration: boolean;
  workspaceFolders: boolean;
  dynamicConfigurationChange: boolean;
  /** The client can watch files for us (`workspace/didChangeWatchedFiles`, registered at run time). */
  watchFiles: boolean;
  /** The client re-requests code lenses on `workspace/codeLens/refresh`. */
  codeLensRefresh: boolean;
  /** `completionList.itemDefaults` the client understands (editRange, insertTextFormat, ...). */
  completionItemDefaults: readonly string[];
}

export function clientFeatures(params: InitializeParams): ClientFeatures {
  const c = params.capabilities;
  const tags = c.general?.markdown?.allowedTags ?? [];
  return {
    snippets: c.textDocument?.completion?.completionItem?.snippetSupport === true,
    htmlInMarkdown: tags.includes('span'),
    hierarchicalSymbols: c.textDocument?.documentSymbol?.hierarchicalDocumentSymbolSupport === true,
    configuration: c.workspace?.configuration === true,
    workspaceFolders: c.workspace?.workspaceFolders === true,
    dynamicConfigurationChange: c.workspace?.didChangeConfiguration?.dynamicRegistration === true,
    completionItemDefaults: c.textDocument?.completion?.completionList?.itemDefaults ?? [],
    codeLensRefresh: c.workspace?.codeLens?.refreshSupport === true,
    watchFiles: c.workspace?.didChangeWatchedFiles?.dynamicRegistration === true,
  };
}

/** Workspace roots as file-system paths, from the folders, else rootUri, else rootPath. */
export function rootsOf(params: InitializeParams): string[] {
  const folders = params.workspaceFolders?.map((f) => uriToPath(f.uri)).filter((p): p is string => p !== null) ?? [];
  if (folders.length) return folders;
  const fromUri = params.rootUri ? uriToPath(params.rootUri) : null;
  if (fromUri) return [fromUri];
  return params.rootPath ? [params.rootPath] : [];
}

/** The `tunelab` settings: pulled from the client when it can answer, else pushed by it. */
export class SettingsStore {
  private current: ServerSettings = { ...defaultSettings, configFiles: [] };
  private pending: Promise<ServerSettings> | null = null;

  constructor(
    private readonly connection: Connection,
    private readonly canPull: () => boolean,
  ) {}

  /** Settings passed in `initializationOptions.settings` (editors without workspace/configuration). */
  seed(raw: unknown): void {
    if (raw !== undefined && raw !== null) this.current = normaliseSettings(raw);
  }

  /** The latest settings; waits for a fetch in flight so the first document sees real settings. */
  get(): Promise<ServerSettings> {
    return this.pending ?? Promise.resolve(this.current);
  }

  /** The latest settings without waiting (for synchronous paths). */
  now(): ServerSettings {
    return this.current;
  }

  /**
   * Refreshes from the client. `pushed` is the `settings` of a didChangeConfiguration
   * notification, used when the client cannot be asked.
   */
  refresh(pushed?: unknown): Promise<ServerSettings> {
    if (!this.canPull()) {
      if (pushed !== undefined && pushed !== null) this.current = normaliseSettings(pushed);
      return Promise.resolve(this.current);
    }
    const p = this.connection.workspace
      .getConfiguration({ section: 'tunelab' })
      .then(
        (raw: unknown) => (this.current = normaliseSettings(raw)),
        () => this.current,
      )
      .finally(() => {
        if (this.pending === p) this.pending = null;
      });
    this.pending = p;
    return p;
  }
}
