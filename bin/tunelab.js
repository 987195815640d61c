#!/usr/bin/env node
// The `tunelab` executable: runs the bundled CLI that `npm install` (prepare) builds.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/cli/tunelab.mjs', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('tunelab: the CLI is not built; run `npm install` or `npm run build` in the repository root\n');
  process.exit(2);
}
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
