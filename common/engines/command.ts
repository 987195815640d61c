/**
 * The command line of a Python engine. Pure: the CLI spawns it, tests compare it.
 *
 * - axolotl, one process:  PY -m axolotl.cli.train CONFIG
 * - axolotl, N GPUs:       PY -m accelerate.commands.launch --num_processes N -m axolotl.cli.train CONFIG
 *   (Axolotl reads deepspeed: / fsdp: from the config itself)
 * - hf, one process:       PY -m tunelab_engines.hf_runner CONFIG
 * - hf, N GPUs:            PY -m torch.distributed.run --standalone --nproc_per_node N -m tunelab_engines.hf_runner CONFIG
 *
 * Modules are run through the chosen interpreter (`-m`) rather than the `axolotl` / `accelerate` /
 * `torchrun` scripts, so the interpreter the user named is the one that trains, whatever is on PATH.
 * PYTHONPATH gains the shipped `python/` folder (our package); TUNELAB_* variables tell the
 * callback where to write and which run it is.
 */
import { delimiter } from 'node:path';

export interface EngineLaunch {
  engine: 'axolotl' | 'hf';
  python: string;
  /** The derived config (a temporary copy). */
  configPath: string;
  gpus: number;
  /** The folder holding tunelab_engines/ (the extension's or the repository's python/). */
  packageDir: string;
  runId: string;
  eventsPath: string;
  /** JSON file with run_start facts (config as Tunelab resolved it, paths, method). */
  metaPath: string;
  env: Record<string, string | undefined>;
}

export function engineCommand(l: EngineLaunch): { command: string; args: string[]; env: Record<string, string | undefined> } {
  const module = l.engine === 'axolotl' ? ['-m', 'axolotl.cli.train', l.configPath] : ['-m', 'tunelab_engines.hf_runner', l.configPath];
  const multi = l.gpus > 1;
  const launcher = !multi
    ? []
    : l.engine === 'axolotl'
      ? ['-m', 'accelerate.commands.launch', '--num_processes', String(l.gpus)]
      : ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', String(l.gpus)];
  // Both launchers take `-m MODULE` themselves and start it in every process.
  const args = [...launcher, ...module];
  const env: Record<string, string | undefined> = {
    ...l.env,
    PYTHONPATH: [l.packageDir, l.env.PYTHONPATH].filter((x) => x && x.length > 0).join(delimiter),
    PYTHONUNBUFFERED: '1',
    TUNELAB_RUN_ID: l.runId,
    TUNELAB_EVENTS: l.eventsPath,
    TUNELAB_RUN_META: l.metaPath,
  };
  return { command: l.python, args, env };
}
