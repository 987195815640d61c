/**
 * Host ↔ webview messages of every Tunelab panel, typed once and checked at run time on both
 * sides (a webview renders untrusted dataset text; the host must not act on a malformed request).
 *
 * Handshake, for every panel: the webview posts `{type: 'ready'}` once its script runs; only then
 * does the host post (messages posted earlier would be lost). After a window reload the serializer
 * revives the panel and the same handshake repeats, so the host re-sends the full state.
 *
 * Sender and receiver are named on each union. `parse*` functions return the message or an error
 * string (never throw); receivers log and drop what does not validate.
 */
import {
  array,
  bool,
  count,
  literal,
  nullable,
  num,
  object,
  optional,
  record,
  recordOf,
  str,
  union,
  validate,
  type Check,
} from './check';
import type { PlanInputs } from '../estimate/plan';
import type { QualityReport } from '../dataset/quality/types';
import { parseEvalReport, type AnyEvalReport } from '../eval/report';

/** The panels, by VS Code view type suffix (`tunelab.<kind>`); each has `dist/webviews/<kind>.js`. */
export type PanelKind = 'dashboard' | 'inspector' | 'plan' | 'evaluation';

/** Webview → host, every panel: the script is running and listens. */
export interface ReadyMessage {
  type: 'ready';
}
const ready: Check<ReadyMessage> = object({ type: literal('ready') });

/** Result of parsing a message: the message, or why it was rejected. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

// ───────────────────────────────────────── dashboard ─────────────────────────────────────────

/** A run's lifecycle as the dashboard shows it. `stale`: events stop without a `done` (a crash or a kill). */
export type RunStatus = 'running' | 'stopping' | 'completed' | 'stopped' | 'failed' | 'stale';

/** One run: everything the dashboard lists except its metric series. */
export interface RunSummary {
  /** The trainer's run_id (stable across `--resume`). */
  id: string;
  /** A short name: the config file name and start time. */
  label: string;
  configPath: string;
  outputDir: string;
  eventsPath: string;
  status: RunStatus;
  /** True while a trainer process started by this window runs it (Stop applies). */
  active: boolean;
  /** True when a checkpoint exists and the run is not active (Resume applies). */
  resumable: boolean;
  startedAt: string;
  backend: string;
  method: string;
  params: { total: number; trainable: number } | null;
  totalSteps: number;
  lastStep: number;
  /** The resolved config of the latest `run_start`: the dashboard lists differences between runs. */
  config: Record<string, unknown>;
  checkpoints: { step: number; path: string }[];
  /** Final metrics of a `done` event. */
  final: { trainLoss: number | null; evalLoss: number | null; perplexity: number | null; elapsed: number } | null;
  /** The last error event or failure, shown on the run's card. */
  error: string | null;
  /** The run's evaluation report (`<output_dir>/eval_report.json`) when it exists; the card links to the eval-results panel. */
  evalReport?: string | null;
}

/**
 * New metric points of one run, as columns (the dashboard keeps columns; they go straight into
 * uPlot). `reset` replaces what the dashboard holds for the run (reload from events.jsonl).
 * Steps normally increase; a step at or below the last one (a resume from an earlier checkpoint)
 * cuts the series back to before it, as the continued trajectory replaces the abandoned one.
 */
export interface MetricBatch extends MetricSeries {
  runId: string;
  reset: boolean;
}

/** Metric columns of one run, aligned by index (steps) and by eval index. */
export interface MetricSeries {
  step: number[];
  loss: number[];
  lr: number[];
  gradNorm: (number | null)[];
  tokensPerS: (number | null)[];
  evalStep: number[];
  evalLoss: number[];
}

/** Host → dashboard. */
export type HostToDashboard =
  /** The full list of known runs (after ready, and whenever one changes status). `focus`: bring this run into view. */
  | { type: 'runs'; runs: RunSummary[]; focus: string | null }
  /** New points, batched by the host (at most a few batches a second per run). */
  | { type: 'metrics'; batches: MetricBatch[] };

