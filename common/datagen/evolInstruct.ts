/**
 * Evol-instruct (Xu et al. 2023, WizardLM) as prompts and parsers. An instruction evolves by one
 * of five in-depth operations (add constraints, deepen, concretise, increase reasoning steps,
 * complicate the input) or by in-breadth evolution (a new, rarer instruction of the same domain).
 * Each evolved instruction is answered by the model; the evolution is eliminated when the model
 * judges it equal to the original (no information gain) or when filters.ts's rules 2–4 fire.
 * The prompt wording is Tunelab's own; the operations and rules are the paper's.
 */
import type { ChatMessage } from './client';

/** The evolution operations. */
export type EvolOperation = 'constraints' | 'deepening' | 'concretizing' | 'reasoning' | 'complicate-input' | 'breadth';

export const EVOL_OPERATIONS: readonly EvolOperation[] = ['constraints', 'deepening', 'concretizing', 'reasoning', 'complicate-input', 'breadth'];

// What each in-depth operation asks of the rewrite.
const IN_DEPTH: Record<Exclude<EvolOperation, 'breadth'>, string> = {
  constraints: 'Add exactly one more constraint or requirement to it.',
  deepening: 'If it asks about a specific matter, make the inquiry deeper and broader.',
  concretizing: 'Replace general concepts with more specific, concrete ones.',
  reasoning: 'If it can be solved with a few simple thinking steps, rewrite it so that it explicitly needs several steps of reasoning.',
  'complicate-input': 'Add a piece of structured input the task must work on, such as a table, code, a formula or data in JSON or XML, and make the task depend on it.',
};

/** The rewriting request for `op` applied to `instruction`. */
export function evolvePrompt(op: EvolOperation, instruction: string): ChatMessage[] {
  const rules =
    'The result must stay reasonable, answerable by a person and understandable on its own. Keep any non-text parts of the original (tables, code) unchanged. ' +
    'Add at most 10 to 20 words to it. Reply with the new instruction only: no preface, no label, no answer to it.';
  if (op === 'breadth') {
    return [
      { role: 'system', content: `You create instructions for training an AI assistant. ${rules}` },
      {
        role: 'user',
        content: `Taking the instruction below as inspiration, create a brand-new instruction in the same domain but on a rarer topic, of similar length and difficulty.\n\n#Original#\n${instruction}\n\nThe new instruction:`,
      },
    ];
  }
  return [
    { role: 'system', content: `You rewrite instructions into harder versions, so that well-known AI systems find them more challenging. ${rules}` },
    { role: 'user', content: `Rewrite the instruction below. ${IN_DEPTH[op]}\n\n#Original#\n${instruction}\n\nThe rewritten instruction:` },
  ];
}

/** The evolved instruction in a rewriting answer: labels and wrapping quotes removed. */
export function parseEvolved(text: string): string {
  let s = text.trim();
  s = s.replace(/^#+\s*(?:rewritten|new|created)[^#\n]*#+\s*:?\s*/i, '');
  s = s.replace(/^(?:\*\*)?(?:the\s+)?(?:rewritten|new|created|evolved)\s+(?:instruction|prompt)\s*(?::\s*(?:\*\*)?|(?:\*\*)?\s*:)\s*/i, '');
  if (/^"[^"]*"$/s.test(s) || /^“[^”]*”$/s.test(s)) s = s.slice(1, -1);
  return s.trim();
}

/** The equality judgement of elimination rule 1 ("no information gain"). */
export function equalityPrompt(original: string, evolved: string): ChatMessage[] {
  return [
    {
      role: 'system',
      content:
        'You compare two instructions. They are equal when they have the same constraints and requirements and the same depth and breadth of inquiry. ' +
        'Answer "Equal" or "Not equal" only.',
    },
    { role: 'user', content: `First instruction:\n${original}\n\nSecond instruction:\n${evolved}\n\nAre they equal?` },
  ];
}

/** True when the judge said the instructions are equal (an eliminated evolution). */
export function parseEqual(text: string): boolean {
  const t = text.trim().toLowerCase();
  return /^\W*equal\b/.test(t) || (/\bequal\b/.test(t) && !/\bnot\s+equal\b|\bunequal\b|\bdifferent\b/.test(t));
}

/** The answer request for an evolved instruction. */
export const answerPrompt = (instruction: string): ChatMessage[] => [{ role: 'user', content: instruction }];
