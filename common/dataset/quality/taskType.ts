/**
 * Task-type classification of an instruction, by rules on its opening (the leading verb or
 * question form) and a few strong cues anywhere (code fences, equations). The rules are ordered:
 * the first that matches decides, so "Write a Python function" is coding before generation and
 * "Summarize this article" is summarisation before anything else. Documented with examples in
 * docs/dataset-quality.md; the tests hold each rule to hand-made instructions.
 */
import type { TaskType } from './types';

/** What the classifier sees of a record. */
export interface TaskInput {
  /** The instruction: the first user turn (Alpaca: `instruction`). */
  instruction: string;
  /** Context given with it (Alpaca `input`), empty when none. */
  context: string;
  /** User turns in the conversation. */
  userTurns: number;
}

const CODE_WORDS =
  /\b(python|javascript|typescript|java|c\+\+|c#|golang|rust|ruby|php|kotlin|swift|sql|bash|shell script|regex|regular expression|html|css|json schema|api endpoint|function|class|method|algorithm|script|program|code|compile|debug|refactor|unit tests?|stack trace|snippet|leetcode)\b/;
const CODE_VERBS = /^(write|implement|create|code|build|debug|fix|refactor|optimi[sz]e|complete|convert|translate|port|generate|modify|rewrite|explain|review)\b/;
const CODE_SYNTAX = /```|\bdef \w+\(|\bfunction \w*\(|=>|\bimport \w|#include|\bpublic static\b|\bconsole\.log\(|\bSELECT\b.+\bFROM\b|<\/?[a-z]+>/;

const MATH_VERBS = /^(solve|calculate|compute|evaluate|simplify|factor|differentiate|integrate|prove|find the (value|sum|product|derivative|integral|area|perimeter|volume|probability|roots?|mean|median|average|remainder|lcm|gcd)|what is \d|how many|how much|convert \d)/;
const MATH_EXPR = /\d\s*[-+*/×÷^=]\s*\d|\b\d+\s*%|\b[xyz]\s*[=^]|\bsqrt\b|\bequation\b|\bderivative\b|\bintegral\b|\bprobability\b|\b(volume|area|perimeter|circumference|angle|radius|hypotenuse)\b.*\d/;

const SUMMARY = /^(summari[sz]e|sum up|give (me )?(a |an )?(brief |short |quick )?(summary|overview|tl;?dr|synopsis|recap)|provide (a |an )?(brief |short )?(summary|synopsis)|write (a |an )?(brief |short |one-sentence |one sentence )?(summary|synopsis|abstract|tl;?dr)|tl;?dr|condense|what is the (main|key) (idea|point|takeaway)s?)\b|\b(in|into) (one|a single|two|three|\d+) sentences?\b.*\b(summar|main point)/;
const EXTRACT = /^(extract|list (all|every|each) (the )?(names?|dates?|numbers?|entities|people|places|keywords?|emails?|urls?|items?|ingredients?|words?)|find (all|every|the) (names?|dates?|numbers?|entities|mentions|keywords?|emails?)|identify (all |every |the )?(main |key )?(names?|dates?|entities|people|places|characters|keywords?|key ?words|locations|organi[sz]ations)|pull out|retrieve (all|the)|from the (text|passage|paragraph|article|document|following)[^.?]*,? (extract|list|find|identify|get))\b/;
const CLASSIFY =
  /^(classify|categori[sz]e|label|tag|sort (the|these|each|this|following)|is (this|the following|the sentiment|it)( [a-z]+)? (a |an )?(positive|negative|spam|sarcas|toxic|true|false|fact|opinion|question|statement)|determine (whether|if|the (sentiment|category|class|type|tone|language))|identify the (sentiment|category|class|type|tone|genre|emotion|intent|topic)|which (category|class|genre|of the following)|what (is the )?(sentiment|category|class|genre|tone|emotion|intent)|detect (if|whether|the (sentiment|language|tone|emotion|spam|intent)|(sentiment|language|tone|emotion|spam|intent))|(select|choose|pick) (the )?(correct|incorrect|best|right|wrong|odd|most|least))\b|\b(positive|negative|neutral) or (positive|negative|neutral)\b|\b(true or false|yes or no)\b|\b(classify|categori[sz]e)\b/;
const REWRITE =
  /^(rewrite|re-write|rephrase|paraphrase|reword|edit|proofread|correct|fix (the )?(grammar|spelling|punctuation|typos?)|improve (the )?(grammar|writing|wording|style|clarity|flow|sentence|text|paragraph)|make (this|it|the (text|sentence|paragraph|email))( sound)? (more|less|shorter|longer|formal|casual|concise|clear|polite|professional)|shorten|simplify (this|the (text|sentence|paragraph))|translate|convert (this|the (text|sentence|paragraph)) (to|into) (passive|active|formal|informal|british|american|plain)|change (the )?(tone|tense|voice)|transform (this|the|the following) (sentence|text|paragraph)|reorgani[sz]e|rearrange|reorder|insert|delete|remove|divide|split|order (the|these)|sort (the|these)|capitali[sz]e|change (this|the) (sentence|text|verb|word|paragraph)|improve the following|adapt (it|this|the)|put (this|the following) in(to)? (passive|active|plain|simple))\b/;
const BRAINSTORM =
  /^(brainstorm|suggest|recommend|come up with|think of|give (me )?(some |a few |\d+ |several |ten |five |three )?(ideas|suggestions|tips|ways|names|options|examples|alternatives|reasons)|give (me )?(an |a few |some |\d+ |two |three |five )?examples? of|list (some|a few|\d+|several|two|three|four|five|ten) |what are (some|a few|\d+|several|good) (ideas|ways|tips|names|options|examples|alternatives|reasons|things|activities|places)|generate (some |a list of |\d+ )?(ideas|names|suggestions|titles|slogans|taglines)|name (some|a few|\d+|three|five) )/;
const GENERATE =
  /^(write|compose|create|draft|generate|produce|craft|design|develop|invent|make up|make (a|an) |add (\d+|a|an|some|two|three) |devise|construct|tell (me )?(a |an )?(story|joke|poem|tale|riddle)|imagine|describe a (scene|character|world|day)|pretend|role-?play|act as|construct (a |an )?(story|poem|sentence|dialogue|paragraph|essay|letter)|come up with a (story|poem|slogan|title|name|tagline|headline))\b/;
const OPEN_QA =
  /^(what|why|how|when|where|who|whom|whose|which|is|are|was|were|do|does|did|can|could|should|would|will|has|have|had|explain|describe|define|tell me (about|why|how|what)|what's|who's|how's|give (me )?(an )?(explanation|definition|overview)|compare|discuss|elaborate|clarify|outline|name (the|one|a|an|two|three|\d+)|list the)\b/;
/** "Answer this" verbs without a more specific rule: questions in imperative form. */
const ANSWER_VERBS = /^(identify|find|determine|recall|indicate|select|choose|predict|analy[sz]e|evaluate|assess|validate|verify|state|provide|give|list|output|name|fill in|complete the|match|rank|estimate|interpret)\b/;
/** Chinese: question particles and words, greetings, and a few task verbs. */
const ZH_QUESTION = /[？?]|吗|么|什么|为什么|怎么|如何|哪|谁|几|告诉我|介绍/;
const ZH_CHAT = /^(你好|您好|嗨|嘿|哈喽|谢谢|早上好|下午好|晚上好)/;
const CHAT_OPENERS = /^(hi|hello|hey|hiya|howdy|yo|good (morning|afternoon|evening)|thanks|thank you|how are you|what's up|nice to meet you)\b/;

/** Lower-cased, leading markup and whitespace dropped, inner whitespace collapsed (the first 600 characters). */
export function leadOf(text: string): string {
  return text
    .slice(0, 600)
    .toLowerCase()
    .replace(/^[\s"'`*#>\-–—•·:([{]+/, '')
    .replace(/^(please|kindly|can you|could you|would you|will you|i want you to|i need you to|i'd like you to|i would like you to|help me|you are [^.]{0,80}\.)\s*(please\s*)?/, '')
    // "Given an article, summarize it": the verb after a leading clause decides.
    .replace(/^(given|using|from|with|for|in) [^,.:?]{1,80}, (you need to |you should |please )?/, '')
    .replace(/\s+/g, ' ');
}

/** The task type of one instruction (rules in order; the first match decides). `lead`: its {@link leadOf}, when known. */
export function classifyTask(input: TaskInput, lead = leadOf(input.instruction)): TaskType {
  const whole = input.instruction.slice(0, 4000).toLowerCase();
  if (input.userTurns >= 3) return 'chat';
  if (lead === '' && input.context.trim() === '') return 'other';
  if (CODE_SYNTAX.test(input.instruction.slice(0, 4000)) || (CODE_VERBS.test(lead) && CODE_WORDS.test(whole.slice(0, 300)))) return 'coding';
  if (MATH_VERBS.test(lead) && (MATH_EXPR.test(whole) || /^(solve|calculate|compute|evaluate|simplify|factor|differentiate|integrate|prove|find the)/.test(lead))) return 'math';
  if (MATH_EXPR.test(whole) && /\d/.test(whole) && whole.length < 400 && !/\b(write|story|poem|essay)\b/.test(lead)) return 'math';
  if (/\b(calculate|compute|solve)\b/.test(whole.slice(0, 200)) && /\d/.test(whole)) return 'math';
  if (SUMMARY.test(lead)) return 'summarization';
  if (EXTRACT.test(lead)) return 'extraction';
  if (CLASSIFY.test(lead)) return 'classification';
  if (REWRITE.test(lead)) return 'rewriting';
  if (BRAINSTORM.test(lead)) return 'brainstorming';
  if (GENERATE.test(lead)) return 'generation';
  const question = OPEN_QA.test(lead) || /\?\s*$/.test(lead.slice(0, 300)) || /\?/.test(lead.slice(0, 200));
  // A question asked about given text (Alpaca input, or a passage quoted in the prompt) is closed QA.
  const hasContext = input.context.trim().length > 0 || /\b(based on|according to|from|using) (the|this) (text|passage|paragraph|article|context|document|reference|information)\b/.test(whole);
  if (question || ANSWER_VERBS.test(lead)) return hasContext ? 'closed_qa' : 'open_qa';
  if (CHAT_OPENERS.test(lead) && lead.length < 80) return 'chat';
  if (ZH_CHAT.test(lead) && lead.length < 40 && !/(写|翻译|总结|解释)/.test(lead)) return 'chat';
  if (/^(请)?(写|创作|编写|生成)/.test(lead)) return 'generation';
  if (/翻译|改写|润色/.test(lead.slice(0, 40))) return 'rewriting';
  if (/总结|概括|摘要/.test(lead.slice(0, 40))) return 'summarization';
  if (ZH_QUESTION.test(lead.slice(0, 200))) return hasContext ? 'closed_qa' : 'open_qa';
  return 'other';
}

/** Imperative verbs counted as "leading verbs" (the opening word of an instruction, lower-cased). */
export const LEADING_VERBS = new Set(
  (
    'write compose create draft generate produce craft design develop invent imagine describe explain define tell give list name provide suggest recommend brainstorm ' +
    'summarize summarise condense extract identify find classify categorize categorise label tag sort determine detect rewrite rephrase paraphrase reword edit proofread ' +
    'correct fix improve shorten simplify translate convert change transform solve calculate compute evaluate factor differentiate integrate prove implement code build debug ' +
    'refactor optimize optimise complete compare contrast discuss analyze analyse evaluate assess outline elaborate clarify answer respond reply make construct plan ' +
    'organize organise arrange rank rate review critique predict estimate choose select pick match fill use read show help draw count'
  ).split(' '),
);
