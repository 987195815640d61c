import { UsageError, type CliCommand } from '../command';

export const lspCommand: CliCommand = {
  name: 'lsp',
  summary: 'Start the language server (for Neovim, Helix, Emacs, ...)',
  usage: 'Usage: tunelab lsp --stdio',
  async run() {
    throw new UsageError('not implemented yet');
  },
};
