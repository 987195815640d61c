// Every example config (examples/*.yml): the trainable-parameter count the trainer reports at run
// start (the model after the method is applied) equals the estimator's for the same config.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { estimateConfig } from '../../../common/estimate/index';
import { selectBackend } from '../../backend/index';
import { loadModel } from '../../io/index';
import { applyMethod } from '../../peft/index';
import { readSettings } from '../../train/settings';

const examples = resolve(import.meta.dirname, '..', '..', '..', 'examples');
const configs = readdirSync(examples).filter((f) => f.endsWith('.yml')).sort();

before(async () => {
  await selectBackend('wasm');
});

describe('trainable parameters: trainer = estimator', () => {
  it('covers the example of every method this registry trains', () => {
    const methods = new Set(configs.map((f) => readSettings(parse(readFileSync(join(examples, f), 'utf8')) as Record<string, unknown>).settings.method));
    for (const m of ['full', 'lora', 'prefix', 'prompt', 'bottleneck'] as const) assert.ok(methods.has(m), `no example config for ${m}`);
  });

  for (const file of configs) {
    it(file, () => {
      const cfg = parse(readFileSync(join(examples, file), 'utf8')) as Record<string, unknown>;
      const baseModel = resolve(examples, String(cfg.base_model));
      const { settings, problems } = readSettings(cfg);
      assert.deepEqual(problems, []);
      const model = loadModel(baseModel);
      try {
        applyMethod(model, { method: settings.method, settings: settings.methodSettings }, { seed: 1, encode: (t) => Array.from(t, (c) => c.charCodeAt(0) % model.config.vocabSize) });
        const estimate = estimateConfig({ ...cfg, base_model: baseModel }, { readTextFile: (p) => readFileSync(p, 'utf8') });
        if ('unknown' in estimate) assert.fail(estimate.unknown);
        assert.equal(model.parameterCounts().trainable, estimate.params.trainable, `${file} (${settings.method})`);
      } finally {
        model.dispose();
      }
    });
  }
});
