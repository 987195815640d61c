import { UsageError, type CliCommand } from '../command';

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'Fine-tune a model from a config',
  usage: 'Usage: tunelab train CONFIG [--max-steps N] [--output DIR] [--backend auto|wasm|webgpu|tensorflow] [--json] [--resume]',
  async run() {
    throw new UsageError('not implemented yet');
  },
};
