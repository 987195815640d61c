import { commands } from './commands/index';
import { UsageError, type CliIo } from './command';

const VERSION = '0.1.0';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: tunelab <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `tunelab <command> --help` for a command\'s options.',
    'Exit codes: 0 ok, 1 problems found, 2 usage or I/O error.',
  ].join('\n');
}

export function defaultIo(): CliIo {
  return {
    cwd: process.cwd(),
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    isTty: Boolean(process.stdout.isTTY),
  };
}

/** Runs one CLI invocation; resolves to the exit code. Never throws. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(help() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`tunelab: unknown command '${name}' (try: ${commands.map((c) => c.name).join(', ')})\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage.trimEnd() + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tunelab ${name}: ${e.message.split('\n')[0]}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && typeof err.path === 'string') {
      io.err(`tunelab ${name}: ${err.code === 'ENOENT' ? 'no such file' : err.code}: ${err.path}\n`);
      return 2;
    }
    io.err(`tunelab ${name}: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 2;
  }
}
