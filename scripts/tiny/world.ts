/**
 * A procedural world for the tiny model: generated towns, people and animals with facts about
 * them, arithmetic, and question/answer pairs. Everything comes from a seed, so the corpus the
 * shipped model was pretrained on and the instruction datasets in examples/ can be rebuilt exactly.
 */
import { Rng } from '../../trainer/train/rng';

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'th', 'br', 'dr', 'kl', 'st'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou'];
const CODAS = ['', '', 'n', 'r', 'l', 's', 'm', 'th'];
const COLOURS = ['red', 'blue', 'green', 'yellow', 'white', 'black', 'orange', 'purple', 'grey', 'golden'];
const THINGS = ['bridges', 'bells', 'gardens', 'towers', 'boats', 'lamps', 'markets', 'mills', 'roofs', 'kites'];
const FOODS = ['bread', 'cheese', 'apples', 'fish', 'honey', 'soup', 'plums', 'rice', 'beans', 'pies'];
const JOBS = ['baker', 'sailor', 'teacher', 'farmer', 'painter', 'builder', 'doctor', 'miller', 'singer', 'weaver'];
const ANIMALS = ['cat', 'dog', 'goat', 'horse', 'owl', 'fox', 'duck', 'rabbit', 'sheep', 'crow'];
const DIRECTIONS = ['north', 'south', 'east', 'west'];
const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

export interface Town {
  name: string;
  region: string;
  direction: string;
  colour: string;
  thing: string;
  food: string;
  people: number;
}

export interface Person {
  name: string;
  town: string;
  job: string;
  animal: string;
  age: number;
}

export interface World {
  towns: Town[];
  persons: Person[];
}

/** A question and its plain, base-style answer. */
export interface QA {
  question: string;
  answer: string;
  /** Extra input (for Alpaca's `input` field), when the question has one. */
  input?: string;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function name(rng: Rng, syllables: number): string {
  let s = '';
  for (let i = 0; i < syllables; i++) s += pick(rng, ONSETS) + pick(rng, VOWELS) + (i === syllables - 1 ? pick(rng, CODAS) : '');
  return s[0]!.toUpperCase() + s.slice(1);
}

/** Builds the world: `towns` towns in a few regions, and about two people per town. */
export function makeWorld(seed: number, towns = 60): World {
  const rng = new Rng(seed);
  const used = new Set<string>();
  const fresh = (syllables: number) => {
    for (;;) {
      const n = name(rng, syllables);
      if (!used.has(n)) {
        used.add(n);
        return n;
      }
    }
  };
  const regions = Array.from({ length: 6 }, () => fresh(3));
  const ts: Town[] = Array.from({ length: towns }, () => ({
    name: fresh(2 + rng.int(2)),
    region: pick(rng, regions),
    direction: pick(rng, DIRECTIONS),
    colour: pick(rng, COLOURS),
    thing: pick(rng, THINGS),
    food: pick(rng, FOODS),
    people: (1 + rng.int(90)) * 100,
  }));
  const persons: Person[] = Array.from({ length: towns * 2 }, () => ({
    name: fresh(2),
    town: pick(rng, ts).name,
    job: pick(rng, JOBS),
    animal: pick(rng, ANIMALS),
    age: 18 + rng.int(60),
  }));
  return { towns: ts, persons };
}

/** Prose about one town or person (pretraining text). */
export function describeTown(t: Town): string {
  return (
    `${t.name} is a town in the ${t.direction} of ${t.region}. ` +
    `${t.name} is known for its ${t.colour} ${t.thing}. ` +
    `The people of ${t.name} like to eat ${t.food}. ` +
    `About ${t.people} people live in ${t.name}.`
  );
}

export function describePerson(p: Person): string {
  return `${p.name} is a ${p.job} who lives in ${p.town}. ${p.name} is ${p.age} years old and has a ${p.animal}.`;
}

/** One arithmetic question with its answer. */
export function arithmetic(rng: Rng): QA {
  const a = rng.int(20);
  const b = rng.int(20);
  switch (rng.int(3)) {
    case 0:
      return { question: `What is ${a} plus ${b}?`, answer: `${a} plus ${b} is ${a + b}.` };
    case 1: {
      const [x, y] = a >= b ? [a, b] : [b, a];
      return { question: `What is ${x} minus ${y}?`, answer: `${x} minus ${y} is ${x - y}.` };
    }
    default: {
      const x = a % 13;
      const y = b % 13;
      return { question: `What is ${x} times ${y}?`, answer: `${x} times ${y} is ${x * y}.` };
    }
  }
}

/** One question about the world with its plain answer. */
export function worldQuestion(rng: Rng, w: World): QA {
  const t = pick(rng, w.towns);
  const p = pick(rng, w.persons);
  switch (rng.int(7)) {
    case 0:
      return { question: `Where is ${t.name}?`, answer: `${t.name} is in the ${t.direction} of ${t.region}.` };
    case 1:
      return { question: `What is ${t.name} known for?`, answer: `${t.name} is known for its ${t.colour} ${t.thing}.` };
    case 2:
      return { question: `What do the people of ${t.name} like to eat?`, answer: `The people of ${t.name} like to eat ${t.food}.` };
    case 3:
      return { question: `How many people live in ${t.name}?`, answer: `About ${t.people} people live in ${t.name}.` };
    case 4:
      return { question: `What does ${p.name} do?`, answer: `${p.name} is a ${p.job} in ${p.town}.` };
    case 5:
      return { question: `How old is ${p.name}?`, answer: `${p.name} is ${p.age} years old.` };
    default:
      return { question: `Which animal does ${p.name} have?`, answer: `${p.name} has a ${p.animal}.` };
  }
}

/** A small task with an input (for Alpaca's `input` field). */
export function inputTask(rng: Rng): QA {
  const n = 2 + rng.int(4);
  const words = Array.from({ length: n }, () => pick(rng, [...COLOURS, ...FOODS, ...ANIMALS]));
  switch (rng.int(3)) {
    case 0:
      return { question: 'How many words are in the text?', input: words.join(' '), answer: `The text has ${NUMBER_WORDS[n]} words.` };
    case 1:
      return { question: 'What is the first word of the text?', input: words.join(' '), answer: `The first word is ${words[0]}.` };
    default:
      return { question: 'What is the last word of the text?', input: words.join(' '), answer: `The last word is ${words[n - 1]}.` };
  }
}

/** Any question: world facts, arithmetic or a small text task. */
export function anyQuestion(rng: Rng, w: World): QA {
  const r = rng.float();
  if (r < 0.55) return worldQuestion(rng, w);
  if (r < 0.85) return arithmetic(rng);
  return inputTask(rng);
}

/** The demo's answer style, which the base model never sees: a pirate's. */
export function pirate(answer: string): string {
  const body = answer.replace(/ is /g, ' be ').replace(/ are /g, ' be ').replace(/ has /g, ' has got ').replace(/\.$/, '');
  // The answer keeps its opening (where the base model recalls the facts) and changes its voice.
  return `${body}, arr matey!`;
}
