/**
 * The generation loops of `tunelab generate-data`, with the model behind an injected
 * `ChatClient` and persistence behind `commit`, so this file does no I/O.
 *
 * Resumable by construction: every random choice comes from (seed, step number), and `commit`
 * stores the state before the records of a step are appended. The output file is the truth
 * for how many records exist; a state that ran ahead of it (a crash between the two writes)
 * only holds an instruction in the novelty pool that has no record, which is harmless.
 */
import { mulberry32 } from '../random';
import type { ChatClient, ChatMessage, ChatOptions, ChatReply } from './client';
import { answerPrompt, equalityPrompt, EVOL_OPERATIONS, evolvePrompt, parseEqual, parseEvolved, type EvolOperation } from './evolInstruct';
import { evolutionProblem, evolvedProblem, hasConflictingOutputs, instanceKey, instanceProblem, InstructionPool, type DropReason, type Instance, type InstructionFilterOptions } from './filters';
import { classificationPrompt, instancePrompt, instructionPrompt, parseInstances, parseInstructions, parseYesNo, pickExamples, sample, type SeedTask } from './selfInstruct';

export type DatagenMethod = 'self-instruct' | 'evol-instruct';

/** A generated record before it is written in the chosen dataset format. */
export interface GeneratedRecord extends Instance {
  /** How it was made: 'self-instruct', or the evol-instruct operation. */
  origin: string;
}

/** Everything a resumed run needs (JSON; written next to the output). */
export interface DatagenState {
  v: 1;
  method: DatagenMethod;
  /** Identifies the seed data, so a resume with other seeds is refused. */
  seedDigest: string;
  seed: number;
  /** Records in the output file. */
  written: number;
  /** Steps taken (a self-instruct round, or one evol-instruct evolution). */
  step: number;
  /**
   * Self-instruct: generated instructions kept (the novelty pool beyond the seeds) and instance keys.
   * Evol-instruct: the evolved instructions kept, so a resumed run still refuses to write one twice.
   */
  generated: string[];
  instanceKeys: string[];
  /** Evol-instruct: the current instruction of each seed, and how many evolutions each has had. */
  current: string[];
  evolved: number[];
  drops: Partial<Record<DropReason, number>>;
  /** Records written by origin ('self-instruct', 'evol-instruct:constraints', ...). */
  made: Record<string, number>;
  requests: number;
  promptTokens: number;
  completionTokens: number;
}

/** Settings of a run. */
export interface PipelineOptions {
  method: DatagenMethod;
  seeds: SeedTask[];
  /** Records wanted in the output in total. */
  count: number;
  seed: number;
  seedDigest: string;
  /** Evol-instruct epochs over the seed pool (default 4, as WizardLM). */
  epochs?: number;
  filter?: InstructionFilterOptions;
  /** Sampling for creative steps (new instructions, evolutions); the paper used 0.7 / 0.5 for instructions. */
  creative?: ChatOptions;
  /** Sampling for answers and judgements (instances, equality, classification). */
  precise?: ChatOptions;
  /** Steps in a row with nothing kept before the run stops as stalled (default 25). */
  maxBarrenSteps?: number;
  /** Steps run at once (default 1): requests overlap, the filters still see one pool. */
  concurrency?: number;
}

export interface PipelineIo {
  client: ChatClient;
  /** Saves `state` (atomically), then appends `records` to the output. */
  commit(state: DatagenState, records: GeneratedRecord[]): Promise<void>;
  /** Called after every model request and every commit. */
  progress?(state: DatagenState): void;
  /** Aborting stops the run after the current request (nothing half-written). */
  signal?: AbortSignal;
}

export type StopReason = 'done' | 'stalled' | 'exhausted' | 'interrupted';

export function initialState(opts: PipelineOptions): DatagenState {
  return {
    v: 1,
    method: opts.method,
    seedDigest: opts.seedDigest,
    seed: opts.seed,
    written: 0,
    step: 0,
    generated: [],
    instanceKeys: [],
    current: opts.seeds.map((s) => s.instruction),
    evolved: opts.seeds.map(() => 0),
    drops: {},
    made: {},
    requests: 0,
    promptTokens: 0,
    completionTokens: 0,
  };
}

/** A state read back from disk, if it has the fields this version writes. */
export function parseState(raw: unknown): DatagenState | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const s = raw as Partial<DatagenState>;
  const ok =
    s.v === 1 &&
    (s.method === 'self-instruct' || s.method === 'evol-instruct') &&
    typeof s.seedDigest === 'string' &&
    [s.seed, s.written, s.step, s.requests, s.promptTokens, s.completionTokens].every((n) => typeof n === 'number') &&
    Array.isArray(s.evolved) &&
    s.evolved.every((n) => typeof n === 'number') &&
    [s.generated, s.instanceKeys, s.current].every((a) => Array.isArray(a) && a.every((x) => typeof x === 'string')) &&
    typeof s.drops === 'object';
  return ok ? { ...(s as DatagenState), made: typeof s.made === 'object' && s.made !== null ? s.made : {} } : undefined;
}

