/**
 * Which engine trains a config: `--engine`, else the config's `tunelab_engine`, else
 * `$TUNELAB_ENGINE` (the editor passes its `tunelab.engine` setting this way, so a config's own
 * choice still wins), else the built-in trainer.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig } from '../../common/config/index';
import { ENGINES, type EngineName } from '../../common/engines/index';
import { UsageError } from '../command';

export function selectEngine(flag: string | undefined, configPath: string, cwd: string, env: NodeJS.ProcessEnv): EngineName {
  const check = (v: string, from: string): EngineName => {
    if (!(ENGINES as readonly string[]).includes(v)) throw new UsageError(`${from} must be one of ${ENGINES.join(', ')}, got '${v}'`);
    return v as EngineName;
  };
  if (flag !== undefined) return check(flag, '--engine');
  try {
    const v = (parseConfig(readFileSync(resolve(cwd, configPath), 'utf8')).value as Record<string, unknown> | undefined)?.tunelab_engine;
    if (typeof v === 'string' && v.length > 0) return check(v, 'tunelab_engine');
  } catch {
    // an unreadable config is reported by the trainer that runs it
  }
  if (env.TUNELAB_ENGINE) return check(env.TUNELAB_ENGINE, '$TUNELAB_ENGINE');
  return 'builtin';
}

/** SIGINT / SIGTERM as a count the engine launcher reacts to (1: stop gracefully, 2: kill). */
export function engineStopSignal(onFirst?: (signal: string) => void): { onStop(l: (n: number) => void): void; dispose(): void } {
  const listeners: ((n: number) => void)[] = [];
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) onFirst?.(signal);
    for (const l of listeners) l(count);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    onStop: (l) => listeners.push(l),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
