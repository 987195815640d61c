/**
 * Per-record quality checks on the normalised text: refusals, AI boilerplate, truncated answers,
 * responses that repeat the prompt, empty fields. Each returns a short detail for the report, or
 * undefined. Phrase lists are written for English instruction data, where these artefacts of
 * distillation from chat models are common; they are deliberately specific (whole phrases, at the
 * start of the answer for the ambiguous ones) to keep false positives rare.
 */

/** Refusals: the answer declines the task. Matched within the first 300 characters of a response. */
const REFUSAL =
  /\b(i'?m sorry,? but (i|as)|i am sorry,? but (i|as)|i apologi[sz]e,? but (i|as)|sorry,? but i (can(no|')t|am unable|won'?t)|i (can ?not|can'?t|am unable to|'m unable to|won'?t be able to|am not able to) (fulfill|comply|assist|help|provide|create|generate|write|answer|do that|engage|complete|support)|i must (decline|refuse|respectfully decline)|i (will|must) not (provide|help|assist|create|generate)|it (is|would be) (not appropriate|inappropriate|unethical) for me to|this (request|content) (goes against|violates)|against my (programming|guidelines|policies))\b/i;

/** AI boilerplate: the answer talks about being an AI instead of answering. Anywhere in the first 600 characters. */
const BOILERPLATE =
  /\b(as an ai( language)? model|as a (large )?language model|as an ai( assistant)?,? i|i'?m (just )?an ai\b|i am (just )?an ai\b|as an artificial intelligence|i do(n'?| no)t have (personal )?(opinions|feelings|emotions|beliefs|preferences|access to (real-time|the internet|current))|as of my (last )?(knowledge|training) (update|cutoff|cut-off)|my (knowledge|training data) (cutoff|cut-off|only goes)|i (was|am) trained by openai|openai'?s? (policy|policies|guidelines))\b/i;

export function refusalOf(response: string): string | undefined {
  const m = REFUSAL.exec(response.length > 300 ? response.slice(0, 300) : response);
  return m ? `"${m[0]}"` : undefined;
}

export function boilerplateOf(response: string): string | undefined {
  const m = BOILERPLATE.exec(response.length > 600 ? response.slice(0, 600) : response);
  return m ? `"${m[0]}"` : undefined;
}

/** Characters that may end a complete answer (sentence ends, closing brackets and quotes, code). */
const END_OK = /[.!?。！？…:;)\]}"'”’»`*_|>~\-=+%°\d]\s*$|[\p{Emoji_Presentation}\p{Extended_Pictographic}]\s*$/u;

/**
 * A response cut off: an odd number of ``` fences (a code block never closed), or prose that
 * stops mid-sentence (the last character is a letter or comma and the text is long enough to be
 * prose; one-word answers and labels end without punctuation legitimately).
 */
export function truncationOf(response: string): string | undefined {
  let fences = 0;
  for (let i = response.indexOf('```'); i >= 0; i = response.indexOf('```', i + 3)) fences++;
  if (fences % 2 === 1) return `${fences} code fence${fences === 1 ? '' : 's'} (\`\`\`): a code block is never closed`;
  const t = response.trimEnd();
  // Only the end is tested: an end-anchored regex would otherwise be tried at every position.
  if (t.length < 80 || END_OK.test(t.slice(-8))) return undefined;
  // The last line is a list item, heading or table row: no sentence needed.
  const lastLine = t.slice(t.lastIndexOf('\n') + 1);
  if (/^\s*([-*•+]|\d+[.)]|#|\|)/.test(lastLine) && lastLine.length < 200) return undefined;
  if (!/[\p{L},]$/u.test(t.slice(-2))) return undefined;
  // A closing hashtag or handle, or a quotation's attribution ("… — C.S. Lewis"), is a whole ending.
  const tail = t.slice(-60);
  if (/(^|\s)[#@][\p{L}\p{N}_]+$/u.test(tail) || /\s[-—–]\s*\p{Lu}[\p{L}.' ]{0,40}$/u.test(tail)) return undefined;
  return `ends mid-sentence: "…${t.slice(-40).replace(/\s+/g, ' ')}"`;
}

const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();

/**
 * The response repeats the prompt: it is the prompt, starts with it, or is most of it copied
 * (a prompt of at least 20 characters, compared lower-cased with whitespace collapsed).
 */
export function echoOf(prompt: string, response: string): string | undefined {
  const p = norm(prompt);
  // Only the start of a long response can repeat the prompt (whitespace runs may shrink it).
  const r = norm(response.length > 2 * prompt.length + 64 ? response.slice(0, 2 * prompt.length + 64) : response);
  if (p.length < 20 || r.length === 0) return undefined;
  if (r === p) return 'the response is the prompt';
  if (r.startsWith(p)) return 'the response starts by repeating the prompt';
  // Most of the prompt, not a span of it (extractive answers quote their context legitimately).
  if (r.length >= 20 && r.length >= p.length * 0.8 && p.includes(r)) return 'the response is copied from the prompt';
  return undefined;
}
