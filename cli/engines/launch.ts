/**
 * `tunelab train --engine axolotl|hf`: validate (refusals are error events + exit 2, as for the
 * built-in trainer) → find and probe the interpreter → derive the config → launch the engine in
 * its own process group → follow `<output_dir>/events.jsonl` (written by the Tunelab callback
 * inside the Python process) and forward its events to stdout (--json) or as progress lines.
 * Stop: the first SIGINT/SIGTERM is forwarded as SIGINT to the whole group (the callback makes the
 * Trainer save and stop at the end of the step); a second one kills the group.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, openSync, readSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, validateConfig, type ConfigEnv } from '../../common/config/index';
import { ConfigModelCheck } from '../../common/config/modelCheck';
import { checkDatasetAgainstEntry } from '../../common/dataset/configHook';
import { checkHfSupport, deriveConfig, describeProbe, engineCommand, findPython, missingPieces, pythonFailure } from '../../common/engines/index';
import { EVENT_VERSION, LineSplitter, parseEvent, type TrainerEvent } from '../../common/protocol/events';
import { writeFileAtomic } from '../../common/fsAtomic';
import { listCheckpointDirs, summarizeEvents } from '../../common/runs/index';
import { humanEventLine } from './human';
import { runProbe } from './probe';

type Body = TrainerEvent extends infer E ? (E extends TrainerEvent ? Omit<E, 'v' | 'time' | 'run_id'> : never) : never;

export interface EngineRequest {
  engine: 'axolotl' | 'hf';
  configPath: string;
  cwd: string;
  python?: string;
  gpus: number;
  resume: boolean;
  maxSteps?: number;
  outputDir?: string;
  /** Overrides where tunelab_engines/ is found (tests, packaged layouts). */
  packageDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface EngineOutput {
  stdout(text: string): void;
  stderr(text: string): void;
  json: boolean;
}

/** How the CLI asks for a stop; `onStop` lets the launcher react at once. */
export interface EngineStop {
  onStop(listener: (count: number) => void): void;
}

/** The shipped python/ folder: beside dist/ in the package, at the repository root in development. */
export function defaultPackageDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '..', '../../..']) {
    const p = resolve(here, up, 'python');
    if (existsSync(join(p, 'tunelab_engines', '__init__.py'))) return p;
  }
  return resolve(here, '../../python');
}

function condaEnvs(): string[] {
  const out: string[] = [];
  try {
    const txt = readFileSync(join(homedir(), '.conda', 'environments.txt'), 'utf8');
    out.push(...txt.split(/\r?\n/).map((l) => l.trim()).filter(Boolean));
  } catch {
    // no conda
  }
  for (const base of ['miniconda3', 'anaconda3', 'miniforge3', 'mambaforge']) {
    const d = join(homedir(), base, 'envs');
    try {
      for (const n of readdirSync(d)) out.push(join(d, n));
    } catch {
      // not installed
    }
  }
  return out;
}

