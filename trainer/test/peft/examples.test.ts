// The example configs of the hook methods end to end through the CLI: a short run reports the
// method and saves an adapter that `tunelab eval --adapter` scores at the run's own final loss,
// lower than the base model's.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../../cli/main';
import type { CliIo } from '../../../cli/command';

const root = join(import.meta.dirname, '..', '..', '..');
const present = existsSync(join(root, 'examples', 'models', 'tiny-base', 'model.safetensors'));
const io = (sink: string[]): CliIo => ({ cwd: root, out: (t) => void sink.push(t), err: () => {}, isTty: false });

describe('examples/{prefix,prompt,bottleneck}.yml', { skip: present ? false : 'examples/models/tiny-base not built yet (npx tsx scripts/make-tiny-model.ts)' }, () => {
  for (const method of ['prefix', 'prompt', 'bottleneck']) {
    it(`${method}: 10 steps lower the validation loss; the saved adapter evaluates to the run's final loss`, async () => {
      const out = mkdtempSync(join(tmpdir(), `tunelab-${method}-`));
      try {
        const config = `examples/${method}.yml`;
        const before: string[] = [];
        assert.equal(await main(['eval', config, '--json'], io(before)), 0);
        const events: string[] = [];
        assert.equal(await main(['train', config, '--max-steps', '10', '--output', out, '--json'], io(events)), 0);
        const parsed = events.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
        const start = parsed.find((e) => e.type === 'run_start')!;
        const done = parsed.find((e) => e.type === 'done') as { status: string; outputs: { adapter?: string }; metrics: { eval_loss: number } };
        assert.equal(start.method, method);
        assert.deepEqual([done.status, done.outputs.adapter], ['completed', out]);
        assert.deepEqual(readdirSync(out).filter((f) => f.startsWith('adapter_')).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
        assert.equal(JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')).peft_type, { prefix: 'PREFIX_TUNING', prompt: 'PROMPT_TUNING', bottleneck: 'BOTTLENECK' }[method]);
        const after: string[] = [];
        assert.equal(await main(['eval', config, '--adapter', out, '--json'], io(after)), 0);
        const [b, a] = [JSON.parse(before.join('')), JSON.parse(after.join(''))];
        assert.ok(a.eval_loss < b.eval_loss - 0.1, `validation loss ${b.eval_loss} → ${a.eval_loss}`);
        assert.ok(Math.abs(a.eval_loss - done.metrics.eval_loss) < 1e-4, `eval ${a.eval_loss} vs the run's ${done.metrics.eval_loss}`);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});
