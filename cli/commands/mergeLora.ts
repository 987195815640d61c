import { UsageError, type CliCommand } from '../command';

export const mergeLoraCommand: CliCommand = {
  name: 'merge-lora',
  summary: 'Merge a LoRA adapter into its base model',
  usage: 'Usage: tunelab merge-lora --base DIR --adapter DIR --out DIR',
  async run() {
    throw new UsageError('not implemented yet');
  },
};