/** Dashboard → host. */
export type DashboardToHost =
  | ReadyMessage
  | { type: 'stop'; runId: string }
  | { type: 'resume'; runId: string }
  /** Show a checkpoint or output folder in the OS file manager / explorer. */
  | { type: 'reveal'; path: string }
  /** Open the run's config in an editor. */
  | { type: 'openConfig'; runId: string }
  /** Open the run's evaluation report in the eval-results panel. */
  | { type: 'openEvaluation'; runId: string };

const numOrNull = nullable(num);
const runSummary: Check<RunSummary> = object({
  id: str,
  label: str,
  configPath: str,
  outputDir: str,
  eventsPath: str,
  status: literal('running', 'stopping', 'completed', 'stopped', 'failed', 'stale'),
  active: bool,
  resumable: bool,
  startedAt: str,
  backend: str,
  method: str,
  params: nullable(object({ total: num, trainable: num })),
  totalSteps: count,
  lastStep: count,
  config: record,
  checkpoints: array(object({ step: count, path: str })),
  final: nullable(object({ trainLoss: numOrNull, evalLoss: numOrNull, perplexity: numOrNull, elapsed: num })),
  error: nullable(str),
  evalReport: optional(nullable(str)),
}) as Check<RunSummary>;

const metricBatch: Check<MetricBatch> = (v, path) => {
  const b = object({
    runId: str,
    reset: bool,
    step: array(num),
    loss: array(num),
    lr: array(num),
    gradNorm: array(numOrNull),
    tokensPerS: array(numOrNull),
    evalStep: array(num),
    evalLoss: array(num),
  })(v, path);
  const n = b.step.length;
  for (const k of ['loss', 'lr', 'gradNorm', 'tokensPerS'] as const) {
    if (b[k].length !== n) throw new Error(`${path}.${k}: ${b[k].length} values for ${n} steps`);
  }
  if (b.evalLoss.length !== b.evalStep.length) throw new Error(`${path}.evalLoss: ${b.evalLoss.length} values for ${b.evalStep.length} eval steps`);
  return b;
};

const hostToDashboard: Check<HostToDashboard> = union<HostToDashboard>({
  runs: object({ type: literal('runs'), runs: array(runSummary), focus: nullable(str) }),
  metrics: object({ type: literal('metrics'), batches: array(metricBatch) }),
});

const dashboardToHost: Check<DashboardToHost> = union<DashboardToHost>({
  ready,
  stop: object({ type: literal('stop'), runId: str }),
  resume: object({ type: literal('resume'), runId: str }),
  reveal: object({ type: literal('reveal'), path: str }),
  openConfig: object({ type: literal('openConfig'), runId: str }),
  openEvaluation: object({ type: literal('openEvaluation'), runId: str }),
});

// ───────────────────────────────────────── inspector ─────────────────────────────────────────

/** The dataset file an inspector shows. */
export interface DatasetFileInfo {
  path: string;
  name: string;
  size: number;
  /** The config `sequence_len` the histogram is drawn against (null: none known). */
  sequenceLen: number | null;
  /** False in an untrusted workspace: the loss-mask view (which runs a chat template) is off. */
  trusted: boolean;
}

/** Which records the list shows. An empty `codes` list means every record. */
export interface InspectorFilter {
  search: string;
  /** Diagnostic codes; a record matches when it has any of them. `ok` matches records without diagnostics. */
  codes: string[];
}

/** One row of the virtualised list. */
export interface RowSummary {
  /** 0-based record index in the file. */
  index: number;
  /** 0-based line of the record's first character. */
  line: number;
  /** The record's start, on one line, at most a few hundred characters. */
  preview: string;
  /** Diagnostic codes on this record (empty until the checks reach it, or when it has none). */
  codes: string[];
  /** Worst severity among them (1 error … 4 hint), 0 when none. */
  severity: number;
}

/** One message of a rendered conversation. */
export interface RecordMessage {
  role: string;
  content: string;
}

/** A token of the loss-mask view. */
export interface MaskToken {
  text: string;
  trained: boolean;
}

