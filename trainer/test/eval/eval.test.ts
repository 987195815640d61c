import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exactMatch } from '../../../common/eval/metrics';
import { selectBackend } from '../../backend/index';
import { evalTokenizer, prepareTasks } from '../../eval/evalTasks';
import { generateUntil } from '../../eval/generateUntil';
import { scoreChoicesShared, scoreRequestAlone, scoreWindows } from '../../eval/loglik';
import { runTask } from '../../eval/runTasks';
import { generate } from '../../generate/index';
import { generationMetrics } from '../../train/evalRun';
import { loadModel } from '../../io/index';
import type { CausalLM } from '../../model/index';

const root = join(import.meta.dirname, '..', '..', '..');
const tinyBase = join(root, 'examples', 'models', 'tiny-base');
const llamaTiny = join(import.meta.dirname, '..', 'fixtures', 'llama-tiny');
const evalDir = join(root, 'examples', 'eval');

before(async () => {
  await selectBackend('wasm');
});

/** Σ log softmax(logits)[next token] over the continuation, from one plain forward, on the host. */
function referenceLoglik(model: CausalLM, ctx: number[], cont: number[]): number {
  const ids = [...ctx, ...cont];
  const T = ids.length - 1;
  const logits = model.logits({ batch: 1, seqLen: T, inputIds: Int32Array.from(ids.slice(0, T)) });
  const V = logits.shape[1];
  const data = logits.dataSync();
  logits.dispose();
  let ll = 0;
  for (let t = ctx.length - 1; t < T; t++) {
    const row = data.subarray(t * V, (t + 1) * V);
    let max = -Infinity;
    for (const x of row) max = Math.max(max, x);
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    ll += row[ids[t + 1]!]! - max - Math.log(sum);
  }
  return ll;
}

describe('log-likelihood scoring', () => {
  it('the shared-context path (KV cache + packed continuations) equals one forward per request', () => {
    const model = loadModel(llamaTiny);
    const ctx = [5, 17, 9, 30, 12, 7, 8];
    const conts = [[40], [41, 42, 43], [44, 45], [10, 3, 3, 3, 3]];
    const shared = scoreChoicesShared(model, ctx, conts, { maxLen: 64 });
    conts.forEach((c, i) => {
      const want = referenceLoglik(model, ctx, c);
      assert.ok(Math.abs(shared[i]!.ll - want) < 1e-4, `choice ${i}: ${shared[i]!.ll} vs ${want}`);
      const alone = scoreRequestAlone(model, ctx, c, { maxLen: 64 });
      assert.ok(Math.abs(alone.ll - want) < 1e-4);
      assert.equal(alone.greedy, shared[i]!.greedy);
    });
    model.dispose();
  });

  it('truncates the context from the left as lm-eval does when context + continuation is too long', () => {
    const model = loadModel(llamaTiny);
    const ctx = [5, 17, 9, 30, 12, 7, 8, 11, 13];
    const conts = [[40], [41, 42, 43, 44, 45]];
    // maxLen 8: the model sees (ctx + cont)[-9:][:-1].
    const got = scoreChoicesShared(model, ctx, conts, { maxLen: 8 });
    assert.ok(Math.abs(got[0]!.ll - referenceLoglik(model, ctx.slice(-8), [40])) < 1e-4);
    assert.ok(Math.abs(got[1]!.ll - referenceLoglik(model, ctx.slice(-4), [41, 42, 43, 44, 45])) < 1e-4);
    model.dispose();
  });

  it('rolling windows packed into rows score like separate forwards', () => {
    const model = loadModel(llamaTiny);
    const windows = [
      { context: [2], predicted: [5, 6, 7] },
      { context: [5, 6], predicted: [7, 8] },
      { context: [1], predicted: [9] },
    ];
    const got = scoreWindows(model, windows, { maxLen: 6, rows: 2 });
    windows.forEach((w, i) => assert.ok(Math.abs(got[i]! - referenceLoglik(model, w.context, w.predicted)) < 1e-4));
    model.dispose();
  });
});

