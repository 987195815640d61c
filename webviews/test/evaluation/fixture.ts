import type { EvalReport, ForgettingReport } from '../../../common/eval/report';

/** Test input: a comparison of two models on a task metric (acc), a perplexity task and a task only the tuned model ran. */
export function comparison(): ForgettingReport {
  const base: EvalReport = {
    v: 1,
    model: '/m/base',
    adapter: null,
    created: '2026-12-03T10:00:00.000Z',
    tasks: [
      {
        task: 'arc_easy',
        kind: 'multiple_choice',
        n: 100,
        num_fewshot: 0,
        primary_metric: 'acc',
        metrics: { acc: { value: 0.62, stderr: 0.05 }, acc_norm: { value: 0.6, stderr: 0.05 } },
        higher_is_better: { acc: true, acc_norm: true },
        samples: [
          { id: '0', prompt: 'Question: Which is a gas?\nAnswer:', target: ' oxygen', output: ' iron', correct: false },
          { id: '1', prompt: 'Question: <b>bold</b>?\nAnswer:', target: ' yes', output: ' yes', correct: true },
        ],
      },
      {
        task: 'wikitext',
        kind: 'perplexity',
        n: 10,
        num_fewshot: 0,
        primary_metric: 'bits_per_byte',
        metrics: { bits_per_byte: { value: 1.25, stderr: null } },
        higher_is_better: { bits_per_byte: false },
      },
    ],
  };
  const tuned: EvalReport = {
    ...base,
    adapter: '/out/lora',
    tasks: [
      { ...base.tasks[0]!, metrics: { acc: { value: 0.5, stderr: 0.05 }, acc_norm: { value: 0.52, stderr: 0.05 } }, samples: [{ id: '1', prompt: 'Question: <b>bold</b>?\nAnswer:', target: ' yes', output: ' arr', correct: false }] },
      { ...base.tasks[1]!, metrics: { bits_per_byte: { value: 1.3, stderr: null } } },
      { task: 'pirate', kind: 'generation', n: 20, num_fewshot: 0, primary_metric: 'exact_match', metrics: { exact_match: { value: 0.85, stderr: 0.08 } }, higher_is_better: { exact_match: true } },
    ],
  };
  return {
    v: 1,
    kind: 'forgetting',
    base,
    tuned,
    deltas: [
      { task: 'arc_easy', metric: 'acc', base: 0.62, tuned: 0.5, delta: -0.12, ci95: [-0.2, -0.04], paired: true, significant: true, higher_is_better: true, worse: true },
      { task: 'wikitext', metric: 'bits_per_byte', base: 1.25, tuned: 1.3, delta: 0.05, ci95: null, paired: false, significant: false, higher_is_better: false, worse: false },
    ],
    verdict: 'arc_easy -12.0 pts: significant forgetting',
    forgetting: true,
    created: '2026-12-03T10:05:00.000Z',
  };
}
