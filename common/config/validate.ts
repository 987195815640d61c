import type { Diagnostic } from 'vscode-languageserver-types';
import { Severity, sortDiagnostics } from '../diagnostics';
import { RuleContext } from './context';
import { checkStructure } from './structure';
import { checkRules } from './rules';
import { checkMethodRules } from './rulesMethods';
import { checkDatasets } from './datasets';
import { checkAdvice } from './advice';
import { checkLocalModel } from './localModel';
import type { ConfigDocument, ConfigEnv } from './types';

/** Most diagnostics one document gets; a pathological file must not flood the editor. */
const MAX_DIAGNOSTICS = 500;

/**
 * All diagnostics of a config: syntax and bad input, structure (keys, types, values), Axolotl's
 * cross-field rules with Axolotl's severities, dataset entries and local paths, and advice from
 * fine-tuning practice; with `env.checkModel`, what a local base model's own files say about the
 * chat template and the loss mask. Never throws; sorted by position.
 */
export function validateConfig(doc: ConfigDocument, env: ConfigEnv = {}): Diagnostic[] {
  const out: Diagnostic[] = [...doc.parseDiagnostics];
  if (!doc.yaml) return out;
  const ctx = new RuleContext(doc, env);
  try {
    checkStructure(ctx);
    if (doc.root) {
      checkRequired(ctx);
      checkRules(ctx);
      checkMethodRules(ctx);
      checkDatasets(ctx);
      checkLocalModel(ctx);
      checkAdvice(ctx);
    }
  } catch (e) {
    // A language service must not fail on odd input; a bug here becomes one visible diagnostic.
    ctx.report('config-internal-error', Severity.Warning, { path: [] }, `Tunelab could not finish checking this config: ${(e as Error).message}`, undefined, true);
  }
  out.push(...dedupe(ctx.diagnostics));
  if (out.length <= MAX_DIAGNOSTICS) return sortDiagnostics(out);
  // Too many: keep the most severe, then show them in document order.
  const kept = out.sort((a, b) => (a.severity ?? 4) - (b.severity ?? 4)).slice(0, MAX_DIAGNOSTICS);
  return sortDiagnostics(kept);
}

function checkRequired(ctx: RuleContext): void {
  if (!(ctx.has('base_model'))) {
    if (!Object.prototype.hasOwnProperty.call(ctx.cfg, 'base_model')) {
      ctx.report('config-missing-key', Severity.Error, { path: [] }, "Missing required key 'base_model': the model to fine-tune (a Hub id or a local folder).", { addKey: { key: 'base_model', value: '' } }, true);
    }
  }
  if (!Object.prototype.hasOwnProperty.call(ctx.cfg, 'learning_rate')) {
    ctx.report('config-missing-key', Severity.Error, { path: [] }, "Missing required key 'learning_rate' (e.g. 2e-4 for LoRA, 1e-5 for full fine-tuning).", { addKey: { key: 'learning_rate', value: 0.0002 } }, true);
  }
  if (!ctx.on('datasets') && !ctx.on('pretraining_dataset')) {
    ctx.report(
      'config-missing-datasets',
      Severity.Error,
      [{ path: ['datasets'] }, { path: ['pretraining_dataset'] }],
      'Either datasets or pretraining_dataset is required (and must not be empty).',
      Object.prototype.hasOwnProperty.call(ctx.cfg, 'datasets') ? undefined : { addKey: { key: 'datasets', value: [{ path: '', type: 'chat_template' }] } },
      true,
    );
  }
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.code}|${d.range.start.line}:${d.range.start.character}|${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