/** The selected record, in full. */
export interface RecordDetail {
  index: number;
  line: number;
  /** The raw record text (cut at `rawLimit` characters; `rawTruncated` says so). */
  raw: string;
  rawTruncated: boolean;
  /** Null when the record is not a recognisable conversation (invalid JSON, unknown shape). */
  messages: RecordMessage[] | null;
  diagnostics: { code: string; severity: number; message: string }[];
  /** The loss mask, or why there is none (untrusted workspace, no model known, an error). */
  mask: { ok: true; model: string; tokens: MaskToken[]; trained: number; truncated: number } | { ok: false; reason: string };
}

/** File-level statistics. */
export interface DatasetStats {
  records: number;
  format: string;
  /** Lengths are tokens when a tokenizer is known, else characters (`unit`). */
  unit: 'tokens' | 'characters';
  histogram: { edges: number[]; counts: number[] };
  sequenceLen: number | null;
  /** Records longer than sequence_len (in `unit`). */
  overLength: number;
  /** Exact duplicate records: how many, and the first few as [duplicate, first occurrence] indexes. */
  duplicates: { count: number; examples: [number, number][] };
  /** Messages per role over the whole file. */
  roles: Record<string, number>;
  /** Diagnostics per code. */
  codes: { code: string; severity: number; count: number }[];
}

/** Host → inspector. */
export type HostToInspector =
  | { type: 'file'; file: DatasetFileInfo }
  /** Indexing and checking progress; `finished` when that phase is complete. */
  | { type: 'progress'; phase: 'index' | 'check'; done: number; total: number; records: number; finished: boolean }
  /** The current filter's row count (grows while the file is still being read). `viewId` increases with each filter. */
  | { type: 'view'; viewId: number; count: number; complete: boolean; filter: InspectorFilter }
  /** Rows [start, start + rows.length) of view `viewId`, in answer to a `window` request. */
  | { type: 'rows'; viewId: number; start: number; rows: RowSummary[] }
  | { type: 'record'; record: RecordDetail }
  | { type: 'stats'; stats: DatasetStats }
  | { type: 'error'; message: string }
  /** The quality report (common/dataset/quality), after the check pass; record links are indexes and lines. */
  | { type: 'quality'; quality: QualityReport };

/** Inspector → host. */
export type InspectorToHost =
  | ReadyMessage
  | { type: 'filter'; filter: InspectorFilter }
  /** Ask for `count` rows of view `viewId` from `start` (the list's visible window plus a margin). */
  | { type: 'window'; viewId: number; start: number; count: number }
  | { type: 'select'; index: number }
  /** Open the file in an editor at the record's line. */
  | { type: 'reveal'; index: number };

/** The most rows one window request may ask for. */
export const MAX_WINDOW = 500;

const filter: Check<InspectorFilter> = object({ search: str, codes: array(str, 200) });
const rowSummary: Check<RowSummary> = object({ index: count, line: count, preview: str, codes: array(str), severity: count });
const mask: Check<RecordDetail['mask']> = (v, path) => {
  const o = record(v, path);
  if (o.ok === true) return object({ ok: bool, model: str, tokens: array(object({ text: str, trained: bool })), trained: count, truncated: count })(v, path) as RecordDetail['mask'];
  return object({ ok: bool, reason: str })(v, path) as RecordDetail['mask'];
};
const recordDetail: Check<RecordDetail> = object({
  index: count,
  line: count,
  raw: str,
  rawTruncated: bool,
  messages: nullable(array(object({ role: str, content: str }))),
  diagnostics: array(object({ code: str, severity: count, message: str })),
  mask,
}) as Check<RecordDetail>;
const stats: Check<DatasetStats> = object({
  records: count,
  format: str,
  unit: literal('tokens', 'characters'),
  histogram: object({ edges: array(num), counts: array(count) }),
  sequenceLen: nullable(count),
  overLength: count,
  duplicates: object({ count: count, examples: array(array(count)) }),
  roles: recordOf(count),
  codes: array(object({ code: str, severity: count, count: count })),
}) as Check<DatasetStats>;