/** A per-step random source: the same (seed, step) gives the same choices after a resume. */
const stepRandom = (seed: number, step: number): (() => number) => mulberry32((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0);

class Stop extends Error {}

/** What the steps of one run share. */
interface Run {
  opts: PipelineOptions;
  state: DatagenState;
  ask(messages: ChatMessage[], o: ChatOptions | undefined): Promise<ChatReply>;
  drop(r: DropReason): void;
  commit(records: GeneratedRecord[]): Promise<void>;
  /** Self-instruct: seeds and kept instructions, tokenised once for the novelty filter. */
  pool: InstructionPool;
  seen: Set<string>;
  /** Evol-instruct: seeds and kept evolutions (normalised), so no instruction is written twice. */
  evolvedKeys: Set<string>;
  /** Evol-instruct: seeds being evolved right now (one evolution per seed at a time). */
  busy: Set<number>;
}

/**
 * Runs until `count` records exist, the seeds are exhausted (evol), the run stalls, or the signal
 * aborts. With `concurrency` > 1, that many steps run at once; each step's random choices still
 * come from its own number, and pool checks and commits happen between awaits, so they never race.
 */
export async function runPipeline(opts: PipelineOptions, io: PipelineIo, resumed?: DatagenState): Promise<{ state: DatagenState; stop: StopReason }> {
  const state = resumed ?? initialState(opts);
  if (opts.method === 'evol-instruct' && state.current.length !== opts.seeds.length) {
    state.current = opts.seeds.map((s) => s.instruction);
    state.evolved = opts.seeds.map(() => 0);
  }
  let committing = Promise.resolve();
  let stop: StopReason | undefined;
  let failure: unknown;
  const run: Run = {
    opts,
    state,
    drop: (r) => void (state.drops[r] = (state.drops[r] ?? 0) + 1),
    ask: async (messages, o) => {
      if (io.signal?.aborted || stop !== undefined || failure !== undefined) throw new Stop();
      const reply = await io.client.chat(messages, o);
      state.requests++;
      state.promptTokens += reply.promptTokens;
      state.completionTokens += reply.completionTokens;
      io.progress?.(state);
      return reply;
    },
    commit: (records) => {
      const room = records.slice(0, Math.max(0, opts.count - state.written));
      state.written += room.length;
      for (const r of room) state.made[r.origin] = (state.made[r.origin] ?? 0) + 1;
      // One commit at a time, in the order the steps finished.
      committing = committing.then(async () => {
        await io.commit(state, room);
        io.progress?.(state);
      });
      return committing;
    },
    pool: new InstructionPool(opts.method === 'self-instruct' ? [...opts.seeds.map((s) => s.instruction), ...state.generated] : []),
    seen: new Set(state.instanceKeys),
    evolvedKeys: new Set(opts.method === 'evol-instruct' ? [...opts.seeds.map((s) => s.instruction), ...state.generated].map(instructionKey) : []),
    busy: new Set(),
  };
  const barrenLimit = opts.maxBarrenSteps ?? 25;
  let barren = 0;
  const inFlight = new Set<Promise<void>>();
  const worker = async (): Promise<void> => {
    while (stop === undefined && failure === undefined) {
      if (state.written >= opts.count) return void (stop = 'done');
      if (io.signal?.aborted) return void (stop = 'interrupted');
      const before = state.written;
      let step: Promise<void>;
      if (opts.method === 'self-instruct') step = selfInstructStep(run);
      else {
        const index = nextSeed(run);
        if (index === undefined) {
          // Every seed is done, or the rest are being evolved: wait for one to finish, then look again.
          if (inFlight.size === 0) return void (stop ??= 'exhausted');
          await Promise.race(inFlight);
          continue;
        }
        step = evolStep(run, index);
      }
      const settled = step.then(
        () => {},
        () => {},
      );
      inFlight.add(settled);
      try {
        await step;
      } catch (e) {
        if (e instanceof Stop) return void (stop ??= io.signal?.aborted ? 'interrupted' : stop);
        failure ??= e;
        return;
      } finally {
        inFlight.delete(settled);
      }
      barren = state.written > before ? 0 : barren + 1;
      if (barren >= barrenLimit) stop ??= 'stalled';
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, worker));
  await committing;
  if (failure !== undefined) throw failure;
  return { state, stop: state.written >= opts.count ? 'done' : (stop ?? 'exhausted') };
}

/** The seed with the fewest evolutions that still has epochs left and is not being evolved. */
function nextSeed(run: Run): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < run.state.current.length; i++) {
    if (run.busy.has(i) || run.state.evolved[i]! >= (run.opts.epochs ?? 4)) continue;
    if (best === undefined || run.state.evolved[i]! < run.state.evolved[best]!) best = i;
  }
  return best;
}

