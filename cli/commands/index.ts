import type { CliCommand } from '../command';
import { validateCommand } from './validate';
import { inspectCommand } from './inspect';
import { convertCommand } from './convert';
import { filterCommand } from './filter';
import { estimateCommand } from './estimate';
import { planCommand } from './plan';
import { lspCommand } from './lsp';
import { trainCommand } from './train';
import { evalCommand } from './eval';
import { mergeLoraCommand } from './mergeLora';
import { mergeCommand } from './merge';
import { generateCommand } from './generate';
import { runsCommand } from './runs';
import { serveCommand } from './serve';
import { generateDataCommand } from './generateData';

/**
 * Every sub-command, in the order `tunelab --help` lists them. Add a command by writing
 * cli/commands/<name>.ts and one line here.
 */
export const commands: CliCommand[] = [
  validateCommand,
  inspectCommand,
  convertCommand,
  filterCommand,
  estimateCommand,
  planCommand,
  lspCommand,
  trainCommand,
  runsCommand,
  evalCommand,
  mergeLoraCommand,
  mergeCommand,
  generateCommand,
  serveCommand,
  generateDataCommand,
];
