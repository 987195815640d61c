/**
 * Fine-tune or prompt? The decision framework of the seed chapter ("favour prompting for simple
 * tasks with few examples and rapidly changing requirements; favour fine-tuning for complex tasks
 * with hundreds+ of examples, strict consistency needs and stable requirements; the hybrid
 * approach — prompt first, collect data, then fine-tune — is often optimal") and its cost argument
 * (fine-tuning removes the long system prompt and few-shot examples from every query, at an upfront
 * training cost, so it pays off above a query volume).
 *
 * Pure and browser-safe (no Node imports): the plan webview runs it as the user edits inputs.
 * Prices are always user inputs; nothing here pretends to know current prices.
 */

export type Level = 'low' | 'medium' | 'high';

/** What the user knows about the task and its economics. Prices in USD per million tokens. */
export interface PlanInputs {
  taskComplexity: Level;
  /** Labelled examples available for training. */
  examples: number;
  requirements: 'stable' | 'changing';
  consistency: 'strict' | 'normal';
  /** Tokens per query that fine-tuning removes: the system prompt and few-shot examples. */
  promptTokens: number;
  /** Tokens per query both options send (the user's own input). */
  queryTokens: number;
  /** Tokens generated per query. */
  outputTokens: number;
  queriesPerMonth: number;
  inputPrice: number | null;
  outputPrice: number | null;
  /** Prices of the fine-tuned model when they differ (hosted fine-tunes often cost more); null: same as the base. */
  fineTunedInputPrice: number | null;
  fineTunedOutputPrice: number | null;
  /** Dataset tokens × epochs. */
  trainTokens: number | null;
  /** Training throughput of the whole job (all GPUs), tokens per second. */
  tokensPerSecond: number | null;
  /** USD per GPU-hour, and how many GPUs the job uses. */
  gpuPricePerHour: number | null;
  /** Hosted fine-tuning priced per training token (USD per million); when set it replaces GPU price × time. */
  trainPricePerMTok: number | null;
  gpus: number;
  /** Months over which the training cost is spread in the monthly comparison. */
  amortizeMonths: number;
  /** Fixed monthly cost of serving the fine-tuned model yourself (0 when served per token). */
  hostingPerMonth: number;
}

/** Defaults for what the user has not said. Prices stay unknown. */
export const DEFAULT_PLAN_INPUTS: PlanInputs = {
  taskComplexity: 'medium',
  examples: 0,
  requirements: 'stable',
  consistency: 'normal',
  promptTokens: 1000,
  queryTokens: 200,
  outputTokens: 200,
  queriesPerMonth: 10_000,
  inputPrice: null,
  outputPrice: null,
  fineTunedInputPrice: null,
  fineTunedOutputPrice: null,
  trainTokens: null,
  tokensPerSecond: null,
  gpuPricePerHour: null,
  trainPricePerMTok: null,
  gpus: 1,
  amortizeMonths: 12,
  hostingPerMonth: 0,
};

export type Option = 'prompt' | 'fine-tune' | 'hybrid';

/** One factor of the decision and which way it leans. */
export interface Reason {
  factor: 'complexity' | 'examples' | 'requirements' | 'consistency' | 'cost';
  favours: 'prompt' | 'fine-tune' | 'neutral';
  text: string;
}

/** Monthly cost of each option at each query volume (the plot's data). */
export interface CostCurve {
  queries: number[];
  prompt: number[];
  fineTune: number[];
}

export interface PlanCosts {
  /** USD per query, null when prices are missing. */
  promptPerQuery: number | null;
  fineTunedPerQuery: number | null;
  trainingHours: number | null;
  trainingCost: number | null;
  /** At the given queries per month. */
  monthlyPrompt: number | null;
  monthlyFineTune: number | null;
  /** Queries per month above which fine-tuning is cheaper; null when unknown or never (see `breakEvenNote`). */
  breakEvenQueriesPerMonth: number | null;
  breakEvenNote: string;
  /**
   * Months until the per-query savings at the given volume have paid for training (and hosting);
   * null when unknown or never.
   */
  paybackMonths: number | null;
  curve: CostCurve | null;
}