/** One self-instruct round: 8 examples → new instructions → filter → classify → instances → filter. */
async function selfInstructStep(run: Run): Promise<void> {
  const { opts, state, ask, drop, commit, pool, seen } = run;
  // Taken before any await: concurrent rounds get distinct numbers, a resume skips this one.
  const rand = stepRandom(opts.seed, state.step++);
  const examples = pickExamples(opts.seeds, state.generated, rand);
  const reply = await ask(instructionPrompt(examples), opts.creative ?? { temperature: 0.7, topP: 0.5, maxTokens: 1024 });
  const fresh = parseInstructions(reply.text, reply.finishReason === 'length');
  if (reply.finishReason === 'length' && fresh.length === 0) drop('truncated');
  const known = opts.seeds.filter((s) => s.isClassification !== undefined);
  for (const instruction of fresh) {
    if (state.written >= opts.count) break;
    // Check and add with no await between: concurrent rounds see each other's instructions.
    const problem = pool.check(instruction, opts.filter);
    if (problem) {
      drop(problem);
      continue;
    }
    pool.add(instruction);
    state.generated.push(instruction);
    // The paper's few-shot mix: 12 classification and 19 other seed tasks (as many as there are).
    const shotsCls = sample([...sample(known.filter((k) => k.isClassification), 12, rand), ...sample(known.filter((k) => !k.isClassification), 19, rand)], 31, rand);
    const isClass = known.length > 0 ? parseYesNo((await ask(classificationPrompt(instruction, shotsCls), opts.precise ?? { temperature: 0, maxTokens: 3 })).text) === true : false;
    const sameKind = opts.seeds.filter((s) => (s.isClassification ?? false) === isClass && s.instances.length > 0);
    const shots = sample(sameKind.length ? sameKind : opts.seeds.filter((s) => s.instances.length > 0), 3, rand);
    const answer = await ask(instancePrompt(instruction, isClass, shots), opts.precise ?? { temperature: 0, maxTokens: 1024 });
    const instances = parseInstances(instruction, answer.text, isClass);
    if (answer.finishReason === 'length' && instances.length) instances.pop();
    const kept: GeneratedRecord[] = [];
    if (instances.length === 0) drop('unparseable');
    else if (hasConflictingOutputs(instances)) drop('conflicting-outputs');
    else {
      for (const inst of instances) {
        const p = instanceProblem(inst, seen);
        if (p) {
          drop(p);
          continue;
        }
        seen.add(instanceKey(inst));
        state.instanceKeys.push(instanceKey(inst));
        kept.push({ ...inst, origin: 'self-instruct' });
      }
    }
    await commit(kept);
  }
}

/** Case and whitespace do not make an instruction new. */
const instructionKey = (instruction: string): string => instruction.trim().replace(/\s+/g, ' ').toLowerCase();

/** One evolution of the seed at `index`; a failed evolution leaves the seed's instruction as it was. */
async function evolStep(run: Run, index: number): Promise<void> {
  const { opts, state, ask, drop, commit } = run;
  // Each (seed, evolution) pair has its own random choice, whatever order workers take them in.
  const rand = stepRandom(opts.seed, state.evolved[index]! * opts.seeds.length + index);
  const op: EvolOperation = EVOL_OPERATIONS[Math.floor(rand() * EVOL_OPERATIONS.length)]!;
  const original = state.current[index]!;
  run.busy.add(index);
  const done = (): void => {
    run.busy.delete(index);
    state.evolved[index]!++;
    state.step++;
  };
  try {
    const reply = await ask(evolvePrompt(op, original), opts.creative ?? { temperature: 0.7, maxTokens: 1024 });
    const evolved = parseEvolved(reply.text);
    // A failed evolution is counted and leaves the seed's instruction as it was.
    const failed = async (reason: DropReason): Promise<void> => {
      drop(reason);
      done();
      await commit([]);
    };
    if (reply.finishReason === 'length') return await failed('truncated');
    // Cheapest checks first: the prompt-leak rule needs no answer.
    const leak = evolvedProblem(evolved);
    if (leak) return await failed(leak);
    // Unchanged, or the same as a seed or an earlier evolution (different seeds can converge, above
    // all with a weak model): the record would be an exact duplicate in the output.
    if (instructionKey(evolved) === instructionKey(original)) return await failed('no-information-gain');
    if (run.evolvedKeys.has(instructionKey(evolved))) return await failed('duplicate');
    const answer = await ask(answerPrompt(evolved), opts.precise ?? { temperature: 0, maxTokens: 2048 });
    if (answer.finishReason === 'length') return await failed('truncated');
    const problem = evolutionProblem(evolved, answer.text);
    if (problem) return await failed(problem);
    const judged = await ask(equalityPrompt(original, evolved), opts.precise ?? { temperature: 0, maxTokens: 4 });
    if (parseEqual(judged.text)) return await failed('no-information-gain');
    // Checked again with no await before the add: a concurrent step may have kept it meanwhile.
    if (run.evolvedKeys.has(instructionKey(evolved))) return await failed('duplicate');
    run.evolvedKeys.add(instructionKey(evolved));
    state.generated.push(evolved);
    state.current[index] = evolved;
    done();
    await commit([{ instruction: evolved, input: '', output: answer.text.trim(), origin: `evol-instruct:${op}` }]);
  } finally {
    run.busy.delete(index);
  }
}
