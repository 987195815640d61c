import { UsageError, type CliCommand } from '../command';

export const evalCommand: CliCommand = {
  name: 'eval',
  summary: 'Evaluate a model or adapter on a dataset',
  usage: 'Usage: tunelab eval CONFIG [options]',
  async run() {
    throw new UsageError('not implemented yet');
  },
};
