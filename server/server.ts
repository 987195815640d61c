/**
 * The language server: wires the pure services (server/services/*, common/config, common/dataset,
 * common/chat, common/estimate) to vscode-languageserver. Transport from the command line
 * (`--stdio`, `--node-ipc`, `--socket=N`); one parse per document version (VersionedCache);
 * request cancellation honoured; diagnostics pushed (never pulled), coalesced per burst of edits
 * and only for the version they were computed for. Nothing here throws into the transport: every
 * feature is guarded and answers empty on failure (logged to the client's output).
 */
import { dirname } from 'node:path';
import {
  CodeLensRefreshRequest,
  createConnection,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  LSPErrorCodes,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from 'vscode-languageserver-types';
import { looksLikeConfig, parseConfig } from '../common/config/index';
import type { ConfigDocument } from '../common/config/types';
import { resolveLocalPath } from '../common/paths';
import { LspRequests, type DatasetSummaryParams, type EstimateParams, type EstimateResult, type LossMaskParams } from '../common/protocol/lsp';
import { ConfigFeatures, type ConfigContext } from './configFeatures';
import { looksLikeMergeConfig } from '../common/merge/index';
import { MergeFeatures } from './mergeFeatures';
import { ConfigModelCheck } from '../common/config/modelCheck';
import { resolveCompletion } from './services/configCompletion';
import { compactCompletionList } from './services/completionList';
import { datasetCodeActions } from './services/datasetActions';
import { DatasetFeatures } from './datasetFeatures';
import { VersionedCache } from './parseCache';
import { DiagnosticsPublisher } from './publisher';
import { guard, guardAsync, type Logger } from './safe';
import { classify, type DocumentKind } from './selection';
import { clientFeatures, rootsOf, SettingsStore, type ClientFeatures } from './workspace';
import { uriToPath } from './uri';

/** One analysed document version: what it is, and the parsed config when it is one. */
interface Analysis {
  kind: DocumentKind;
  config: ConfigDocument | null;
  /** The parsed mergekit config when kind is 'merge' (kept apart from `config`: Axolotl features skip it). */
  merge?: ConfigDocument | null;
}

const cancelled = () => new ResponseError(LSPErrorCodes.RequestCancelled, 'request cancelled');

/**
 * Starts the server on `connection` (by default one whose transport the command line picks) and
 * returns it.
 */
export function startServer(connection: Connection = createConnection(ProposedFeatures.all)): Connection {
  const documents = new TextDocuments(TextDocument);
  const log: Logger = { error: (m) => connection.console.error(m) };
  let features: ClientFeatures = { snippets: false, htmlInMarkdown: false, hierarchicalSymbols: false, configuration: false, workspaceFolders: false, dynamicConfigurationChange: false, completionItemDefaults: [], codeLensRefresh: false, watchFiles: false };
  let roots: string[] = [];
  const settings = new SettingsStore(connection, () => features.configuration);
  const analyses = new VersionedCache<Analysis>();
  const configs = new ConfigFeatures();
  const merges = new MergeFeatures();
  // Local base_model folders are checked once their tokenizer has loaded (in the background, so a
  // keystroke never waits on it); when one arrives, the open configs are validated again.
  const modelCheck = new ConfigModelCheck({
    onLoaded: () => {
      for (const d of documents.all()) if (analyses.peek(d.uri, d.version)?.kind === 'config') publisher.schedule(d.uri);
    },
  });
  /** Diagnostics last published per uri, to restore `data` for clients that drop it in code actions. */
  const lastPublished = new Map<string, Diagnostic[]>();

  const publisher = new DiagnosticsPublisher(
    {
      sendDiagnostics: (p) => {
        lastPublished.set(p.uri, p.diagnostics);
        return connection.sendDiagnostics(p);
      },
    },
    (uri) => documents.get(uri)?.version,
    (uri) => validate(uri),
    () => settings.now().maxDiagnostics,
  );
  const datasets = new DatasetFeatures({
    log,
    publish: (uri, version, ds, capped) => publisher.publish(uri, version, ds, capped),
    versionOf: (uri) => documents.get(uri)?.version,
    notify: (method, params) => void connection.sendNotification(method, params),
    settings: () => settings.now(),
    roots: () => roots,
    openConfigs: () => openConfigs(),
    // The summary lens of a dataset changes when its check ends.
    refreshLenses: () => {
      if (features.codeLensRefresh) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
    },
  });

  const datasetHook = datasets.checkDatasetFileHook();

  const analyse = (doc: TextDocument): Analysis =>
    analyses.get(doc.uri, doc.version, () =>
      guard(log, `analysing ${doc.uri}`, { kind: 'none', config: null } as Analysis, () => {
        const s = settings.now();
        const kind = classify({ uri: doc.uri, languageId: doc.languageId, text: doc.getText() }, { configFiles: s.configFiles, roots, looksLikeConfig, looksLikeMergeConfig });
        return { kind, config: kind === 'config' ? parseConfig(doc.getText()) : null, merge: kind === 'merge' ? parseConfig(doc.getText()) : null };
      }),
    );

  const configContext = (): ConfigContext => {
    return { settings: settings.now(), roots, snippets: features.snippets, hierarchicalSymbols: features.hierarchicalSymbols, checkDatasetFile: datasetHook, checkModel: modelCheck.check };
  };

  /** Open config documents with their parsed form (datasets look for the config that points at them). */
  function openConfigs(): { uri: string; path: string | null; config: ConfigDocument }[] {
    const out: { uri: string; path: string | null; config: ConfigDocument }[] = [];
    for (const d of documents.all()) {
      const a = analyse(d);
      if (a.kind === 'config' && a.config) out.push({ uri: d.uri, path: uriToPath(d.uri), config: a.config });
    }
    return out;
  }

  /**
   * False until the client's settings have arrived: documents opened before then are validated
   * once they are in (a glob in tunelab.configFiles or the GPU memory changes the answer).
   */
  let settingsReady = false;

  /**
   * What of each open config matters to the datasets it lists (their entries, the model, masking
   * keys): when it changes, or a config opens or closes, open datasets are checked again with it.
   */
  const datasetSignatures = new Map<string, string>();
  const DATASET_KEYS = ['datasets', 'test_datasets', 'base_model', 'tokenizer_config', 'sequence_len', 'chat_template', 'chat_template_jinja', 'chat_template_kwargs', 'train_on_inputs', 'train_on_eos', 'train_on_eot', 'eot_tokens'];
  function noteDatasetSignature(uri: string, cfg: ConfigDocument | null): void {
    const v = cfg?.value as Record<string, unknown> | undefined;
    const sig = v && typeof v === 'object' ? JSON.stringify(DATASET_KEYS.map((k) => v[k] ?? null)) : '';
    if ((datasetSignatures.get(uri) ?? '') === sig) return;
    if (sig) datasetSignatures.set(uri, sig);
    else datasetSignatures.delete(uri);
    // Only datasets this config lists (now) or was used for (before) are affected.
    const listed = new Set<string>();
    const configPath = uriToPath(uri);
    for (const key of ['datasets', 'test_datasets']) {
      const list = v && typeof v === 'object' ? v[key] : undefined;
      if (!Array.isArray(list)) continue;
      for (const e of list) {
        const p = e && typeof e === 'object' ? (e as Record<string, unknown>).path : undefined;
        if (typeof p === 'string' && p) for (const c of resolveLocalPath(p, { ...(configPath ? { configDir: dirname(configPath) } : {}), workspaceRoots: roots }).candidates) listed.add(c);
      }
    }
    for (const d of documents.all()) {
      if (d.uri === uri || analyses.peek(d.uri, d.version)?.kind !== 'dataset') continue;
      const path = uriToPath(d.uri);
      if (datasets.linkedConfig(d.uri) === uri || (path && listed.has(path))) datasets.restart(d.uri, () => publisher.schedule(d.uri));
    }
  }

  function validate(uri: string): void {
    const doc = documents.get(uri);
    if (!doc || !settingsReady) return;
    const a = analyse(doc);
    if (a.kind === 'config' && a.config) {
      const cfg = a.config;
      noteDatasetSignature(uri, cfg);
      const ds = guard(log, `validating ${uri}`, [] as Diagnostic[], () => configs.diagnostics(doc, cfg, configContext()));
      publisher.publish(uri, doc.version, ds);
    } else if (a.kind === 'merge' && a.merge) {
      const merge = a.merge;
      publisher.publish(uri, doc.version, guard(log, `validating ${uri}`, [] as Diagnostic[], () => merges.diagnostics(doc, merge, roots)));
    } else if (a.kind === 'dataset') {
      datasets.validate(doc);
    } else {
      datasets.cancel(uri);
      publisher.clear(uri);
      noteDatasetSignature(uri, null);
    }
  }

  const revalidateAll = () => {
    analyses.clear();
    for (const d of documents.all()) publisher.schedule(d.uri);
  };

  connection.onInitialize((params): InitializeResult => {
    features = clientFeatures(params);
    roots = rootsOf(params);
    // VS Code's client sends {trusted}; other editors may send the settings themselves (Helix
    // passes its `config` table), either bare or under `settings`.
    const init = params.initializationOptions as { settings?: unknown; trusted?: unknown } | undefined;
    settings.seed(init?.settings ?? init);
    datasets.trusted = init?.trusted !== false;
    if (!features.configuration) settingsReady = true;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        completionProvider: { triggerCharacters: [':', '/', ' '], resolveProvider: true },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: ['quickfix'] },
        documentSymbolProvider: true,
        codeLensProvider: { resolveProvider: false },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'tunelab', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    if (features.dynamicConfigurationChange) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'tunelab' });
    // Configs point at dataset files and model folders: when one appears, changes or goes away on
    // disk, the open configs are checked again (a "missing file" error clears once it exists).
    if (features.watchFiles) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: '**/*.{jsonl,ndjson,json,parquet,csv,tsv,arrow,txt}' }, { globPattern: '**/{config.json,tokenizer.json,tokenizer_config.json}' }],
      });
    }
    if (features.workspaceFolders) {
      connection.workspace.onDidChangeWorkspaceFolders((e) => {
        const removed = new Set(e.removed.map((f) => uriToPath(f.uri)));
        roots = [...roots.filter((r) => !removed.has(r)), ...e.added.map((f) => uriToPath(f.uri)).filter((p): p is string => p !== null)];
        revalidateAll();
      });
    }
    // A client that never answers workspace/configuration must not leave files unchecked: after
    // 2 s the defaults are used (and the answer, when it comes, is applied then).
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)));
    const fetched = settings.refresh().then(() => 'answered' as const);
    void Promise.race([fetched, patience.then(() => 'late' as const)]).then((how) => {
      clearTimeout(timer);
      settingsReady = true;
      revalidateAll();
      if (how === 'late')
        void fetched.then(() => {
          datasets.settingsChanged();
          revalidateAll();
        });
    });
  });

  connection.onDidChangeConfiguration((change) => {
    void settings.refresh((change.settings as { tunelab?: unknown } | undefined)?.tunelab ?? undefined).then(() => {
      datasets.settingsChanged();
      revalidateAll();
    });
  });

  connection.onDidChangeWatchedFiles(() => {
    for (const d of documents.all()) {
      const kind = analyses.peek(d.uri, d.version)?.kind;
      if (kind !== 'config' && kind !== 'merge') continue;
      configs.forget(d.uri);
      publisher.schedule(d.uri);
    }
  });

  documents.onDidChangeContent((e) => publisher.schedule(e.document.uri));
  documents.onDidClose((e) => {
    analyses.delete(e.document.uri);
    configs.forget(e.document.uri);
    datasets.cancel(e.document.uri);
    datasets.forget(e.document.uri);
    publisher.clear(e.document.uri);
    lastPublished.delete(e.document.uri);
    noteDatasetSignature(e.document.uri, null);
  });

  /** The open document and its analysis, or undefined when we do not serve it. */
  const served = (uri: string): { doc: TextDocument; a: Analysis } | undefined => {
    const doc = documents.get(uri);
    if (!doc) return undefined;
    return { doc, a: analyse(doc) };
  };

  connection.onCompletion((p, token: CancellationToken) => {
    const s = served(p.textDocument.uri);
    const merge = s?.a.merge;
    if (s && merge) {
      const r = guard(log, 'merge completion', null, () => merges.completion(merge, p.position, features.snippets));
      return token.isCancellationRequested ? cancelled() : r;
    }
    if (!s?.a.config) return null;
    const cfg = s.a.config;
    const r = guard(log, 'completion', null, () => compactCompletionList(configs.completion(s.doc, cfg, p.position, configContext()), features.completionItemDefaults));
    return token.isCancellationRequested ? cancelled() : r;
  });

  connection.onCompletionResolve((item) => guard(log, 'completion resolve', item, () => resolveCompletion(item)));

  connection.onHover(async (p, token) => {
    const s = served(p.textDocument.uri);
    if (!s) return null;
    const merge = s.a.merge;
    if (merge) {
      const r = guard(log, 'merge hover', null, () => merges.hover(merge, p.position));
      return token.isCancellationRequested ? cancelled() : r;
    }
    if (s.a.config) {
      const cfg = s.a.config;
      const r = guard(log, 'hover', null, () => configs.hover(s.doc, cfg, p.position, configContext()));
      return token.isCancellationRequested ? cancelled() : r;
    }
    if (s.a.kind === 'dataset') {
      const r = await guardAsync(log, 'dataset hover', null, () => datasets.hover(s.doc, p.position, token, features.htmlInMarkdown));
      return token.isCancellationRequested ? cancelled() : r;
    }
    return null;
  });

  connection.onCodeAction((p, token) => {
    const s = served(p.textDocument.uri);
    if (s?.a.kind === 'dataset') {
      const published = lastPublished.get(p.textDocument.uri) ?? [];
      const container = /\.json$/i.test(p.textDocument.uri) || s.doc.languageId === 'json' ? 'json' : 'jsonl';
      const r = guard(log, 'dataset code actions', [], () => datasetCodeActions(s.doc, p.context.diagnostics, published, container));
      return token.isCancellationRequested ? cancelled() : r;
    }
    // Merge configs: the same data-shaped quick fixes (replaceKeyWith, replaceValueWith).
    const cfg = s?.a.config ?? s?.a.merge;
    if (!s || !cfg) return null;
    // Clients that drop `data` on the way back get it restored from what we published.
    const known = lastPublished.get(p.textDocument.uri) ?? [];
    const withData = p.context.diagnostics.map((d) => {
      if (d.data !== undefined) return d;
      const same = known.find((k) => k.code === d.code && k.message === d.message && k.range.start.line === d.range.start.line && k.range.start.character === d.range.start.character);
      return same ? { ...d, data: same.data } : d;
    });
    const r = guard(log, 'code actions', [], () => configs.codeActions(s.doc, cfg, withData));
    return token.isCancellationRequested ? cancelled() : r;
  });

  connection.onDocumentSymbol((p, token) => {
    const s = served(p.textDocument.uri);
    const cfg = s?.a.config ?? s?.a.merge;
    if (!s || !cfg) return null;
    const r = guard(log, 'document symbols', [], () => configs.symbols(s.doc, cfg, configContext()));
    return token.isCancellationRequested ? cancelled() : r;
  });

  connection.onCodeLens((p, token) => {
    const s = served(p.textDocument.uri);
    if (!s) return null;
    if (s.a.config) {
      const cfg = s.a.config;
      const r = guard(log, 'code lenses', [], () => configs.codeLenses(s.doc, cfg, configContext()));
      return token.isCancellationRequested ? cancelled() : r;
    }
    if (s.a.kind === 'dataset') return guard(log, 'dataset code lenses', [], () => datasets.codeLenses(s.doc));
    return null;
  });

  connection.onRequest(LspRequests.estimate, (p: EstimateParams): EstimateResult | null => {
    const s = served(p.uri);
    if (!s?.a.config) return null;
    const cfg = s.a.config;
    return guard(log, 'estimate', { ok: false, reason: 'the estimate failed (see the Tunelab output)' } as EstimateResult, () => {
      const ctx = configContext();
      const overridden = { ...ctx, settings: { ...ctx.settings, ...(p.gpus ? { gpus: p.gpus } : {}), ...(p.gpuMemoryGb ? { gpuMemoryGb: p.gpuMemoryGb } : {}) } };
      const e = configs.estimate(s.doc, cfg, overridden);
      return e.ok ? e.result : { ok: false, reason: e.reason || 'the config does not parse' };
    });
  });

  connection.onRequest(LspRequests.datasetSummary, (p: DatasetSummaryParams) => {
    const s = served(p.uri);
    if (s?.a.kind !== 'dataset') return null;
    return guard(log, 'dataset summary', null, () => datasets.summary(s.doc));
  });

  connection.onRequest(LspRequests.lossMask, async (p: LossMaskParams, token: CancellationToken) => {
    const s = served(p.uri);
    if (s?.a.kind !== 'dataset') return { ok: false, record: p.record, reason: 'not an open dataset document' };
    const r = await guardAsync(log, 'loss mask', { ok: false as const, record: p.record, reason: 'the loss mask failed (see the Tunelab output)' }, () => datasets.lossMask(s.doc, p, token));
    return token.isCancellationRequested ? cancelled() : r;
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}
