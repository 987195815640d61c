import { UsageError, type CliCommand } from '../command';

export const convertCommand: CliCommand = {
  name: 'convert',
  summary: 'Convert a dataset between Alpaca, ShareGPT and OpenAI chat',
  usage: 'Usage: tunelab convert INPUT --to alpaca|sharegpt|openai --out OUTPUT',
  async run() {
    throw new UsageError('not implemented yet');
  },
};
