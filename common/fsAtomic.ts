import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** What {@link writeFileAtomic} writes: text (UTF-8), bytes, or a list of either written in order. */
export type AtomicData = string | Uint8Array | readonly (string | Uint8Array)[];

/** Options for {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Create the file's folder (and its parents) first. */
  mkdir?: boolean;
  /** fsync the temporary file before the rename, so a power cut leaves the old or the new file (model files). */
  fsync?: boolean;
}

/**
 * Writes a whole file or nothing: the data goes to a temporary name in the same folder (so the
 * rename is atomic on one file system) and is renamed over `path`; on failure the temporary file is
 * removed and the error rethrown. Readers never see half a file (house rule).
 */
export function writeFileAtomic(path: string, data: AtomicData, opts: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  if (opts.mkdir) mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const parts = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    for (const part of parts) {
      const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
      let at = 0;
      while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    }
    if (opts.fsync) fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}
