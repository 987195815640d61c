/**
 * Axolotl's console output (what `axolotl train` prints, usually kept as a Slurm `.out` or a
 * teed `.log` file): Transformers prints each logging step as a Python dict,
 *
 *   {'loss': 1.3421, 'grad_norm': 0.61, 'learning_rate': 2e-05, 'epoch': 0.05}
 *   {'eval_loss': 1.29, 'eval_runtime': 3.1, ..., 'epoch': 0.1}
 *   {'train_runtime': 120.5, ..., 'train_loss': 1.21, 'epoch': 1.0}
 *
 * without the step number; the tqdm bar printed to the same stream (`12/200 [00:31<08:10, ...]`)
 * carries it, so the step of a dict is the bar's last count before it. Without a bar, dicts are
 * numbered 1, 2, 3 ...
 *
 * When stdout is a file (nohup, `> train.log 2>&1`) Python buffers it while tqdm's stderr is
 * unbuffered, so every dict can land after the finished bar. tqdm still redraws the bar at the
 * same count each time a dict is written through it; those redraws, in order, give the steps.
 */
import type { MetricLog } from './metricLog';

const DICT = /\{\s*'(?:loss|eval_loss|train_runtime|train_loss)'[^{}]*\}/g;
const PAIR = /'([A-Za-z0-9_/]+)'\s*:\s*('[^']*'|"[^"]*"|[^,}]+)/g;
const BAR = /(\d+)\/(\d+)\s*\[/g;

/** Parses the Python-literal numbers of one dict ('nan', 'inf' and tensor(...) become null). */
function parseDict(text: string): Map<string, number | null> {
  const out = new Map<string, number | null>();
  for (const m of text.matchAll(PAIR)) {
    const raw = m[2]!.trim().replace(/^['"]|['"]$/g, '');
    const n = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw) ? Number(raw) : null;
    out.set(m[1]!, n);
  }
  return out;
}

/** Whether a text looks like Axolotl/Transformers console output with training logs. */
export function looksLikeTrainerLog(text: string): boolean {
  // search() ignores lastIndex; test() on this /g regex would leave it set, and matchAll() in
  // parseAxolotlLog would then start after the first dict and drop it.
  return text.search(DICT) >= 0;
}

export function parseAxolotlLog(text: string): MetricLog {
  const log: MetricLog = { steps: [], evals: [], totalSteps: null, final: null };
  // Walk bars and dicts in file order: every match with its offset.
  type Hit = { at: number; bar?: [number, number]; dict?: string };
  const hits: Hit[] = [];
  for (const m of text.matchAll(BAR)) hits.push({ at: m.index!, bar: [Number(m[1]), Number(m[2])] });
  for (const m of text.matchAll(DICT)) hits.push({ at: m.index!, dict: m[0] });
  hits.sort((a, b) => a.at - b.at);
  let barStep: number | null = null;
  let barTotal: number | null = null;
  // Training-bar counts drawn twice in a row: the points where a dict was written.
  const redraws: number[] = [];
  const dicts: { dict: Map<string, number | null>; step: number }[] = [];
  let seq = 0;
  for (const h of hits) {
    if (h.bar) {
      // Evaluation bars count eval batches, not steps; the training bar is the one with the
      // largest total seen so far that is not smaller than the step reached (a heuristic that holds
      // because the eval bar restarts at 0 and ends below the training total in practice).
      const [n, total] = h.bar;
      if (barTotal === null || total >= barTotal) {
        // A bar with a larger total (the training bar after a checkpoint-loading bar) starts afresh.
        if (total !== barTotal) redraws.length = 0;
        else if (n === barStep) redraws.push(n);
        barTotal = total;
        barStep = n;
      }
      continue;
    }
    seq++;
    dicts.push({ dict: parseDict(h.dict!), step: barStep ?? seq });
  }
  // Two training logs at one step cannot happen; it means the dicts were buffered past the bar.
  const lossSteps = dicts.filter((x) => x.dict.get('loss') != null).map((x) => x.step);
  if (new Set(lossSteps).size < lossSteps.length && redraws.length >= dicts.length) {
    dicts.forEach((x, i) => (x.step = redraws[i]!));
  }
  for (const { dict: d, step } of dicts) {
    const epoch = d.get('epoch') ?? null;
    const loss = d.get('loss');
    if (loss !== undefined && loss !== null) {
      log.steps.push({ step, epoch, loss, lr: d.get('learning_rate') ?? null, gradNorm: d.get('grad_norm') ?? null, tokensPerS: d.get('tokens_per_second') ?? null, wallTime: null });
    }
    const evalLoss = d.get('eval_loss');
    if (evalLoss !== undefined && evalLoss !== null) log.evals.push({ step, epoch, evalLoss, wallTime: null });
    if (d.has('train_runtime') || d.has('train_loss')) log.final = { step, trainLoss: d.get('train_loss') ?? null, runtime: d.get('train_runtime') ?? null };
  }
  log.totalSteps = barTotal;
  return log;
}
