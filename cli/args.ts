import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest } from '../common/dataset/suggest';
import { UsageError } from './command';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `node:util` parseArgs in strict mode, with its errors turned into UsageError (exit 2, one line).
 */
export function parse<O extends Options>(args: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(unknownOptionMessage(err.message, Object.keys(options)));
    throw new UsageError(err.message);
  }
}

/**
 * Node's unknown-option text explains positionals after '--', which is beside the point for a
 * misspelt flag; name the option and the nearest known one instead.
 */
function unknownOptionMessage(nodeMessage: string, known: readonly string[]): string {
  const typed = /Unknown option '([^']+)'/.exec(nodeMessage)?.[1];
  if (typed === undefined) return nodeMessage;
  const name = typed.replace(/^-+/, '').split('=')[0]!;
  const near = closest(name, known) ?? known.find((k) => k.length >= 3 && (name.startsWith(k) || k.startsWith(name)));
  return `unknown option '${typed}'${near ? `: did you mean '--${near}'?` : ''} (see --help)`;
}

/** Parses a numeric option; undefined stays undefined, anything else must be a finite number. */
export function numberOption(name: string, value: string | undefined, { integer = false, min = -Infinity } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}, got '${value}'`);
  }
  return n;
}

/** Checks --format against the allowed values. */
export function formatOption<F extends string>(value: string | undefined, allowed: readonly F[], fallback: F): F {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--format must be one of ${allowed.join(', ')}, got '${value}'`);
  return value as F;
}
