/**
 * Everything before the first step, each failure a coded problem: config (the language server's
 * own diagnostics), settings, base model, tokenizer, data. Nothing here computes on tensors, so a
 * bad config or dataset is refused within a second.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-types';
import { ChatModelCache, encode, specialTokensFromConfig, withSpecialTokens, type ChatModel } from '../../common/chat/index';
import { parseConfig, resolveConfig, validateConfig } from '../../common/config/index';
import { ConfigModelCheck, withModelCheck } from '../../common/config/modelCheck';
import { checkDatasetAgainstEntry } from '../../common/dataset/configHook';
import { resolveLocalPath } from '../../common/paths';
import { fitToLength, splitValidation, type Example } from '../data/batches';
import { prepareExamples, type PreparedDataset } from '../data/prepare';
import { mixExamples } from '../data/mix';
import { generalExamples } from '../data/general';
import type { DatasetMix } from '../../common/protocol/events';
import { readSettings, type TrainSettings } from './settings';

/** A refusal: becomes an `error` event (and exit 2). */
export interface SetupProblem {
  code: string;
  message: string;
  location?: { path: string; range: Diagnostic['range'] };
}

export interface RunSetup {
  configPath: string;
  /** The config as read (plain object), for run_start. */
  config: Record<string, unknown>;
  settings: TrainSettings;
  /** Absolute paths. */
  outputDir: string;
  modelDir: string;
  chat: ChatModel;
  train: Example[];
  eval: Example[];
  datasets: PreparedDataset[];
  /** The data mix when a dataset sets `weight` or `loss_weight` (trainer/data/mix.ts), for run_start. */
  mix?: DatasetMix[];
  /** General-text sequences for the EWC Fisher pass (`ewc_data`; trainer/data/general.ts), [] without EWC. */
  fisherData?: Example[];
  /** Informational notes (dropped or truncated records) for `log` events. */
  notes: string[];
}

export interface SetupRequest {
  configPath: string;
  cwd: string;
  maxSteps?: number;
  outputDir?: string;
  /** A model directory used instead of the config's base_model (eval of a full fine-tune). */
  baseModel?: string;
}

const rangeOf = (line: number) => ({ start: { line, character: 0 }, end: { line, character: 0 } });

/**
 * A refusal, with the output directory when it is known by then (--output, the config's own
 * `output_dir`, or once the settings are read their default), so the caller can append the error
 * events to `<output_dir>/events.jsonl` like any other run's.
 */
export interface SetupRefusal {
  ok: false;
  problems: SetupProblem[];
  outputDir?: string;
}

