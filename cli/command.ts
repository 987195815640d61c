/**
 * The shape of one `tunelab` sub-command. Each lives in cli/commands/<name>.ts and is listed in
 * cli/commands/index.ts. Commands are thin: parse arguments, call the cores in common/ (or the
 * public faces of server/ and trainer/), print.
 *
 * Exit codes (the CLI contract): 0 ok, 1 problems found, 2 usage or I/O error with a one-line
 * message on stderr (throw `UsageError` and main prints it).
 */
export interface CliIo {
  cwd: string;
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is a terminal (progress bars, colours). */
  isTty: boolean;
}

export interface CliCommand {
  name: string;
  /** One line for `tunelab --help`. */
  summary: string;
  /** Full usage text for `tunelab <name> --help`. */
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** A usage or I/O error: main prints `tunelab: <message>` on stderr and exits 2. */
export class UsageError extends Error {}