const isFile = (p: string) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** Exit codes as the built-in trainer: 0 completed or stopped, 1 failed, 2 refused before launch. */
export async function runEngine(req: EngineRequest, out: EngineOutput, stop: EngineStop): Promise<number> {
  const env = req.env ?? process.env;
  const configPath = resolve(req.cwd, req.configPath);
  let runId = randomBytes(6).toString('hex');
  let eventsFile: string | null = null;
  // Once the engine runs, everything reaches the user through the events file (one order for all).
  let following = false;
  const emit = (body: Body) => {
    const e = { v: EVENT_VERSION, time: new Date().toISOString(), run_id: runId, ...body } as TrainerEvent;
    const line = JSON.stringify(e) + '\n';
    if (eventsFile) appendFileSync(eventsFile, line);
    if (following && eventsFile) return;
    if (out.json) out.stdout(line);
    else out.stderr(humanEventLine(e) + '\n');
  };
  // A stop can arrive while the config is checked or the interpreter probed: then nothing launches.
  let stops = 0;
  let onStopLaunched: ((count: number) => void) | null = null;
  stop.onStop((count) => {
    stops = count;
    onStopLaunched?.(count);
  });
  const refuse = (code: string, message: string, location?: Extract<TrainerEvent, { type: 'error' }>['location']) => {
    emit({ type: 'error', code, message, ...(location ? { location } : {}) });
    return 2;
  };

  // 1. The config, checked as for the built-in trainer (and the hf subset).
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (e) {
    return refuse('engine-config-unreadable', `cannot read ${configPath}: ${(e as Error).message}`);
  }
  const doc = parseConfig(text);
  const cenv: ConfigEnv = { configPath, cwd: req.cwd, fileExists: existsSync, checkDatasetFile: checkDatasetAgainstEntry };
  const models = new ConfigModelCheck();
  cenv.checkModel = models.check;
  await models.prepare(doc, cenv);
  const diags = [...validateConfig(doc, cenv), ...(req.engine === 'hf' ? checkHfSupport(doc) : [])];
  const config = (doc.value ?? {}) as Record<string, unknown>;
  const namedOutput = req.outputDir ?? (typeof config.output_dir === 'string' && config.output_dir.trim() !== '' ? config.output_dir : undefined);
  const outputDir = resolve(req.cwd, namedOutput ?? './model-out');
  const errors = diags.filter((d) => d.severity === 1);
  // As the built-in trainer: a refused config's events go to <output_dir>/events.jsonl only when
  // the user named that folder (no stray ./model-out for a file that is not a training config).
  const eventsPath = join(outputDir, 'events.jsonl');
  if (errors.length === 0 || namedOutput !== undefined) {
    mkdirSync(outputDir, { recursive: true });
    eventsFile = eventsPath;
  }
  if (errors.length > 0) {
    for (const d of errors.slice(0, 20)) refuse(String(d.code), d.message, { path: configPath, range: d.range });
    return 2;
  }
  for (const d of diags.filter((x) => x.severity === 2).slice(0, 20)) {
    emit({ type: 'log', level: 'warning', message: `${configPath}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${String(d.code)}: ${d.message}` });
  }

  // 2. The interpreter and what it has.
  const py = findPython({ explicit: req.python ?? env.TUNELAB_PYTHON, folders: [req.cwd, dirname(configPath)], env, platform: process.platform, condaEnvs: condaEnvs(), isFile });
  const probe = runProbe(py.command, env);
  // 'as configured' is --python, tunelab.python or $TUNELAB_PYTHON; the others name where it was found.
  const interpreterFrom = py.source === 'as configured' ? 'interpreter as configured' : `interpreter from ${py.source}`;
  if ('error' in probe) return refuse('engine-python-unavailable', `${probe.error} (${interpreterFrom})`);
  emit({ type: 'log', level: 'info', message: `engine ${req.engine}: ${describeProbe(probe)} (${interpreterFrom})` });
  const datasets = Array.isArray(config.datasets) ? (config.datasets as Record<string, unknown>[]) : [];
  const missing = missingPieces(probe, {
    engine: req.engine,
    gpus: req.gpus,
    deepspeed: typeof config.deepspeed === 'string' && config.deepspeed.length > 0,
    quantized: config.adapter === 'qlora' || config.load_in_4bit === true || config.load_in_8bit === true,
    hubDatasets: datasets.some((d) => typeof d?.path === 'string' && !existsSync(resolve(req.cwd, d.path)) && !existsSync(resolve(dirname(configPath), d.path))),
  });
  if (missing.length > 0) {
    for (const m of missing) emit({ type: 'error', code: m.code, message: m.install ? `${m.message}. Install with: ${m.install}` : m.message });
    return 2;
  }

  // 3. Resume: the newest checkpoint-N, the run id of the run that wrote it.
  let resumeFrom: { checkpoint: string; step: number } | null = null;
  if (req.resume) {
    const latest = listCheckpointDirs(outputDir).at(-1);
    if (latest) {
      resumeFrom = { checkpoint: latest.path, step: latest.step };
      const prior = existsSync(eventsPath) ? summarizeEvents(readFileSync(eventsPath, 'utf8')).filter((r) => r.outputDir === outputDir && !r.backend.endsWith('(imported)')).at(-1) : undefined;
      if (prior) runId = prior.runId;
    } else {
      emit({ type: 'log', level: 'warning', message: `--resume: no checkpoint-N in ${outputDir}; starting from the beginning` });
    }
  } else if (listCheckpointDirs(outputDir).length > 0) {
    emit({ type: 'log', level: 'warning', message: `${outputDir} already holds checkpoints; starting a new run there (pass --resume to continue instead)` });
  }

  // 4. The derived config and the facts the callback puts into run_start, in a private temp folder.
  const work = mkdtempSync(join(tmpdir(), 'tunelab-engine-'));
  const derivedPath = join(work, 'config.yml');
  const metaPath = join(work, 'run.json');
  try {
    // Tunelab resolves a relative path beside the config first; the copy lives in a temp folder and
    // Axolotl resolves against the working directory: pass what is beside the config absolute.
    const resolveLocal = (p: string) => {
      if (isAbsolute(p)) return null;
      const beside = resolve(dirname(configPath), p);
      return existsSync(beside) ? beside : null;
    };
    writeFileAtomic(derivedPath, deriveConfig(text, { plugin: req.engine === 'axolotl', outputDir, resumeFrom: resumeFrom?.checkpoint ?? null, maxSteps: req.maxSteps, resolveLocal }));
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    return refuse('engine-config-invalid', `cannot derive the engine's config: ${(e as Error).message}`);
  }
  const method = config.adapter === 'qlora' ? 'qlora' : config.adapter === 'lora' ? 'lora' : 'full';
  writeFileAtomic(metaPath, JSON.stringify({ run_id: runId, engine: req.engine, config: { ...config, output_dir: outputDir, ...(req.maxSteps ? { max_steps: req.maxSteps } : {}) }, config_path: configPath, output_dir: outputDir, method, resumed_from: resumeFrom, gpus: req.gpus }));

  const cmd = engineCommand({ engine: req.engine, python: py.command, configPath: derivedPath, gpus: req.gpus, packageDir: req.packageDir ?? env.TUNELAB_PYTHON_PACKAGE ?? defaultPackageDir(), runId, eventsPath, metaPath, env });
  emit({ type: 'log', level: 'info', message: `$ ${[cmd.command, ...cmd.args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}` });

  // 5. Launch and follow.
  if (stops > 0) {
    rmSync(work, { recursive: true, force: true });
    emit({ type: 'done', status: 'stopped', step: resumeFrom?.step ?? 0, outputs: { events: eventsPath }, metrics: { train_loss: null, eval_loss: null, perplexity: null, elapsed: 0 } });
    return 0;
  }
  const startOffset = existsSync(eventsPath) ? statSync(eventsPath).size : 0;
  const follower = new EventsFollower(eventsPath, startOffset, (line) => {
    const e = parseEvent(line);
    if ('error' in e || e.run_id !== runId) return;
    sawTerminal ||= e.type === 'done';
    if (e.type === 'done') doneStatus = e.status;
    if (out.json) out.stdout(line + '\n');
    else out.stderr(humanEventLine(e) + '\n');
  });
  let sawTerminal = false;
  let doneStatus: 'completed' | 'stopped' | 'failed' | null = null;
  following = true;
  let stderrTail = '';
  const child = spawn(cmd.command, cmd.args, { cwd: req.cwd, env: cmd.env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
  const keep = (chunk: Buffer) => {
    out.stderr(chunk.toString('utf8'));
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-65536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  onStopLaunched = (count) => {
    if (count === 1) {
      // Written by us, not the callback: the Python side may be busy inside a step.
      emit({ type: 'log', level: 'info', message: 'stop requested: the engine finishes its step, saves a checkpoint and stops' });
      signalGroup('SIGINT');
    } else signalGroup('SIGKILL');
  };
  const timer = setInterval(() => follower.poll(), 200);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => {
    child.on('error', (err) => {
      keep(Buffer.from(`could not start ${cmd.command}: ${err.message}\n`));
      res([127, null]);
    });
    child.on('close', (c, s) => res([c, s]));
  });
  clearInterval(timer);
  follower.poll();
  follower.flush();
  rmSync(work, { recursive: true, force: true });
  following = false;

  if (!sawTerminal) {
    // The engine died before (or without) the callback's last word: say why, from its traceback.
    const failure = pythonFailure(stderrTail);
    const stopped = stops > 0 && (code === 0 || signal === 'SIGINT' || code === 130);
    if (stopped) {
      emit({ type: 'done', status: 'stopped', step: resumeFrom?.step ?? 0, outputs: { events: eventsPath }, metrics: { train_loss: null, eval_loss: null, perplexity: null, elapsed: 0 } });
      return 0;
    }
    emit({ type: 'error', code: 'engine-failed', message: failure?.message ?? `${req.engine} exited with ${signal ?? `code ${code}`} before reporting the run's end` });
    emit({ type: 'done', status: 'failed', step: 0, outputs: { events: eventsPath }, metrics: { train_loss: null, eval_loss: null, perplexity: null, elapsed: 0 } });
    return 1;
  }
  return doneStatus === 'failed' ? 1 : 0;
}

/** Reads what is appended to a file from an offset on, line by line (polled: works on every file system). */
class EventsFollower {
  private readonly splitter = new LineSplitter();
  constructor(
    private readonly path: string,
    private offset: number,
    private readonly onLine: (line: string) => void,
  ) {}
  poll(): void {
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return;
    }
    if (size <= this.offset) return;
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    for (const l of this.splitter.push(buf.toString('utf8'))) this.onLine(l);
  }
  flush(): void {
    for (const l of this.splitter.flush()) this.onLine(l);
  }
}
