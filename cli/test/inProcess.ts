// Running the CLI inside the test process, as a user runs it (cli/main.ts), for the tests of every
// part that drive `tunelab` commands end to end.
import { main } from '../main';

/** A finished in-process run: the exit code and everything written to stdout and stderr. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `tunelab <args>` in `cwd` with captured output and no terminal. */
export async function runCli(cwd: string, args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(args, { cwd, out: (t) => void (out += t), err: (t) => void (err += t), isTty: false });
  return { code, out, err };
}