describe('tasks on tiny-base', () => {
  it('MMLU: lm-eval prompts, per-subject groups, batched and unbatched agree item for item', async () => {
    const prepared = await prepareTasks([{ task: 'mmlu', data: join(evalDir, 'data') }], root, 'unused', 1);
    assert.ok(prepared.ok);
    const tok = await evalTokenizer(tinyBase);
    const model = loadModel(tinyBase);
    const a = runTask(model, tok, prepared.value[0]!, { samples: 6 });
    const b = runTask(model, tok, prepared.value[0]!, { samples: 0, unbatched: true });
    model.dispose();
    assert.deepEqual(a.items.ids, ['astronomy/0', 'astronomy/1', 'astronomy/2', 'elementary_mathematics/3', 'elementary_mathematics/4', 'elementary_mathematics/5']);
    assert.deepEqual(a.items.num, b.items.num);
    assert.equal(a.result.n, 6);
    assert.equal(a.result.num_fewshot, 1);
    const acc = a.items.num.reduce((s, x) => s + x, 0) / 6;
    assert.equal(a.result.metrics.acc!.value, acc);
    assert.deepEqual(a.result.subtasks!.map((s) => [s.task, s.n]), [['mmlu_astronomy', 3], ['mmlu_elementary_mathematics', 3]]);
    assert.equal(
      a.result.samples![0]!.prompt,
      'The following are multiple choice questions (with answers) about astronomy.\n\nWhat is the largest planet?\nA. Jupiter\nB. Saturn\nC. Neptune\nD. Earth\nAnswer: A\n\nWhich planet is closest to the Sun?\nA. Venus\nB. Mercury\nC. Earth\nD. Mars\nAnswer:',
    );
    assert.deepEqual(a.result.samples!.map((s) => s.correct), a.items.num.map((x) => x === 1));
  });

  it('generation: greedy until the stop string, the same text as the generator cut there', async () => {
    const tok = await evalTokenizer(tinyBase);
    const model = loadModel(tinyBase);
    const prompt = tok.encode('The town of');
    const full = generate(model, prompt, { maxNewTokens: 24, stopIds: tok.stopIds });
    const text = tok.decode(full.ids);
    assert.ok(text.length >= 6, `generated ${JSON.stringify(text)}`);
    // A stop string from the middle of the text: generation ends at its first occurrence.
    const stop = text.slice(Math.floor(text.length / 2), Math.floor(text.length / 2) + 2);
    const got = generateUntil(model, prompt, { until: [stop], maxNewTokens: 24, stopIds: tok.stopIds, maxLen: 512, decode: tok.decode });
    const unstopped = generateUntil(model, prompt, { until: [], maxNewTokens: 24, stopIds: tok.stopIds, maxLen: 512, decode: tok.decode });
    model.dispose();
    assert.equal(got, text.slice(0, text.indexOf(stop)));
    assert.equal(unstopped, text);
  });

  it('a YAML generation task scores each sample by its metric', async () => {
    const prepared = await prepareTasks([join(evalDir, 'capitals_gen.yaml')], root, 'unused', 0);
    assert.ok(prepared.ok);
    const tok = await evalTokenizer(tinyBase);
    const model = loadModel(tinyBase);
    const r = runTask(model, tok, prepared.value[0]!, { samples: 4 });
    model.dispose();
    assert.equal(r.result.kind, 'generation');
    assert.deepEqual(Object.keys(r.result.metrics), ['exact_match', 'normalized_match', 'contains', 'rougeL']);
    r.result.samples!.forEach((s, i) => assert.equal(r.items.num[i], exactMatch(s.output!, s.target, { ignore_case: true })));
  });

  it('perplexity: bits per byte = Σ NLL / (ln 2 · UTF-8 bytes) over the documents', async () => {
    const prepared = await prepareTasks([join(evalDir, 'corpus.txt')], root, 'unused', undefined);
    assert.ok(prepared.ok);
    const loaded = prepared.value[0]!;
    assert.equal(loaded.docs.length, 4);
    const tok = await evalTokenizer(tinyBase);
    const model = loadModel(tinyBase);
    const r = runTask(model, tok, loaded, {});
    // Each document fits one window: its NLL is the plain forward from the prefix token.
    let nll = 0;
    let bytes = 0;
    for (const d of loaded.docs) {
      const text = d.text as string;
      nll -= referenceLoglik(model, [tok.prefixToken], tok.encode(text));
      bytes += Buffer.byteLength(text, 'utf8');
    }
    model.dispose();
    const bpb = r.result.metrics.bits_per_byte!.value;
    assert.ok(Math.abs(bpb - nll / Math.LN2 / bytes) < 1e-5, `${bpb} vs ${nll / Math.LN2 / bytes}`);
    assert.equal(r.result.primary_metric, 'bits_per_byte');
  });

  it('problems are data: unknown task, missing benchmark files, a bad record', async () => {
    const r = await prepareTasks(['nosuch', { task: 'hellaswag', data: join(evalDir, 'data', 'mmlu') }], root, 'unused', 0);
    assert.ok(!r.ok);
    assert.equal(r.problems[0]!.code, 'eval-task-unknown');
    assert.equal(r.problems[1]!.code, 'eval-data-missing');
    assert.match(r.problems[1]!.message, /Download Rowan\/hellaswag .* from the Hugging Face Hub/);
  });
});

it('validation-split generations are scored against their references', () => {
  const m = generationMetrics([
    { prompt: 'p1', reference: 'Paris\n', generated: 'Paris' },
    { prompt: 'p2', reference: 'the Tower', generated: 'Tower!' },
  ])!;
  assert.deepEqual(Object.keys(m), ['exact_match', 'normalized_match', 'contains', 'rougeL']);
  assert.deepEqual(m.exact_match, { value: 0.5, stderr: 0.5 });
  assert.deepEqual(m.normalized_match, { value: 1, stderr: 0 });
  assert.deepEqual(m.contains, { value: 0.5, stderr: 0.5 });
  // ROUGE-L of "tower" against "the tower": P 1, R 1/2, F 2/3.
  assert.ok(Math.abs(m.rougeL!.value - (1 + 2 / 3) / 2) < 1e-12);
  assert.equal(generationMetrics([]), null);
});

it('an item the model cannot score (an empty choice) is a located problem, not a crash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-eval-empty-'));
  writeFileSync(join(dir, 'd.jsonl'), '{"q": "a?", "c": ["x", "y"], "a": 0}\n{"q": "b?", "c": ["", "y"], "a": 1}\n');
  writeFileSync(join(dir, 't.yaml'), 'task: e\noutput_type: multiple_choice\ndata_files: d.jsonl\ndoc_to_text: "{{q}}"\ndoc_to_choice: c\ndoc_to_target: a\ntarget_delimiter: ""\n');
  const prepared = await prepareTasks([join(dir, 't.yaml')], root, 'unused', 0);
  assert.ok(prepared.ok);
  const tok = await evalTokenizer(tinyBase);
  const model = loadModel(tinyBase);
  try {
    assert.throws(() => runTask(model, tok, prepared.value[0]!, {}), { message: 'task e, item 1: empty continuation: the choice encodes to no tokens' });
  } finally {
    model.dispose();
  }
});
