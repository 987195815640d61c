import { fileURLToPath, pathToFileURL } from 'node:url';

/** The file-system path of a `file:` URI; null for other schemes (untitled:, vscode-notebook-cell:, ...). */
export function uriToPath(uri: string): string | null {
  if (!uri.startsWith('file:')) return null;
  try {
    return fileURLToPath(uri);
  } catch {
    return null;
  }
}

export const pathToUri = (p: string): string => pathToFileURL(p).href;

/** The file name's extension, lower-cased, with the dot ('' when none); works for any scheme. */
export function extensionOf(uri: string): string {
  const path = uri.replace(/[?#].*$/, '');
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}
