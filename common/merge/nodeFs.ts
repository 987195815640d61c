/**
 * The merge checks' file-system hook on Node's fs, for the CLI and the server (not re-exported
 * from index.ts, so the core stays free of I/O): existence, and small JSON files (a model's
 * config.json, adapter_config.json) parsed, undefined when absent, huge or broken.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { MergeFileSystem } from './types';

const MAX_JSON = 8 * 1024 * 1024;

export const nodeMergeFs: MergeFileSystem = {
  exists: (p) => existsSync(p),
  readJson(p) {
    try {
      const st = statSync(p);
      if (!st.isFile() || st.size > MAX_JSON) return undefined;
      return JSON.parse(readFileSync(p, 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  },
};
