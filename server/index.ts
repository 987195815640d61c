/**
 * The public face of the language server, for the CLI (`tunelab lsp --stdio`) and server/main.ts.
 * Everything else under server/ is internal.
 */
export { startServer } from './server';
