/**
 * The plan panel's state and its pure reducer: host messages and the page's own edits go through
 * `reducePlan`, which re-runs the plan (common/estimate/plan.ts) whenever the inputs are valid.
 */
import { DEFAULT_PLAN_INPUTS, plan, validatePlanInputs, type PlanInputs, type PlanResult } from '../../common/estimate/plan';
import type { HostToPlan } from '../../common/protocol/webview';

export type FieldName = keyof PlanInputs;

/** Fields the user may leave empty (unknown): prices, training tokens and throughput. */
export const NULLABLE_FIELDS: ReadonlySet<FieldName> = new Set<FieldName>(['inputPrice', 'outputPrice', 'fineTunedInputPrice', 'fineTunedOutputPrice', 'trainTokens', 'tokensPerSecond', 'gpuPricePerHour', 'trainPricePerMTok']);
/** Fields chosen from a list, with their choices. */
export const CHOICES: Readonly<Partial<Record<FieldName, readonly string[]>>> = {
  taskComplexity: ['low', 'medium', 'high'],
  requirements: ['stable', 'changing'],
  consistency: ['strict', 'normal'],
};

export interface PlanState {
  /** The last accepted value of every field. */
  inputs: PlanInputs;
  /** What each field shows (the text as typed, which may not parse). */
  text: Record<FieldName, string>;
  /** Why a field's text is not accepted. */
  errors: Partial<Record<FieldName, string>>;
  /** The plan for `inputs`; `stale` while some field has an error. */
  result: PlanResult | null;
  stale: boolean;
  configPath: string | null;
  notes: string[];
  estimate: string | null;
  /** The host's `init` arrived. */
  received: boolean;
}

export type PlanAction = HostToPlan | { type: 'edit'; field: FieldName; value: string } | { type: 'reset' };

/** A field's text: numbers without grouping, null as empty. */
export function fieldText(v: PlanInputs[FieldName]): string {
  return v === null ? '' : String(v);
}

const textOf = (inputs: PlanInputs) => Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, fieldText(v as PlanInputs[FieldName])])) as Record<FieldName, string>;

/**
 * Reads an amount as people type it: `1000`, `1,000`, `1 000`, `1_000`, `10k`, `2.5M`, `1e6`, `$3`.
 * Returns null for an empty text and NaN for anything else that is not a number.
 */
export function parseAmount(text: string): number | null {
  const t = text.trim().replace(/^\$/, '').replace(/[,_\s]/g, '');
  if (t === '') return null;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)([kmb])?$/i.exec(t);
  if (!m) return Number.NaN;
  const scale = { k: 1e3, m: 1e6, b: 1e9 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number(m[1]) * scale;
}

function withPlan(s: PlanState): PlanState {
  const fieldErrors = { ...s.errors };
  for (const e of validatePlanInputs(s.inputs)) fieldErrors[e.field] ??= e.message;
  const hasErrors = Object.keys(fieldErrors).length > 0;
  if (hasErrors) return { ...s, errors: fieldErrors, stale: s.result !== null };
  const r = plan(s.inputs);
  return { ...s, errors: {}, result: 'errors' in r ? s.result : r, stale: 'errors' in r };
}

/** The state before the host has said anything (or after a reload, from the saved inputs). */
export function initialPlanState(saved?: Partial<PlanInputs>): PlanState {
  // A state saved by an older version may lack newer fields: they take their defaults.
  const merged = saved && typeof saved === 'object' ? { ...DEFAULT_PLAN_INPUTS, ...saved } : undefined;
  const inputs = merged && validatePlanInputs(merged).length === 0 ? merged : DEFAULT_PLAN_INPUTS;
  return withPlan({ inputs, text: textOf(inputs), errors: {}, result: null, stale: false, configPath: null, notes: [], estimate: null, received: false });
}

export function reducePlan(state: PlanState, action: PlanAction): PlanState {
  switch (action.type) {
    case 'init': {
      const inputs = { ...DEFAULT_PLAN_INPUTS, ...action.inputs };
      return withPlan({ ...state, inputs, text: textOf(inputs), errors: {}, configPath: action.configPath, notes: action.notes, estimate: action.estimate, received: true });
    }
    case 'reset':
      return withPlan({ ...state, inputs: DEFAULT_PLAN_INPUTS, text: textOf(DEFAULT_PLAN_INPUTS), errors: {} });
    case 'edit': {
      const { field, value } = action;
      if (!(field in DEFAULT_PLAN_INPUTS)) return state;
      const text = { ...state.text, [field]: value };
      const errors = { ...state.errors };
      delete errors[field];
      const choices = CHOICES[field];
      let accepted: PlanInputs[FieldName] | undefined;
      if (choices) {
        if (choices.includes(value)) accepted = value as PlanInputs[FieldName];
        else errors[field] = `choose one of ${choices.join(', ')}`;
      } else {
        const n = parseAmount(value);
        if (n === null) {
          if (NULLABLE_FIELDS.has(field)) accepted = null;
          else errors[field] = 'a number is needed';
        } else if (Number.isNaN(n)) errors[field] = `'${value.trim()}' is not a number`;
        else accepted = n;
      }
      // Keep the other fields' errors that came from their own text; recompute the rest.
      for (const k of Object.keys(errors) as FieldName[]) if (k !== field && parseFieldOk(state, k)) delete errors[k];
      const inputs = accepted === undefined ? state.inputs : { ...state.inputs, [field]: accepted };
      return withPlan({ ...state, inputs, text, errors });
    }
  }
}

/** True when field `k`'s text parses (its error, if any, came from validation and is recomputed). */
function parseFieldOk(s: PlanState, k: FieldName): boolean {
  const choices = CHOICES[k];
  if (choices) return choices.includes(s.text[k]);
  const n = parseAmount(s.text[k]);
  return n === null ? NULLABLE_FIELDS.has(k) : !Number.isNaN(n);
}
