import { UsageError, type CliCommand } from '../command';

export const inspectCommand: CliCommand = {
  name: 'inspect',
  summary: 'Dataset statistics and the loss-mask view of one record',
  usage: 'Usage: tunelab inspect DATASET [--config CONFIG] [--model DIR] [--record N] [--format text|json]',
  async run() {
    throw new UsageError('not implemented yet');
  },
};