/** Reads and checks the config, the base model's tokenizer and the data. */
export async function prepareRun(req: SetupRequest): Promise<{ ok: true; setup: RunSetup } | SetupRefusal> {
  const configPath = resolve(req.cwd, req.configPath);
  // Axolotl resolves output_dir against the working directory; --output overrides it.
  let knownOutput = req.outputDir !== undefined ? resolve(req.cwd, req.outputDir) : undefined;
  const refuse = (problems: SetupProblem[]): SetupRefusal => ({ ok: false, problems, ...(knownOutput !== undefined ? { outputDir: knownOutput } : {}) });
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (e) {
    return refuse([{ code: 'trainer-config-unreadable', message: `cannot read ${configPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  const configDir = dirname(configPath);
  const doc = parseConfig(text);
  const written = writtenOutputDir(doc.value);
  if (knownOutput === undefined && written !== undefined) knownOutput = resolve(req.cwd, written);
  // The same checks as `tunelab validate` and the language server: the dataset-content check (a
  // local file whose records do not fit its entry's type: is an error at that type: line) and the
  // model-aware ones (the base model's tokenizer and template against the masking keys). One cache
  // serves them and the tokenizer loaded below.
  const models = new ChatModelCache(2);
  const env = await withModelCheck(doc, { configPath, cwd: req.cwd, fileExists: existsSync, checkDatasetFile: checkDatasetAgainstEntry }, new ConfigModelCheck({ cache: models }));
  const diagnostics = validateConfig(doc, env);
  const errors = diagnostics.filter((d) => d.severity === 1);
  if (errors.length > 0) {
    return refuse(errors.map((d) => ({ code: String(d.code ?? 'config-error'), message: d.message, location: { path: configPath, range: d.range } })));
  }
  const config = resolveConfig(doc) as Record<string, unknown>;
  const { settings, problems } = readSettings(config);
  if (problems.length > 0) {
    return refuse(problems.map((p) => ({ code: p.code, message: `${p.key}: ${p.message}`, location: { path: configPath, range: keyRange(text, p.key) } })));
  }
  if (req.maxSteps !== undefined) settings.maxSteps = req.maxSteps;
  if (req.baseModel !== undefined) settings.baseModel = resolve(req.cwd, req.baseModel);
  const outputDir = resolve(req.cwd, req.outputDir ?? settings.outputDir);
  knownOutput = outputDir;

  const model = resolveLocalPath(settings.baseModel, { configDir, cwd: req.cwd });
  if (!model.exists || !statSync(model.path).isDirectory()) {
    return refuse([
      {
        code: 'trainer-model-not-local',
        message: `base_model ${JSON.stringify(settings.baseModel)} is not a local model directory (tried ${model.candidates.join(', ')}); Tunelab trains offline: download the model (config.json, model.safetensors, tokenizer files) and point base_model at its folder`,
        location: { path: configPath, range: keyRange(text, 'base_model') },
      },
    ]);
  }
  const loaded = await models.get(model.path);
  if (!loaded.ok) return refuse([{ code: loaded.error.code, message: loaded.error.message }]);
  // The config's special_tokens (e.g. eos_token: <|im_end|>) apply to the tokenizer as in Axolotl,
  // so evaluation, generation stops and padding use the same tokens the examples were built with.
  const chat = withSpecialTokens(loaded.value, specialTokensFromConfig(config));
  if (!chat.ok) return refuse([{ code: chat.error.code, message: chat.error.message, location: { path: configPath, range: keyRange(text, 'special_tokens') } }]);

  const data = await prepareExamples(config, chat.value, { configDir, cwd: req.cwd }, settings.sequenceLen);
  if (data.problems.length > 0) {
    return refuse(data.problems.map((p) => ({ code: p.code, message: p.message, ...(p.path ? { location: { path: p.path, range: p.range ?? rangeOf(0) } } : {}) })));
  }
  const trainDatasets = data.datasets.length;
  const notes: string[] = [];
  let fit;
  try {
    fit = fitToLength(data.examples, settings.sequenceLen, settings.excessLength);
  } catch (e) {
    return refuse([{ code: 'trainer-sequence-too-long', message: (e as Error).message }]);
  }
  if (fit.dropped) notes.push(`dropped ${fit.dropped} records longer than sequence_len ${settings.sequenceLen} (excess_length_strategy: drop)`);
  if (fit.truncated) notes.push(`truncated ${fit.truncated} records to sequence_len ${settings.sequenceLen}`);
  if (fit.untrained) notes.push(`skipped ${fit.untrained} records with no trained tokens`);
  if (fit.kept.length === 0) return refuse([{ code: 'trainer-no-examples', message: 'no record is left to train on after masking and length limits' }]);
  let split;
  if (Array.isArray(config.test_datasets) && config.test_datasets.length > 0) {
    // Axolotl's separate evaluation files (exclusive with val_set_size, which the config core checks).
    const test = await prepareExamples({ ...config, datasets: config.test_datasets }, chat.value, { configDir, cwd: req.cwd }, settings.sequenceLen);
    if (test.problems.length > 0) {
      return refuse(test.problems.map((p) => ({ code: p.code, message: `test_datasets: ${p.message}`, ...(p.path ? { location: { path: p.path, range: p.range ?? rangeOf(0) } } : {}) })));
    }
    const fitTest = fitToLength(test.examples, settings.sequenceLen, settings.excessLength === 'raise' ? 'truncate' : settings.excessLength);
    split = { train: fit.kept, eval: fitTest.kept };
    data.datasets.push(...test.datasets);
  } else {
    try {
      split = splitValidation(fit.kept, settings.valSetSize, settings.seed);
    } catch (e) {
      return refuse([{ code: 'trainer-invalid-setting', message: `val_set_size: ${(e as Error).message}`, location: { path: configPath, range: keyRange(text, 'val_set_size') } }]);
    }
  }
  // Data mixing and loss weights, on the training examples only (validation is scored unweighted).
  const sources = data.datasets.slice(0, trainDatasets);
  let mix: DatasetMix[] | undefined;
  if (sources.some((d) => d.weight !== null || d.lossWeight !== 1)) {
    try {
      const mixed = mixExamples(split.train, sources, settings.seed);
      split = { train: mixed.examples, eval: split.eval };
      mix = mixed.mix;
    } catch (e) {
      return refuse([{ code: 'trainer-mix-empty-dataset', message: (e as Error).message, location: { path: configPath, range: keyRange(text, 'datasets') } }]);
    }
  }
  // EWC's general data, read here so that a missing or empty file is refused before compute.
  let fisherData: Example[] = [];
  const reg = settings.regularize;
  if (reg.ewcLambda > 0 && reg.ewcData !== null) {
    const where = resolveLocalPath(reg.ewcData, { configDir, cwd: req.cwd });
    if (!where.exists) return refuse([{ code: 'trainer-ewc-data-missing', message: `ewc_data ${JSON.stringify(reg.ewcData)} does not exist (tried ${where.candidates.join(', ')})`, location: { path: configPath, range: keyRange(text, 'ewc_data') } }]);
    const c = chat.value;
    fisherData = await generalExamples(where.path, { seqLen: settings.sequenceLen, samples: reg.ewcSamples, seed: settings.seed, encode: (t) => encode(c, t), eosId: c.eosTokenId ?? null });
    if (fisherData.length === 0) return refuse([{ code: 'trainer-ewc-data-empty', message: `ewc_data ${JSON.stringify(reg.ewcData)} has no text to estimate the Fisher information on`, location: { path: configPath, range: keyRange(text, 'ewc_data') } }]);
  }
  return {
    ok: true,
    setup: { configPath, config, settings, outputDir, modelDir: model.path, chat: chat.value, train: split.train, eval: split.eval, datasets: data.datasets, ...(mix ? { mix } : {}), fisherData, notes },
  };
}

/** The config's own `output_dir` when it parsed to a mapping that sets one. */
function writtenOutputDir(value: unknown): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = (value as Record<string, unknown>).output_dir;
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** The range of a top-level key in the config text (line of `key:`), for error locations. */
function keyRange(text: string, key: string): Diagnostic['range'] {
  const lines = text.split(/\r?\n/);
  const i = lines.findIndex((l) => l.startsWith(`${key}:`));
  const line = Math.max(0, i);
  return { start: { line, character: 0 }, end: { line, character: i < 0 ? 0 : key.length } };
}
