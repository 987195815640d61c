/**
 * Self-instruct (Wang et al. 2022) as prompts and parsers: (1) new instructions from 8 in-context
 * instructions (6 human-written seed tasks, 2 generated ones), (2) is the task a classification
 * task, (3) instances: input first for most tasks, output (class label) first for classification
 * tasks, so that labels are not all the same class. The prompts are written for chat models
 * (the paper prompted a base model to continue a list); the flow and choices are the paper's.
 */
import type { ChatMessage } from './client';
import type { Instance } from './filters';

/** A seed task: an instruction with example instances (self-instruct's seed_tasks.jsonl shape). */
export interface SeedTask {
  instruction: string;
  instances: { input: string; output: string }[];
  /** Known for the paper's seed tasks; guessed by the model for generated ones. */
  isClassification?: boolean;
}

/** Draws `k` distinct items with `rand` (partial Fisher–Yates on a copy). */
export function sample<T>(items: readonly T[], k: number, rand: () => number): T[] {
  const copy = [...items];
  const n = Math.min(k, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rand() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

/** The 8 in-context instructions: `human` seeds and `machine` generated ones (seeds fill in while few are generated). */
export function pickExamples(seeds: readonly SeedTask[], generated: readonly string[], rand: () => number, human = 6, machine = 2): string[] {
  const fromMachine = sample(generated, machine, rand);
  const fromSeeds = sample(seeds, human + machine - fromMachine.length, rand).map((s) => s.instruction);
  // Shuffle together so position does not tell the model which are human-written.
  return sample([...fromSeeds, ...fromMachine], fromSeeds.length + fromMachine.length, rand);
}

/** How many new instructions one request asks for (the paper let the model continue to 20 tasks). */
export const NEW_PER_REQUEST = 20;

/** Step 1: a numbered list of example tasks, and the request to continue it with new ones. */
export function instructionPrompt(examples: readonly string[]): ChatMessage[] {
  const list = examples.map((e, i) => `${i + 1}. ${oneLine(e)}`).join('\n');
  const first = examples.length + 1;
  return [
    {
      role: 'system',
      content:
        'You write diverse tasks for training an AI assistant. Each task is one self-contained instruction a text-only assistant can carry out. ' +
        'Vary the verbs, topics, formats and difficulty: open questions, writing, classification, editing, reasoning, extraction, coding. ' +
        'Do not ask for images, audio, files or actions in the world.',
    },
    {
      role: 'user',
      content: `Here are ${examples.length} tasks:\n${list}\n\nContinue the list with tasks ${first} to ${first + NEW_PER_REQUEST - examples.length - 1}, each new and different from those above. Write one task per line as "N. task", and nothing else.`,
    },
  ];
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

/**
 * The instructions in a numbered-list answer ("9. ...", "10) ..."). With `truncated` (the answer
 * hit max_tokens) the last one is dropped, as the paper does: it may be cut off.
 */
export function parseInstructions(text: string, truncated = false): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:task\s*)?\d+\s*[.):]\s*(.+)$/i.exec(line);
    if (!m) continue;
    const s = m[1]!.replace(/^\*\*|\*\*$/g, '').replace(/^(?:task|instruction)\s*:\s*/i, '').trim();
    if (s) out.push(s);
  }
  if (truncated && out.length) out.pop();
  return out;
}

/** Step 2: few-shot "is this a classification task" with seeds whose answer is known. */
export function classificationPrompt(instruction: string, known: readonly SeedTask[]): ChatMessage[] {
  const shots = known.filter((s) => s.isClassification !== undefined);
  return [
    {
      role: 'system',
      content: 'Decide whether a task is a classification task: one whose answer is a label from a small, fixed set of options (such as yes/no, positive/negative, a category). Answer "Yes" or "No" only.',
    },
    ...shots.flatMap((s): ChatMessage[] => [
      { role: 'user', content: `Task: ${oneLine(s.instruction)}` },
      { role: 'assistant', content: s.isClassification ? 'Yes' : 'No' },
    ]),
    { role: 'user', content: `Task: ${oneLine(instruction)}` },
  ];
}