const recordRef = object({ index: count, line: count });
const distribution = nullable(
  object({ count: count, min: num, p10: num, p25: num, p50: num, p75: num, p90: num, p99: num, max: num, mean: num, histogram: object({ edges: array(num), counts: array(count) }) }),
);
const severityName = literal('warning', 'info');
const qualityReport: Check<QualityReport> = object({
  records: count,
  analysed: count,
  taskTypes: array(object({ type: str, count: count, share: num, example: nullable(recordRef) })),
  phrasing: object({
    leading: array(object({ words: count, distinct: count, estimated: bool, top: array(object({ text: str, count: count })) })),
    mattr: nullable(num),
    mattrWindow: count,
    topVerbs: array(object({ verb: str, count: count })),
  }),
  lengths: object({ instruction: distribution, response: distribution, turns: distribution }),
  languages: array(object({ language: str, name: str, count: count, share: num })),
  nearDuplicates: object({
    threshold: num,
    bands: count,
    rows: count,
    shingle: count,
    candidates: count,
    confirmed: count,
    verified: bool,
    records: count,
    clusters: array(object({ first: recordRef, members: array(object({ index: count, line: count, jaccard: num, verified: bool })) })),
    clusterCount: count,
  }),
  findings: array(
    object({
      code: str,
      severity: severityName,
      title: str,
      count: count,
      examples: array(object({ index: count, line: count, detail: str, of: optional(recordRef), jaccard: optional(num), verified: optional(bool) })),
    }),
  ),
  fileFindings: array(object({ code: str, severity: severityName, message: str })),
}) as Check<QualityReport>;

const hostToInspector: Check<HostToInspector> = union<HostToInspector>({
  file: object({ type: literal('file'), file: object({ path: str, name: str, size: count, sequenceLen: nullable(count), trusted: bool }) }),
  progress: object({ type: literal('progress'), phase: literal('index', 'check'), done: num, total: num, records: count, finished: bool }),
  view: object({ type: literal('view'), viewId: count, count: count, complete: bool, filter }),
  rows: object({ type: literal('rows'), viewId: count, start: count, rows: array(rowSummary) }),
  record: object({ type: literal('record'), record: recordDetail }),
  stats: object({ type: literal('stats'), stats }),
  error: object({ type: literal('error'), message: str }),
  quality: object({ type: literal('quality'), quality: qualityReport }),
});

const inspectorToHost: Check<InspectorToHost> = union<InspectorToHost>({
  ready,
  filter: object({ type: literal('filter'), filter }),
  window: object({ type: literal('window'), viewId: count, start: count, count: (v, p) => {
    const n = count(v, p);
    if (n > MAX_WINDOW) throw new Error(`${p}: at most ${MAX_WINDOW} rows per request, got ${n}`);
    return n;
  } }),
  select: object({ type: literal('select'), index: count }),
  reveal: object({ type: literal('reveal'), index: count }),
});

// ─────────────────────────────────────────── parse ───────────────────────────────────────────

function parseWith<T>(check: Check<T>, v: unknown): Parsed<T> {
  try {
    return validate(check, v);
  } catch (e) {
    // Length mismatches and window limits throw plain errors: still data, not exceptions.
    return { ok: false, error: (e as Error).message };
  }
}

export const parseHostToDashboard = (v: unknown): Parsed<HostToDashboard> => parseWith(hostToDashboard, v);
export const parseDashboardToHost = (v: unknown): Parsed<DashboardToHost> => parseWith(dashboardToHost, v);
export const parseHostToInspector = (v: unknown): Parsed<HostToInspector> => parseWith(hostToInspector, v);
export const parseInspectorToHost = (v: unknown): Parsed<InspectorToHost> => parseWith(inspectorToHost, v);

// ──────────────────────────────────────────── plan ───────────────────────────────────────────
// The "fine-tune or prompt?" panel (owned with common/estimate/plan.ts). The webview runs the
// pure plan() itself on every edit; the host only supplies the starting inputs and keeps the
// user's latest inputs so that a reload (which says `ready` again) can send them back in `init`.

/**
 * Host → plan, after every `ready`: the inputs to start from (the user's last edits if the host
 * kept them, else what it inferred from the config: examples and training tokens from local
 * datasets, tokens/s from a previous run) and where they came from.
 */
export interface PlanInit {
  type: 'init';
  inputs: PlanInputs;
  /** The config the panel was opened from, or null. */
  configPath: string | null;
  /** What was inferred and how, one sentence each. */
  notes: string[];
  /** The config's memory estimate as the code lens shows it (formatLens), or null. */
  estimate: string | null;
}

