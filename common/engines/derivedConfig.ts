/**
 * The config a Python engine is given: a copy of the user's YAML (never the file itself) with
 * what Tunelab adds: the Tunelab plugin in `plugins:` (Axolotl), an absolute `output_dir` (so the
 * events file is where Tunelab looks), `resume_from_checkpoint` on resume, and the command-line
 * overrides (`--max-steps`, `--output`). Comments and the order of the user's keys are kept, so
 * the copy reads like the original.
 */
import { isMap, isScalar, isSeq, parseDocument, YAMLSeq } from 'yaml';

/** The dotted class Axolotl loads (python/tunelab_engines/axolotl_plugin.py). */
export const AXOLOTL_PLUGIN = 'tunelab_engines.axolotl_plugin.TunelabPlugin';

export interface DeriveOptions {
  /** Add the Axolotl plugin (engine axolotl). */
  plugin: boolean;
  /** Absolute output directory. */
  outputDir: string;
  resumeFrom?: string | null;
  maxSteps?: number;
  /**
   * A relative local path as Tunelab resolves it (the config's folder first), absolute; null to
   * leave the value alone (a Hub id, or a path the engine resolves against its working directory
   * as Axolotl does). Applied to base_model, base_model_config, tokenizer_config, deepspeed and
   * each datasets / test_datasets path, so the temporary copy finds what the user's config named.
   */
  resolveLocal?: (path: string) => string | null;
}

const PATH_KEYS = ['base_model', 'base_model_config', 'tokenizer_config', 'deepspeed'];

export function deriveConfig(text: string, o: DeriveOptions): string {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (!isMap(doc.contents)) throw new Error('the config is not a YAML mapping');
  if (o.plugin) {
    const existing = doc.get('plugins', true);
    if (isSeq(existing)) {
      const has = existing.items.some((i) => isScalar(i) && i.value === AXOLOTL_PLUGIN);
      if (!has) existing.add(doc.createNode(AXOLOTL_PLUGIN));
    } else {
      const seq = new YAMLSeq();
      seq.add(doc.createNode(AXOLOTL_PLUGIN));
      doc.set('plugins', seq);
    }
  }
  if (o.resolveLocal) {
    const fix = (node: unknown) => {
      if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') return;
      const abs = o.resolveLocal!(node.value);
      if (abs !== null && abs !== node.value) node.value = abs;
    };
    for (const k of PATH_KEYS) fix(doc.get(k, true));
    for (const k of ['datasets', 'test_datasets']) {
      const seq = doc.get(k, true);
      if (isSeq(seq)) for (const entry of seq.items) if (isMap(entry)) fix(entry.get('path', true));
    }
  }
  doc.set('output_dir', o.outputDir);
  if (o.resumeFrom) doc.set('resume_from_checkpoint', o.resumeFrom);
  if (o.maxSteps !== undefined) doc.set('max_steps', o.maxSteps);
  return String(doc);
}
