// Writes schemas/axolotl-config.schema.json from the config core's key tables (the same data the
// language service validates with), for yaml-language-server and VS Code's `yamlValidation`.
// Run: npx tsx scripts/gen-schema.ts [--check]   (--check: exit 1 when the file is stale)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../common/config/index';
import { writeFileAtomic } from '../common/fsAtomic';

const out = join(fileURLToPath(new URL('..', import.meta.url)), 'schemas', 'axolotl-config.schema.json');
const text = JSON.stringify(configJsonSchema(), null, 2) + '\n';
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current !== text) {
    console.error(`${out} is stale: run npx tsx scripts/gen-schema.ts`);
    process.exit(1);
  }
  process.exit(0);
}
// Temp file and rename: a reader never sees half a schema.
writeFileAtomic(out, text);
console.log(`wrote ${out} (${text.length} bytes)`);
