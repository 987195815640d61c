/** What the run manager needs to know to start the trainer. */
export interface TrainerLaunch {
  /** bin/tunelab.js inside the installed extension (it runs the dist/cli/tunelab.mjs bundle). */
  cliPath: string;
  configPath: string;
  resume: boolean;
  backend: string;
  maxSteps?: number;
  /** The `tunelab.nodePath` setting ('' when unset). */
  nodePath: string;
  /** The extension host's runtime: Electron in desktop VS Code, Node in code-server and VS Code Server. */
  execPath: string;
  isElectron: boolean;
  env: NodeJS.ProcessEnv;
  /** The `tunelab.engine` setting: used when the config has no tunelab_engine key. */
  engine?: string;
  /** The `tunelab.python` setting ('' when unset). */
  python?: string;
  /** The `tunelab.gpus` setting: processes the axolotl / hf engines launch. */
  gpus?: number;
}

/**
 * The command line of a training run. The trainer is a Node program; in desktop VS Code the
 * extension host is Electron, which runs as plain Node with ELECTRON_RUN_AS_NODE=1, so no
 * separate Node install is needed. A configured `tunelab.nodePath` wins (a newer Node, or one
 * with tfjs-node installed).
 */
export function trainerCommand(l: TrainerLaunch): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const useSetting = l.nodePath.trim() !== '';
  const env: NodeJS.ProcessEnv = { ...l.env };
  if (!useSetting && l.isElectron) env.ELECTRON_RUN_AS_NODE = '1';
  else delete env.ELECTRON_RUN_AS_NODE;
  // Engine settings travel as environment variables, the lowest precedence: a config's own
  // tunelab_engine still wins over the editor's default (tunelab train --help).
  if (l.engine) env.TUNELAB_ENGINE = l.engine;
  if (l.python && l.python.trim()) env.TUNELAB_PYTHON = l.python.trim();
  if (l.gpus !== undefined && l.gpus > 1) env.TUNELAB_GPUS = String(l.gpus);
  const args = [l.cliPath, 'train', l.configPath, '--json'];
  if (l.resume) args.push('--resume');
  if (l.backend) args.push('--backend', l.backend);
  if (l.maxSteps !== undefined) args.push('--max-steps', String(l.maxSteps));
  return { command: useSetting ? l.nodePath.trim() : l.execPath, args, env };
}
