import { UsageError, type CliCommand } from '../command';

export const estimateCommand: CliCommand = {
  name: 'estimate',
  summary: 'Parameters, memory per GPU and fit for a config',
  usage: 'Usage: tunelab estimate CONFIG [--gpus N] [--gpu-memory GB] [--format text|json]',
  async run() {
    throw new UsageError('not implemented yet');
  },
};
