import { UsageError, type CliCommand } from '../command';
import { startServer } from '../../server/index';

const TRANSPORTS = ['--stdio', '--node-ipc'];

export const lspCommand: CliCommand = {
  name: 'lsp',
  summary: 'Start the language server (for Neovim, Helix, Emacs, ...)',
  usage: `Usage: tunelab lsp --stdio

Starts the Tunelab language server: diagnostics, completion, hover, quick fixes, outline and
code lenses for fine-tuning configs (YAML) and datasets (JSONL / JSON). It speaks LSP on stdin /
stdout (--stdio), on a Node IPC channel (--node-ipc) or a socket (--socket=PORT), and runs until
the client sends exit. Settings (section "tunelab"): configFiles, maxDiagnostics, model,
gpuMemoryGb, gpus. See README.md for Neovim and Helix set-ups.`,
  async run(args) {
    const transport = args.find((a) => TRANSPORTS.includes(a) || /^--socket=\d+$/.test(a));
    if (!transport) throw new UsageError('choose a transport: --stdio (or --node-ipc, --socket=PORT)');
    const unknown = args.filter((a) => a !== transport && !a.startsWith('--clientProcessId') && !/^\d+$/.test(a));
    if (unknown.length) throw new UsageError(`unknown option '${unknown[0]}' (usage: tunelab lsp --stdio)`);
    // vscode-languageserver reads the transport from process.argv, where `--stdio` already is;
    // the connection ends the process itself on the client's `exit` notification.
    const connection = startServer();
    return new Promise<number>((resolve) => connection.onExit(() => resolve(0)));
  },
};
