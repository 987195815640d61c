/**
 * The services over the real Axolotl configs in ../shared/corpus/axolotl-examples (skipped when
 * the corpus is absent): every quick fix applies cleanly and never breaks the YAML, hover works on
 * every top-level key, the outline covers every top-level key, and no service throws.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfig, validateConfig } from '../../common/config/index';
import { configCodeActions } from '../services/configActions';
import { configHover } from '../services/configHover';
import { configDocumentSymbols } from '../services/configSymbols';
import { applyWorkspaceEdit, docOf } from './fixtures';
import { axolotlExamples, filesUnder, missingCorpus, YAML_FILE } from '../../common/test/corpus';

const corpus = axolotlExamples;

const syntaxCodes = (text: string) => parseConfig(text).parseDiagnostics.filter((d) => d.severity === 1).map((d) => String(d.code));

test('quick fixes, hover and outline over the Axolotl example configs', { skip: missingCorpus(corpus) }, () => {
  let fixes = 0;
  const files = filesUnder(corpus, YAML_FILE);
  assert.ok(files.length > 200);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const doc = docOf(text, `file://${file}`);
    const cfg = parseConfig(text);
    const before = syntaxCodes(text);
    const ds = validateConfig(cfg, { skipPathChecks: true });
    for (const a of configCodeActions(doc, cfg, ds)) {
      const after = applyWorkspaceEdit(doc, a.edit);
      assert.notEqual(after, text, `${file}: "${a.title}" changes nothing`);
      assert.deepEqual(syntaxCodes(after), before, `${file}: "${a.title}" breaks the YAML:\n${after}`);
      fixes++;
    }
    const symbols = configDocumentSymbols(doc, cfg, true) as { name: string }[];
    const root = cfg.value && typeof cfg.value === 'object' ? Object.keys(cfg.value as object) : [];
    assert.deepEqual(symbols.map((s) => s.name).sort(), [...root].sort(), file);
    for (const line of text.split('\n').map((l, i) => [l, i] as const).filter(([l]) => /^[a-z_]+:/.test(l))) {
      configHover(doc, cfg, { line: line[1], character: 1 });
    }
  }
  assert.ok(fixes > 0);
});
