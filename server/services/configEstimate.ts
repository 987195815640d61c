/**
 * The memory and parameter estimate of a config (common/estimate), shaped for the server: the
 * lens title and Markdown breakdown (`tunelab/estimate`, the lens, hover on `base_model`) and
 * the `memory-exceeds-gpu` warning when the estimate is over the GPU memory the user set (the
 * `tunelab.gpuMemoryGb` setting) or the config's `gpu_memory_limit`, with the changes that would
 * make it fit as quick-fix data.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ConfigDocument } from '../../common/config/types';
import { diagnostic, Severity } from '../../common/diagnostics';
import { estimateConfig, fitSuggestions, formatBreakdown, formatFitWarning, formatLens, MEMORY_EXCEEDS_GPU, type Estimate, type EstimateEnv } from '../../common/estimate/index';
import type { EstimateResult } from '../../common/protocol/lsp';
import { topLevelRange } from './yamlEdits';

export type ConfigEstimate =
  | { ok: true; estimate: Estimate; result: Extract<EstimateResult, { ok: true }>; diagnostics: Diagnostic[] }
  | { ok: false; reason: string; key?: string; diagnostics: Diagnostic[] };

export function configEstimate(doc: TextDocument, cfg: ConfigDocument, env: EstimateEnv): ConfigEstimate {
  if (cfg.value === undefined || cfg.root === null) return { ok: false, reason: '', diagnostics: [] };
  const e = estimateConfig(cfg.value, env);
  if ('unknown' in e) {
    const out: ConfigEstimate = { ok: false, reason: e.unknown, diagnostics: [] };
    if (e.key) out.key = e.key;
    return out;
  }
  const limit = e.gpuMemory?.bytes;
  const fits = limit ? e.perGpu <= limit : null;
  const diagnostics: Diagnostic[] = [];
  if (limit && e.perGpu > limit) {
    const suggestions = fitSuggestions(e, limit);
    const where = (e.gpuMemory?.source === 'config' ? topLevelRange(cfg, 'gpu_memory_limit', 'value') : undefined) ?? topLevelRange(cfg, 'base_model') ?? [0, 0];
    diagnostics.push(
      diagnostic(MEMORY_EXCEEDS_GPU, Severity.Warning, { start: doc.positionAt(where[0]), end: doc.positionAt(where[1]) }, formatFitWarning(e, limit, suggestions), { suggestions }),
    );
  }
  const m = e.memory;
  return {
    ok: true,
    estimate: e,
    diagnostics,
    result: {
      ok: true,
      params: { total: e.params.total, trainable: e.params.trainable },
      memory: { weights: m.weights, gradients: m.gradients, optimizer: m.optimizer, activations: m.activations, other: m.logits + m.buffers + m.overhead, total: m.total },
      perGpu: e.perGpu,
      fits,
      title: formatLens(e),
      markdown: formatBreakdown(e),
    },
  };
}
