import { UsageError, type CliCommand } from '../command';

export const planCommand: CliCommand = {
  name: 'plan',
  summary: 'Fine-tune or prompt? A recommendation with a cost comparison',
  usage: 'Usage: tunelab plan [options]',
  async run() {
    throw new UsageError('not implemented yet');
  },
};
