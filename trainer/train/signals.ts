/**
 * SIGINT / SIGTERM during training: the first one asks the loop to finish its step, write a
 * checkpoint and end with `done` status `stopped`; a second SIGINT exits at once (130), as a
 * user pressing Ctrl-C twice expects.
 */
import type { StopSignal } from './run';

export function processStopSignal(onFirst?: (signal: string) => void): StopSignal & { dispose(): void } {
  let stop = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stop && signal === 'SIGINT') process.exit(130);
    stop = true;
    onFirst?.(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    requested: () => stop,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