export interface PlanResult {
  recommendation: Option;
  /** One sentence. */
  summary: string;
  reasons: Reason[];
  costs: PlanCosts;
  /** Inputs the cost comparison still needs. */
  missing: string[];
  /** Defaults that were assumed. */
  assumptions: string[];
}

/** A rejected input: which field and why. */
export interface PlanInputError {
  field: keyof PlanInputs;
  message: string;
}

const LIMITS: Partial<Record<keyof PlanInputs, [number, number, boolean]>> = {
  // field: [min, max, integer]
  examples: [0, 1e10, true],
  promptTokens: [0, 1e8, true],
  queryTokens: [0, 1e8, true],
  outputTokens: [0, 1e8, true],
  queriesPerMonth: [0, 1e13, false],
  inputPrice: [0, 1e6, false],
  outputPrice: [0, 1e6, false],
  fineTunedInputPrice: [0, 1e6, false],
  fineTunedOutputPrice: [0, 1e6, false],
  trainTokens: [1, 1e15, false],
  tokensPerSecond: [1e-6, 1e12, false],
  gpuPricePerHour: [0, 1e6, false],
  trainPricePerMTok: [0, 1e6, false],
  gpus: [1, 1e6, true],
  amortizeMonths: [1, 600, false],
  hostingPerMonth: [0, 1e12, false],
};

/** Checks every field; an empty list means the inputs can be planned. */
export function validatePlanInputs(i: PlanInputs): PlanInputError[] {
  const errors: PlanInputError[] = [];
  const oneOf = (field: keyof PlanInputs, allowed: readonly string[]) => {
    if (!allowed.includes(i[field] as string)) errors.push({ field, message: `${field} must be one of ${allowed.join(', ')}, got ${JSON.stringify(i[field])}` });
  };
  oneOf('taskComplexity', ['low', 'medium', 'high']);
  oneOf('requirements', ['stable', 'changing']);
  oneOf('consistency', ['strict', 'normal']);
  for (const [field, [min, max, integer]] of Object.entries(LIMITS) as [keyof PlanInputs, [number, number, boolean]][]) {
    const v = i[field];
    if (v === null && (field.endsWith('Price') || field === 'trainTokens' || field === 'tokensPerSecond' || field === 'gpuPricePerHour' || field === 'trainPricePerMTok')) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) errors.push({ field, message: `${field} must be a number, got ${typeof v === "number" ? String(v) : JSON.stringify(v)}` });
    else if (integer && !Number.isInteger(v)) errors.push({ field, message: `${field} must be a whole number, got ${v}` });
    else if (v < min || v > max) errors.push({ field, message: `${field} must be between ${min} and ${max.toLocaleString('en-US')}, got ${v}` });
  }
  return errors;
}

/** Rounds to cents-level precision without drifting into float noise. */
const money = (x: number) => Math.round(x * 1e6) / 1e6;

