// Forgetting mitigations end to end through `tunelab train`: a weighted two-dataset mix with a
// loss weight, and EWC + L2-SP on general text; run_start reports the mix, step events the penalty.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../../cli/test/inProcess';
import { parseEvent, type TrainerEvent } from '../../../common/protocol/events';
import { writeChatData, writeTestModel } from './modelDir';

let dir = '';
let model = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunelab-forgetting-'));
  model = join(dir, 'model');
  writeTestModel(model);
  writeChatData(join(dir, 'task.jsonl'), 12);
  writeChatData(join(dir, 'general.jsonl'), 4);
  writeFileSync(join(dir, 'general.txt'), 'One plus one is two.\n\nThe sky is blue and the grass is green.\n\nWhat is three plus four? It is seven.\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function train(extra: string[]): Promise<{ code: number; events: TrainerEvent[]; err: string }> {
  const cfg = join(dir, 'cfg.yml');
  writeFileSync(
    cfg,
    [
      `base_model: ${model}`,
      'datasets:',
      '  - path: task.jsonl',
      '    type: chat_template',
      '    weight: 3',
      '  - path: general.jsonl',
      '    type: chat_template',
      '    weight: 1',
      '    loss_weight: 0.5',
      'adapter: lora',
      'lora_r: 4',
      'lora_alpha: 8',
      'lora_target_linear: true',
      'sequence_len: 64',
      'micro_batch_size: 2',
      'gradient_accumulation_steps: 1',
      'max_steps: 3',
      'learning_rate: 0.01',
      'logging_steps: 1',
      'seed: 3',
      `output_dir: ${join(dir, 'out')}`,
      ...extra,
    ].join('\n') + '\n',
  );
  const { code, out, err } = await runCli(dir, ['train', cfg, '--json']);
  const events = out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => parseEvent(l) as TrainerEvent);
  return { code, events, err };
}

describe('tunelab train with a data mix and forgetting penalties', () => {
  it('run_start reports the mix; steps report the EWC + L2-SP penalty, zero at the start', async () => {
    const r = await train(['ewc_lambda: 5', 'ewc_data: general.txt', 'ewc_samples: 4', 'l2sp_lambda: 0.1']);
    assert.equal(r.code, 0, r.err + JSON.stringify(r.events.filter((e) => e.type === 'error')));
    const start = r.events.find((e) => e.type === 'run_start') as Extract<TrainerEvent, { type: 'run_start' }>;
    // 16 examples in all (12 + 4); shares 3:1 → 12 and 4 (no validation split).
    assert.deepEqual(start.dataset.mix, [
      { path: join(dir, 'task.jsonl'), records: 12, drawn: 12, share: 0.75, loss_weight: 1 },
      { path: join(dir, 'general.jsonl'), records: 4, drawn: 4, share: 0.25, loss_weight: 0.5 },
    ]);
    assert.equal(start.dataset.train_records, 16);
    const log = r.events.find((e) => e.type === 'log' && e.message.startsWith('forgetting penalty')) as Extract<TrainerEvent, { type: 'log' }>;
    assert.match(log.message, /^forgetting penalty ewc\+l2sp: ewc_lambda 5 \(Fisher on \d+ sequences of general\.txt\), l2sp_lambda 0\.1, anchored at the starting weights$/);
    const steps = r.events.filter((e) => e.type === 'step') as Extract<TrainerEvent, { type: 'step' }>[];
    assert.deepEqual(steps.map((s) => s.step), [1, 2, 3]);
    assert.equal(steps[0]!.penalty, 0);
    assert.ok(steps[1]!.penalty! > 0 && steps[2]!.penalty! > 0, JSON.stringify(steps.map((s) => s.penalty)));
  });

  it('ewc_data that does not exist is refused before compute, at its line', async () => {
    const r = await train(['ewc_lambda: 5', 'ewc_data: nowhere.txt']);
    assert.equal(r.code, 2);
    const errors = r.events.filter((e) => e.type === 'error') as Extract<TrainerEvent, { type: 'error' }>[];
    assert.deepEqual(errors.map((e) => [e.code, e.location?.range.start.line]), [['config-ewc-data-missing', 22]]);
  });
});
