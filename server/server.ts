import { createConnection, ProposedFeatures, TextDocuments, type Connection } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';

/**
 * Wires the pure language services to a vscode-languageserver connection. With no argument the
 * transport is chosen from the command line (`--stdio`, `--node-ipc`), as vscode-languageserver does.
 */
export function startServer(connection: Connection = createConnection(ProposedFeatures.all)): Connection {
  const documents = new TextDocuments(TextDocument);
  connection.onInitialize(() => ({ capabilities: {} }));
  documents.listen(connection);
  connection.listen();
  return connection;
}