function costs(i: PlanInputs, missing: string[], assumptions: string[]): PlanCosts {
  const inP = i.inputPrice;
  const outP = i.outputPrice;
  const ftIn = i.fineTunedInputPrice ?? inP;
  const ftOut = i.fineTunedOutputPrice ?? outP;
  if (inP === null) missing.push('input price (USD per million tokens)');
  if (outP === null && i.outputTokens > 0) missing.push('output price (USD per million tokens)');
  if (inP !== null && i.fineTunedInputPrice === null) assumptions.push('the fine-tuned model costs the same per token as the base model');
  const outOk = outP !== null || i.outputTokens === 0;
  const promptPerQuery = inP !== null && outOk ? ((i.promptTokens + i.queryTokens) * inP + i.outputTokens * (outP ?? 0)) / 1e6 : null;
  const fineTunedPerQuery = ftIn !== null && outOk ? (i.queryTokens * ftIn + i.outputTokens * (ftOut ?? 0)) / 1e6 : null;

  let trainingHours: number | null = null;
  if (i.trainTokens === null) missing.push('training tokens (dataset tokens × epochs)');
  if (i.trainTokens !== null && i.tokensPerSecond !== null) trainingHours = i.trainTokens / i.tokensPerSecond / 3600;
  let trainingCost: number | null = null;
  if (i.trainPricePerMTok !== null) {
    // Hosted fine-tuning: priced per training token, whatever the hardware.
    if (i.trainTokens !== null) trainingCost = (i.trainTokens * i.trainPricePerMTok) / 1e6;
  } else {
    if (i.tokensPerSecond === null) missing.push('training throughput (tokens per second)');
    if (i.gpuPricePerHour === null) missing.push('GPU price (USD per hour), or a training price per token');
    if (trainingHours !== null && i.gpuPricePerHour !== null) trainingCost = trainingHours * i.gpuPricePerHour * i.gpus;
  }

  const fixed = trainingCost !== null ? trainingCost / i.amortizeMonths + i.hostingPerMonth : null;
  const monthlyPrompt = promptPerQuery !== null ? money(promptPerQuery * i.queriesPerMonth) : null;
  const monthlyFineTune = fineTunedPerQuery !== null && fixed !== null ? money(fineTunedPerQuery * i.queriesPerMonth + fixed) : null;

  let breakEven: number | null = null;
  let note: string;
  if (promptPerQuery === null || fineTunedPerQuery === null || fixed === null) {
    note = `needs ${missing.join(', ')}`;
  } else {
    const saving = promptPerQuery - fineTunedPerQuery;
    if (saving <= 0) note = 'never: the fine-tuned model costs as much or more per query';
    else {
      breakEven = Math.ceil(fixed / saving);
      note = `fine-tuning is cheaper above ${breakEven.toLocaleString('en-US')} quer${breakEven === 1 ? 'y' : 'ies'} a month (training spread over ${i.amortizeMonths} month${i.amortizeMonths === 1 ? '' : 's'})`;
    }
  }
  let curve: CostCurve | null = null;
  if (promptPerQuery !== null && fineTunedPerQuery !== null && fixed !== null) {
    // Log-spaced volumes spanning the user's volume and the break-even point, 4 points a decade.
    const anchors = [i.queriesPerMonth, breakEven ?? i.queriesPerMonth].filter((x) => x > 0);
    const lo = Math.floor(Math.log10(Math.max(1, Math.min(...anchors, 1e3) / 10)));
    const hi = Math.ceil(Math.log10(Math.max(...anchors, 1e4) * 10));
    const queries: number[] = [];
    for (let k = lo * 4; k <= hi * 4; k++) queries.push(Math.round(10 ** (k / 4)));
    curve = { queries, prompt: queries.map((q) => money(q * promptPerQuery)), fineTune: queries.map((q) => money(q * fineTunedPerQuery + fixed)) };
  }
  // Payback: training is paid once; each month saves (prompt - fine-tuned) per query, less hosting.
  let paybackMonths: number | null = null;
  if (promptPerQuery !== null && fineTunedPerQuery !== null && trainingCost !== null) {
    const monthlySaving = (promptPerQuery - fineTunedPerQuery) * i.queriesPerMonth - i.hostingPerMonth;
    if (monthlySaving > 0) paybackMonths = Number((trainingCost / monthlySaving).toPrecision(4));
  }
  return { promptPerQuery, fineTunedPerQuery, trainingHours, trainingCost: trainingCost === null ? null : money(trainingCost), monthlyPrompt, monthlyFineTune, breakEvenQueriesPerMonth: breakEven, breakEvenNote: note, paybackMonths, curve };
}

/** Below this many examples fine-tuning is not yet an option ("hundreds+" in the framework). */
export const MIN_EXAMPLES = 100;
/** From this many examples the data side favours fine-tuning. */
export const ENOUGH_EXAMPLES = 500;

/**
 * The recommendation with its reasons and the cost comparison. Invalid inputs come back as
 * `{ errors }`; missing prices only leave the costs open (listed in `missing`).
 */
