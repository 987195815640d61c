/**
 * The custom client ↔ server protocol of the Tunelab language server: everything beyond standard
 * LSP, typed once. The server (server/server.ts) implements the requests and sends the
 * notifications; the VS Code client (client/) and the webviews it hosts consume them. Other LSP
 * editors need none of this: every feature they see is plain LSP.
 *
 * Method names are strings so that this module stays free of runtime imports; on either side use
 * them with `connection.onRequest(LspRequests.x, ...)` / `client.sendRequest(LspRequests.x, ...)`
 * and the param/result interfaces below.
 */

/** Requests, client → server. */
export const LspRequests = {
  /**
   * `tunelab/datasetSummary` (client → server): the file-level summary of an open dataset
   * document, the data behind the summary code lens. Params: {@link DatasetSummaryParams}.
   * Result: {@link DatasetSummary}, or null when the document is not an open dataset. Answers at
   * once with what has been checked so far (`done: false` while a large file is still in progress).
   */
  datasetSummary: 'tunelab/datasetSummary',
  /**
   * `tunelab/lossMask` (client → server): one record rendered with the model's chat template,
   * tokenised and masked as the trainer would (the loss-mask view; the dataset inspector webview
   * shows it). Params: {@link LossMaskParams}. Result: {@link LossMaskResult}.
   */
  lossMask: 'tunelab/lossMask',
  /**
   * `tunelab/estimate` (client → server): the parameter and memory estimate of an open config
   * document, the data behind the estimate code lens. Params: {@link EstimateParams}. Result:
   * {@link EstimateResult}.
   */
  estimate: 'tunelab/estimate',
} as const;

/** Notifications, server → client. */
export const LspNotifications = {
  /**
   * `tunelab/datasetProgress` (server → client): progress of the checks of a large dataset
   * document, sent at most every 200 ms while a check runs and once when it ends (`done: true`).
   * Params: {@link DatasetProgress}. Clients may show it in a status bar item.
   */
  datasetProgress: 'tunelab/datasetProgress',
} as const;

/**
 * Command ids the server puts in code lenses. The VS Code client registers them; other editors
 * may bind them or ignore the lenses. Arguments are listed per command.
 */
export const LspCommands = {
  /** Start a training run. Arguments: `[configUri: string]`. */
  train: 'tunelab.train',
  /** Show the estimate breakdown. Arguments: `[configUri: string, breakdown: EstimateResult]`. */
  showEstimate: 'tunelab.showEstimate',
  /** Open the dataset inspector. Arguments: `[datasetUri: string, record?: number]` (0-based record). */
  inspectDataset: 'tunelab.inspectDataset',
} as const;

/** Params of `tunelab/datasetSummary`. */
export interface DatasetSummaryParams {
  uri: string;
}

/** How often one diagnostic code occurs in a dataset. */
export interface DiagnosticCount {
  code: string;
  /** LSP severity: 1 error, 2 warning, 3 information, 4 hint. */
  severity: 1 | 2 | 3 | 4;
  count: number;
}

/** Token statistics over the checked records, counted with the real tokenizer of `model`. */
export interface TokenStats {
  /** The model whose tokenizer counted (a local directory or hub id). */
  model: string;
  /** Records counted (may be a sample of a large file; see `sampled`). */
  records: number;
  total: number;
  mean: number;
  max: number;
  /** Trained (unmasked) tokens over all counted records. */
  trained: number;
  /** Records longer than the config's `sequence_len` (0 when it is unknown). */
  overSequenceLen: number;
  /** True when only a sample of the records was tokenised. */
  sampled: boolean;
}

/** Result of `tunelab/datasetSummary`. */
export interface DatasetSummary {
  uri: string;
  /** The document version the summary describes. */
  version: number;
  /** Detected format (`alpaca`, `sharegpt`, `openai`, `chat_template`, ...) or `unknown`. */
  format: string;
  /** Why the format was detected (e.g. "every record has a messages list"). */
  formatReason: string;
  /** Records seen so far (all of them when `done`). */
  records: number;
  errors: number;
  warnings: number;
  /** Counts by diagnostic code, most frequent first. */
  byCode: DiagnosticCount[];
  /** Null until a model is known (a config pointing at the file, or the `tunelab.model` setting). */
  tokens: TokenStats | null;
  /** The config whose settings (mappings, model, sequence_len) were used, when one points here. */
  configUri: string | null;
  /** False while a large file is still being checked. */
  done: boolean;
}

/** Params of `tunelab/lossMask`. */
export interface LossMaskParams {
  uri: string;
  /** 0-based record index within the file. */
  record: number;
  /** A model directory or hub id; defaults to the config's `base_model`, then `tunelab.model`. */
  model?: string;
}

/** One token of a rendered record. */
export interface MaskedToken {
  id: number;
  text: string;
  /** True when the token's label is kept (loss is computed on it). */
  trained: boolean;
}

/** Result of `tunelab/lossMask`: the same shape as `tunelab inspect --record N --format json`'s `record`. */
export type LossMaskResult =
  | {
      ok: true;
      record: number;
      /** 0-based line of the record in the document. */
      line: number;
      model: string;
      text: string;
      tokens: MaskedToken[];
      trained: number;
      /** Tokens past `sequence_len` that the trainer would cut (0 when none or unknown). */
      truncated: number;
    }
  | {
      ok: false;
      record: number;
      /** Why no mask could be computed, e.g. "no model known: set tunelab.model". */
      reason: string;
    };

/** Params of `tunelab/estimate`. */
export interface EstimateParams {
  uri: string;
  /** Overrides of the `tunelab.gpus` / `tunelab.gpuMemoryGb` settings. */
  gpus?: number;
  gpuMemoryGb?: number;
}

/** Result of `tunelab/estimate` (bytes, as `tunelab estimate --format json` prints them). */
export type EstimateResult =
  | {
      ok: true;
      params: { total: number; trainable: number };
      memory: { weights: number; gradients: number; optimizer: number; activations: number; other: number; total: number };
      perGpu: number;
      /** Null when no GPU memory is known (no setting, no `gpu_memory_limit`). */
      fits: boolean | null;
      /** The one-line code lens title, e.g. "≈ 9.8 GiB per GPU · LoRA · 4.2 M trainable (0.06 %)". */
      title: string;
      /** A Markdown breakdown (the lens's detail, also shown on hover over `base_model`). */
      markdown: string;
    }
  | { ok: false; reason: string };

/** Params of `tunelab/datasetProgress`. */
export interface DatasetProgress {
  uri: string;
  version: number;
  /** Characters of the document checked so far, and its length. */
  checked: number;
  total: number;
  records: number;
  done: boolean;
}
