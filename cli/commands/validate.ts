import { UsageError, type CliCommand } from '../command';

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'Check fine-tuning configs and datasets (files or folders)',
  usage: 'Usage: tunelab validate [--format text|json] PATH...',
  async run() {
    throw new UsageError('not implemented yet');
  },
};
