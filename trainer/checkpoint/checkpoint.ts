/**
 * Checkpoints: everything a resumed run needs to continue the same trajectory.
 *
 *   checkpoint-<step>/
 *     trainer_state.json      step, data position, RNG, early-stopping state, run id
 *     weights.safetensors     the trainable tensors, exactly as the optimizer sees them
 *     optimizer.safetensors   AdamW's m.<name> and v.<name>; metadata t
 *     adapter_config.json + adapter_model.safetensors   (LoRA: the adapter at this step, loadable by PEFT)
 *
 * A checkpoint is written into a hidden temporary folder beside its final place and renamed when
 * complete, so a kill at any moment leaves every earlier checkpoint intact and never a half one.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { AdamWState } from '../train/adamw';
import type { LoopState } from '../train/loop';
import { readTensors, writeTensors, type HostTensor } from './tensorFile';

export const CHECKPOINT_FORMAT = 1;

/** trainer_state.json. */
export interface TrainerStateFile extends LoopState {
  format: typeof CHECKPOINT_FORMAT;
  run_id: string;
  total_steps: number;
  method: string;
  time: string;
}

export interface CheckpointContents {
  state: TrainerStateFile;
  weights: Map<string, HostTensor>;
  optimizer: AdamWState;
}

const NAME = /^checkpoint-(\d+)$/;

/**
 * Writes `checkpoint-<step>` under `outputDir` atomically. `extra` writes more files into the
 * temporary folder first (the LoRA adapter). Returns the final path.
 */
export function writeCheckpoint(outputDir: string, c: CheckpointContents, extra?: (dir: string) => void): string {
  mkdirSync(outputDir, { recursive: true });
  const final = join(outputDir, `checkpoint-${c.state.step}`);
  const tmp = join(outputDir, `.checkpoint-${c.state.step}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  writeTensors(join(tmp, 'weights.safetensors'), c.weights, { format: 'pt', tunelab: 'trainable weights' });
  const opt = new Map<string, HostTensor>();
  for (const [name, m] of Object.entries(c.optimizer.m)) {
    const shape = c.weights.get(name)?.shape ?? [m.length];
    opt.set(`m.${name}`, { shape, data: m });
    opt.set(`v.${name}`, { shape, data: c.optimizer.v[name]! });
  }
  writeTensors(join(tmp, 'optimizer.safetensors'), opt, { format: 'pt', t: String(c.optimizer.t) });
  extra?.(tmp);
  // The state file is written last: a folder with it is complete.
  writeFileSync(join(tmp, 'trainer_state.json'), JSON.stringify(c.state, null, 2) + '\n');
  if (existsSync(final)) {
    // Re-saving a step (a resumed run stopped at once): swap, never leaving no checkpoint.
    const old = join(outputDir, `.checkpoint-${c.state.step}.old-${process.pid}`);
    renameSync(final, old);
    renameSync(tmp, final);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, final);
  }
  return final;
}

/** Complete checkpoints under `outputDir`, oldest first. */
export function listCheckpoints(outputDir: string): { step: number; path: string }[] {
  if (!existsSync(outputDir)) return [];
  return readdirSync(outputDir)
    .map((n) => ({ m: NAME.exec(n), n }))
    .filter((x): x is { m: RegExpExecArray; n: string } => x.m !== null && existsSync(join(outputDir, x.n, 'trainer_state.json')))
    .map((x) => ({ step: Number(x.m[1]), path: join(outputDir, x.n) }))
    .sort((a, b) => a.step - b.step);
}

/** Deletes all but the newest `limit` checkpoints (`save_total_limit`). */
export function pruneCheckpoints(outputDir: string, limit: number | null): string[] {
  if (limit === null || !(limit > 0)) return [];
  const all = listCheckpoints(outputDir);
  const drop = all.slice(0, Math.max(0, all.length - limit));
  for (const c of drop) rmSync(c.path, { recursive: true, force: true });
  return drop.map((c) => c.path);
}

/** Reads a checkpoint folder; throws a message naming what is missing or malformed. */
export function readCheckpoint(dir: string): CheckpointContents {
  const statePath = join(dir, 'trainer_state.json');
  if (!existsSync(statePath)) throw new Error(`${dir} is not a Tunelab checkpoint (no trainer_state.json)`);
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as TrainerStateFile;
  if (state.format !== CHECKPOINT_FORMAT) throw new Error(`${basename(dir)}: unsupported checkpoint format ${JSON.stringify(state.format)}`);
  const weights = readTensors(join(dir, 'weights.safetensors')).tensors;
  const { tensors, metadata } = readTensors(join(dir, 'optimizer.safetensors'));
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  for (const [k, t] of tensors) {
    if (k.startsWith('m.')) m[k.slice(2)] = t.data;
    else if (k.startsWith('v.')) v[k.slice(2)] = t.data;
  }
  return { state, weights, optimizer: { t: Number(metadata.t ?? 0), m, v } };
}