/** Host → plan. */
export type HostToPlan = PlanInit;

/** Plan → host. `inputs`: the user edited the inputs (valid or not); the host keeps them for the next `init`. */
export type PlanToHost = ReadyMessage | { type: 'inputs'; inputs: PlanInputs } | { type: 'openConfig' };

const numOrNullPlan = nullable(num);
const planInputs: Check<PlanInputs> = object({
  taskComplexity: literal('low', 'medium', 'high'),
  examples: num,
  requirements: literal('stable', 'changing'),
  consistency: literal('strict', 'normal'),
  promptTokens: num,
  queryTokens: num,
  outputTokens: num,
  queriesPerMonth: num,
  inputPrice: numOrNullPlan,
  outputPrice: numOrNullPlan,
  fineTunedInputPrice: numOrNullPlan,
  fineTunedOutputPrice: numOrNullPlan,
  trainTokens: numOrNullPlan,
  tokensPerSecond: numOrNullPlan,
  gpuPricePerHour: numOrNullPlan,
  // Added later: inputs saved by an older panel lack it (the reducer fills in the default).
  trainPricePerMTok: optional(numOrNullPlan),
  gpus: num,
  amortizeMonths: num,
  hostingPerMonth: num,
}) as Check<PlanInputs>;

const hostToPlan: Check<HostToPlan> = union<HostToPlan>({
  init: object({ type: literal('init'), inputs: planInputs, configPath: nullable(str), notes: array(str, 100), estimate: nullable(str) }) as Check<PlanInit>,
});
const planToHost: Check<PlanToHost> = union<PlanToHost>({
  ready,
  inputs: object({ type: literal('inputs'), inputs: planInputs }),
  openConfig: object({ type: literal('openConfig') }),
});

export const parseHostToPlan = (v: unknown): Parsed<HostToPlan> => parseWith(hostToPlan, v);
export const parsePlanToHost = (v: unknown): Parsed<PlanToHost> => parseWith(planToHost, v);

// ───────────────────────────────────────── evaluation ────────────────────────────────────────
// The eval-results panel ("Tunelab: Show Evaluation"): one report file (`tunelab eval --out`, or a
// run's `<output_dir>/eval_report.json`), base vs tuned. The host reads and checks the file and
// sends it again whenever it changes on disk; the webview computes everything it draws.

/** Host → evaluation, after every `ready` and whenever the file changes. */
export type HostToEvaluation =
  /** The report at `path` (an EvalReport of one model, or a ForgettingReport of two). */
  | { type: 'report'; path: string; report: AnyEvalReport }
  /** `path` could not be read or is not an eval report: say why, keep nothing stale. */
  | { type: 'error'; path: string | null; message: string };

/** Evaluation → host. */
export type EvaluationToHost =
  | ReadyMessage
  /** Open the report file itself in an editor. */
  | { type: 'openSource' }
  /** Choose another report file. */
  | { type: 'pickReport' };

/** The report field goes through the report's own shape check (common/eval/report.ts). */
const reportMessage: Check<Extract<HostToEvaluation, { type: 'report' }>> = (v, path) => {
  const m = object({ type: literal('report'), path: str, report: record })(v, path);
  const r = parseEvalReport(m.report);
  if ('error' in r) throw new Error(`${path ? `${path}.` : ''}report: ${r.error}`);
  return { type: 'report', path: m.path, report: r };
};
const hostToEvaluation: Check<HostToEvaluation> = union<HostToEvaluation>({
  report: reportMessage,
  error: object({ type: literal('error'), path: nullable(str), message: str }),
});
const evaluationToHost: Check<EvaluationToHost> = union<EvaluationToHost>({
  ready,
  openSource: object({ type: literal('openSource') }),
  pickReport: object({ type: literal('pickReport') }),
});

export const parseHostToEvaluation = (v: unknown): Parsed<HostToEvaluation> => parseWith(hostToEvaluation, v);
export const parseEvaluationToHost = (v: unknown): Parsed<EvaluationToHost> => parseWith(evaluationToHost, v);
