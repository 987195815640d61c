/**
 * The texts the tiny model is pretrained on and the instruction datasets the demo fine-tunes on,
 * all generated from one seeded world (scripts/tiny/world.ts).
 */
import { Rng } from '../../trainer/train/rng';
import { anyQuestion, describePerson, describeTown, pirate, type QA, type World } from './world';

export const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;

/** ChatML rendering, the same text the shipped chat_template produces. */
export function chatml(messages: { role: string; content: string }[]): string {
  return messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('');
}

/** The user turn for a question (with its input, if any). */
export function userText(qa: QA): string {
  return qa.input === undefined ? qa.question : `${qa.question}\n\n${qa.input}`;
}

/** Alpaca's prompt (Axolotl's `alpaca` type) followed by the response. */
export function alpacaText(qa: QA): string {
  const head = qa.input === undefined
    ? 'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n'
    : 'Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n';
  return head + `### Instruction:\n${qa.question}\n\n` + (qa.input === undefined ? '' : `### Input:\n${qa.input}\n\n`) + `### Response:\n${qa.answer}`;
}

/**
 * Pretraining documents: prose about every town and person, chat transcripts (ChatML) and Alpaca
 * prompts with plain answers, in a seeded order. Each document ends with `<|endoftext|>` when it
 * is prose and with `<|im_end|>` turns when it is a chat.
 */
export function pretrainingDocuments(world: World, seed: number, count: number): string[] {
  const rng = new Rng(seed);
  const docs: string[] = [];
  const prose = [...world.towns.map(describeTown), ...world.persons.map(describePerson)];
  while (docs.length < count) {
    const r = rng.float();
    if (r < 0.3) {
      const k = 1 + rng.int(3);
      docs.push(Array.from({ length: k }, () => prose[rng.int(prose.length)]).join(' ') + '<|endoftext|>');
    } else if (r < 0.85) {
      const turns = 1 + rng.int(2);
      const messages: { role: string; content: string }[] = [];
      if (rng.float() < 0.3) messages.push({ role: 'system', content: 'You are a helpful assistant.' });
      for (let i = 0; i < turns; i++) {
        const qa = anyQuestion(rng, world);
        messages.push({ role: 'user', content: userText(qa) }, { role: 'assistant', content: qa.answer });
      }
      docs.push(chatml(messages));
    } else {
      docs.push(alpacaText(anyQuestion(rng, world)) + '<|endoftext|>');
    }
  }
  return docs;
}

/** The demo's instruction records: questions answered in the pirate style. */
export function styleRecords(world: World, seed: number, count: number): QA[] {
  const rng = new Rng(seed);
  const seen = new Set<string>();
  const out: QA[] = [];
  while (out.length < count) {
    const qa = anyQuestion(rng, world);
    const key = userText(qa);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...qa, answer: pirate(qa.answer) });
  }
  return out;
}
