#!/usr/bin/env node
// One esbuild script for every bundle. Entry points are discovered, not listed by hand:
//   client/extension.ts   -> dist/client/extension.cjs  (VS Code extension host, CommonJS)
//   server/main.ts        -> dist/server/server.cjs     (language server, CommonJS, IPC or stdio)
//   cli/main.ts           -> dist/cli/tunelab.mjs       (the `tunelab` command, also the trainer subprocess)
//   webviews/<name>/main.ts -> dist/webviews/<name>.js  (browser IIFE)
// tfjs' wasm binaries are copied next to the bundles (dist/wasm/) so the trainer finds them
// without node_modules (the .vsix ships dist/ only).
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const production = process.argv.includes('--production');
const at = (p) => join(root, p);

/** Native or optional packages that are never bundled; loaded at run time if the user has them. */
const optionalNative = ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: quiet ? 'error' : 'warning',
  legalComments: 'none',
};

const node = { ...common, platform: 'node', target: 'node20' };

const jobs = [];
if (existsSync(at('client/extension.ts'))) {
  jobs.push(build({ ...node, entryPoints: [at('client/extension.ts')], outfile: at('dist/client/extension.cjs'), format: 'cjs', external: ['vscode'] }));
}
if (existsSync(at('server/main.ts'))) {
  jobs.push(build({ ...node, entryPoints: [at('server/main.ts')], outfile: at('dist/server/server.cjs'), format: 'cjs' }));
}
if (existsSync(at('cli/main.ts'))) {
  jobs.push(
    build({
      ...node,
      entryPoints: [at('cli/main.ts')],
      outfile: at('dist/cli/tunelab.mjs'),
      format: 'esm',
      external: optionalNative,
      // Some CommonJS dependencies call require() or read __dirname / __filename (tfjs-backend-wasm's
      // Emscripten loader in Node); give the ESM bundle all three.
      banner: {
        js:
          "import { createRequire as __tunelabCreateRequire } from 'node:module'; const require = __tunelabCreateRequire(import.meta.url);" +
          " import { fileURLToPath as __tunelabFileUrlToPath } from 'node:url'; import { dirname as __tunelabDirname } from 'node:path';" +
          ' const __filename = __tunelabFileUrlToPath(import.meta.url); const __dirname = __tunelabDirname(__filename);',
      },
    }),
  );
}
if (existsSync(at('webviews'))) {
  for (const name of readdirSync(at('webviews'))) {
    const entry = at(`webviews/${name}/main.ts`);
    if (!existsSync(entry)) continue;
    jobs.push(build({ ...common, platform: 'browser', target: 'es2022', format: 'iife', entryPoints: [entry], outfile: at(`dist/webviews/${name}.js`), loader: { '.css': 'text' } }));
  }
}

const wasmDir = at('node_modules/@tensorflow/tfjs-backend-wasm/dist');
if (existsSync(wasmDir)) {
  mkdirSync(at('dist/wasm'), { recursive: true });
  for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) cpSync(join(wasmDir, f), at(`dist/wasm/${f}`));
}

const started = Date.now();
await Promise.all(jobs);
if (!quiet) console.error(`built ${jobs.length} bundle(s) in ${Date.now() - started} ms`);
