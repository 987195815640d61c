import { UsageError, type CliCommand } from '../command';

export const generateCommand: CliCommand = {
  name: 'generate',
  summary: 'Generate text from a model (and adapter)',
  usage: 'Usage: tunelab generate --model DIR [--adapter DIR] [--chat] PROMPT',
  async run() {
    throw new UsageError('not implemented yet');
  },
};