/** True for an answer that starts with yes; undefined when it says neither yes nor no. */
export function parseYesNo(text: string): boolean | undefined {
  const m = /^\W*(yes|no)\b/i.exec(text.trim());
  return m ? m[1]!.toLowerCase() === 'yes' : undefined;
}

const NO_INPUT = '<noinput>';

function shotText(task: SeedTask, outputFirst: boolean): string {
  const lines = [`Task: ${oneLine(task.instruction)}`];
  for (const inst of task.instances.slice(0, 2)) {
    if (outputFirst) lines.push(`Class label: ${inst.output}`, `Input: ${inst.input || NO_INPUT}`);
    else lines.push(`Input: ${inst.input || NO_INPUT}`, `Output: ${inst.output}`);
  }
  return lines.join('\n');
}

/**
 * Step 3: instances for a task. Input-first for most tasks ("Input:" then "Output:"); for
 * classification tasks output-first: each class label, then an input that has that label.
 * `shots` are seed tasks of the same kind shown as worked examples.
 */
export function instancePrompt(instruction: string, classification: boolean, shots: readonly SeedTask[]): ChatMessage[] {
  const howTo = classification
    ? `For the task, list its possible class labels and, for each, write an input that belongs to that class. Use the lines "Class label: ..." then "Input: ...". If the task needs no input, write "Input: ${NO_INPUT}".`
    : `For the task, write one or two examples. Use the lines "Input: ..." then "Output: ..." for each; the output is the correct, complete answer. If the task needs no input, write "Input: ${NO_INPUT}".`;
  return [
    { role: 'system', content: `You write worked examples for tasks. ${howTo} Write nothing else.` },
    ...shots.flatMap((s): ChatMessage[] => [
      { role: 'user', content: `Task: ${oneLine(s.instruction)}` },
      { role: 'assistant', content: shotText(s, classification).split('\n').slice(1).join('\n') },
    ]),
    { role: 'user', content: `Task: ${oneLine(instruction)}` },
  ];
}

/** The instances of an instance answer (either order); fields may span several lines. */
export function parseInstances(instruction: string, text: string, classification: boolean): Instance[] {
  const fields: { key: 'input' | 'output' | 'label'; value: string }[] = [];
  let current: { key: 'input' | 'output' | 'label'; value: string } | undefined;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const m = /^\s*(?:\d+\.\s*)?(input|output|class label|label)\s*:\s?(.*)$/i.exec(line);
    if (m) {
      const name = m[1]!.toLowerCase();
      current = { key: name === 'input' ? 'input' : name === 'output' ? 'output' : 'label', value: m[2]! };
      fields.push(current);
    } else if (current && !/^\s*(?:example\s*\d*|task)\s*:/i.test(line)) current.value += `\n${line}`;
  }
  const out: Instance[] = [];
  const clean = (s: string): string => {
    const t = s.trim();
    return t === NO_INPUT || /^<?no ?input>?\.?$/i.test(t) ? '' : t;
  };
  for (let i = 0; i + 1 < fields.length; i++) {
    const a = fields[i]!;
    const b = fields[i + 1]!;
    if (!classification && a.key === 'input' && b.key === 'output') {
      out.push({ instruction, input: clean(a.value), output: b.value.trim() });
      i++;
    } else if (classification && (a.key === 'label' || a.key === 'output') && b.key === 'input') {
      out.push({ instruction, input: clean(b.value), output: a.value.trim() });
      i++;
    } else if (classification && a.key === 'input' && b.key === 'output') {
      // A model that answered input-first anyway.
      out.push({ instruction, input: clean(a.value), output: b.value.trim() });
      i++;
    }
  }
  return out;
}