export function plan(inputs: PlanInputs): PlanResult | { errors: PlanInputError[] } {
  const errors = validatePlanInputs(inputs);
  if (errors.length > 0) return { errors };
  const i = inputs;
  const missing: string[] = [];
  const assumptions: string[] = [];
  const c = costs(i, missing, assumptions);
  const reasons: Reason[] = [];
  let score = 0; // > 0 leans fine-tune
  const lean = (factor: Reason['factor'], weight: number, text: string) => {
    score += weight;
    reasons.push({ factor, favours: weight > 0 ? 'fine-tune' : weight < 0 ? 'prompt' : 'neutral', text });
  };
  if (i.taskComplexity === 'low') lean('complexity', -2, 'a simple task: a good prompt usually gets there');
  else if (i.taskComplexity === 'high') lean('complexity', 2, 'a complex task: fine-tuning internalises behaviour a prompt cannot fully describe');
  else lean('complexity', 0, 'a task of medium complexity: either can work; try the prompt first');
  if (i.examples < MIN_EXAMPLES) lean('examples', -3, `${i.examples.toLocaleString('en-US')} examples: too few to fine-tune on (hundreds are needed); use them as few-shot examples`);
  else if (i.examples < ENOUGH_EXAMPLES) lean('examples', 1, `${i.examples.toLocaleString('en-US')} examples: enough to start fine-tuning, more will help`);
  else lean('examples', 2, `${i.examples.toLocaleString('en-US')} examples: enough data to fine-tune`);
  if (i.requirements === 'changing') lean('requirements', -2, 'requirements change often: a prompt is edited in minutes, a model must be retrained');
  else lean('requirements', 1, 'stable requirements: a trained model stays valid');
  if (i.consistency === 'strict') lean('consistency', 2, 'strict consistency (format, tone, style): fine-tuning makes it the default behaviour');
  else lean('consistency', 0, 'normal consistency needs: prompting is usually consistent enough');
  if (c.breakEvenQueriesPerMonth !== null) {
    if (i.queriesPerMonth >= c.breakEvenQueriesPerMonth) lean('cost', 1, `${i.queriesPerMonth.toLocaleString('en-US')} queries a month is above the break-even of ${c.breakEvenQueriesPerMonth.toLocaleString('en-US')}: fine-tuning is cheaper`);
    else lean('cost', -1, `${i.queriesPerMonth.toLocaleString('en-US')} queries a month is below the break-even of ${c.breakEvenQueriesPerMonth.toLocaleString('en-US')}: prompting is cheaper`);
  } else if (c.promptPerQuery !== null && c.fineTunedPerQuery !== null && c.trainingCost !== null) {
    lean('cost', -1, 'fine-tuning never pays back: the fine-tuned model is not cheaper per query');
  } else {
    reasons.push({ factor: 'cost', favours: 'neutral', text: `cost comparison open: ${missing.length} input${missing.length === 1 ? '' : 's'} missing (prices, training tokens or throughput)` });
  }

  let recommendation: Option;
  // Too few examples rules fine-tuning out for now; when everything else leans to it, collect data (hybrid).
  const withoutExamples = score - (reasons.find((r) => r.factor === 'examples')?.favours === 'prompt' ? -3 : 0);
  if (i.examples < MIN_EXAMPLES) recommendation = withoutExamples >= 3 ? 'hybrid' : 'prompt';
  else if (score >= 3) recommendation = 'fine-tune';
  else if (score <= -2) recommendation = 'prompt';
  else recommendation = 'hybrid';
  const summary = {
    prompt: 'Prompt: engineer the prompt (system prompt and few-shot examples); fine-tuning would not pay off yet.',
    'fine-tune': 'Fine-tune: the task, the data and the requirements favour a trained model.',
    hybrid: 'Hybrid: ship with a prompt now, collect and curate examples from real use, then fine-tune once the data and requirements settle.',
  }[recommendation];
  return { recommendation, summary, reasons, costs: c, missing, assumptions };
}
