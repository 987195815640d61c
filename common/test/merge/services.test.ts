import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CompletionItem, MarkupContent } from 'vscode-languageserver-types';
import { parseConfig } from '../../config/index';
import { looksLikeMergeConfig, mergeCompletion, mergeHover, validateMergeConfig } from '../../merge/index';
import { corpusRoot, missingCorpus } from '../corpus';

/** Completion labels at the `|` in `text`. */
function complete(text: string): CompletionItem[] {
  const offset = text.indexOf('|');
  return mergeCompletion(parseConfig(text.slice(0, offset) + text.slice(offset + 1)), offset, { snippets: false });
}
const labels = (items: CompletionItem[]): string[] => items.map((i) => i.label);

function hover(text: string): string | undefined {
  const offset = text.indexOf('|');
  const h = mergeHover(parseConfig(text.slice(0, offset) + text.slice(offset + 1)), offset);
  return h ? (h.contents as MarkupContent).value : undefined;
}

describe('merge config completion', () => {
  it('top-level keys not yet present', () => {
    assert.deepEqual(labels(complete('merge_method: ties\n|')), ['models', 'slices', 'modules', 'base_model', 'parameters', 'dtype', 'out_dtype', 'tokenizer_source', 'tokenizer', 'chat_template', 'name']);
  });
  it('method names, with the method doc', () => {
    const items = complete('merge_method: |\n');
    assert.equal(items.length, 20);
    assert.deepEqual(labels(items).slice(0, 3), ['linear', 'slerp', 'nuslerp']);
    assert.match((items[0].documentation as MarkupContent).value, /per-model parameters: `weight` \(required\)/);
  });
  it("the method's parameters: per model in a models entry, all at top level", () => {
    assert.deepEqual(labels(complete('merge_method: ties\nbase_model: b\nmodels:\n  - model: a\n    parameters:\n      |\n')), ['weight', 'density']);
    assert.deepEqual(labels(complete('merge_method: ties\nparameters:\n  |\n')), ['int8_mask', 'normalize', 'rescale', 'lambda', 'weight', 'density']);
    assert.deepEqual(labels(complete('merge_method: ties\nparameters:\n  normalize: |\n')), ['true', 'false']);
  });
  it('keys of a new models entry and of a slice source', () => {
    assert.deepEqual(labels(complete('merge_method: linear\nmodels:\n  - |\n')), ['model', 'parameters']);
    assert.deepEqual(labels(complete('merge_method: passthrough\nslices:\n  - sources:\n      - model: a\n        |\n')), ['layer_range', 'parameters']);
  });
  it('dtype values', () => {
    assert.deepEqual(labels(complete('merge_method: linear\ndtype: |\n')), ['bfloat16', 'float16', 'float32']);
  });
});

describe('merge config hover', () => {
  it('a method value shows its parameters and defaults', () => {
    assert.equal(hover('merge_method: dare_t|ies\n'), [
      '**DARE TIES** (`dare_ties`)',
      '',
      'Drops task-vector entries at random (keep probability `density`), rescales the survivors to the original L1 norm, then elects signs as TIES does.',
      '',
      '- base_model: required; at least 2 models',
      '- global parameters: `int8_mask` = false, `normalize` = false, `rescale` = true, `lambda` = 1',
      '- per-model parameters: `weight` (required), `density` = 1',
      '- runs with `tunelab merge`',
      '',
      'https://arxiv.org/abs/2311.03099',
    ].join('\n'));
  });
  it("a parameter shows its scope and default for the config's method", () => {
    assert.match(hover('merge_method: ties\nparameters:\n  norm|alize: false\n')!, /^\*\*normalize\*\* \(ties: global, default true\)\n\nDivide the merged delta/);
  });
  it('a key of a slice source', () => {
    assert.equal(hover('slices:\n  - sources:\n      - model: a\n        layer_r|ange: [0, 2]\nmerge_method: passthrough\n'), '**layer_range**\n\nLayers [start, end) taken from this model (end exclusive).');
  });
});

describe('mergekit corpus', () => {
  const dir = join(corpusRoot, 'mergekit-examples');
  const missing = missingCorpus(dir);
  it('the example merge configs are recognised and have no errors', (t) => {
    if (missing) return t.skip(missing);
    const files = readdirSync(dir).filter((f) => f.endsWith('.yml')).sort();
    assert.equal(files.length, 6);
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      assert.equal(looksLikeMergeConfig(text), true, f);
      const errors = validateMergeConfig(parseConfig(text)).filter((d) => d.severity === 1);
      assert.deepEqual(errors, [], f);
    }
  });
  it('mergekit-moe, mergekit-evolve and README fragments are not taken for merge configs; the complete mergekit-multi example has no finding', (t) => {
    if (missing) return t.skip(missing);
    const docs = join(dir, 'from-docs');
    for (const f of readdirSync(docs).sort()) {
      const text = readFileSync(join(docs, f), 'utf8');
      if (f.startsWith('multimerge')) assert.equal(looksLikeMergeConfig(text), true, f);
      else assert.equal(looksLikeMergeConfig(text), false, f);
    }
    // multimerge-2 is a sketch with `...` in place of the models; multimerge-1 is complete.
    assert.deepEqual(validateMergeConfig(parseConfig(readFileSync(join(docs, 'multimerge-1.yml'), 'utf8'))), []);
  });
});
