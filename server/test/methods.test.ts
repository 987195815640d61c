/** Completion and hover of Tunelab's methods and keys (the config core's schema through the server's services). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Hover } from 'vscode-languageserver-types';
import { parseConfig } from '../../common/config/index';
import { configCompletion, resolveCompletion, type CompletionEnv } from '../services/configCompletion';
import { configHover } from '../services/configHover';
import { withCursor } from './fixtures';

const noFs: CompletionEnv = { snippets: true, workspaceRoots: [], listDir: () => null };

function hoverText(marked: string): string {
  const f = withCursor(marked);
  const h = configHover(f.doc, parseConfig(f.text), f.position) as Hover;
  return (h.contents as { value: string }).value;
}

test('adapter completion offers the Tunelab methods, marked, with their docs', () => {
  const f = withCursor('base_model: m\nadapter: |\n');
  const items = configCompletion(f.doc, parseConfig(f.text), f.position, noFs).items;
  assert.deepEqual(items.map((i) => i.label), ['lora', 'qlora', 'llama-adapter', 'prefix', 'prompt', 'ia3', 'bottleneck']);
  const prefix = items.find((i) => i.label === 'prefix')!;
  assert.match((prefix.documentation as { value: string }).value, /^Prefix tuning: learned keys and values prepended to every layer's attention/);
});

test('key completion offers the Tunelab keys; their documentation says Axolotl ignores them', () => {
  const f = withCursor('base_model: m\nadapter: prefix\npeft_num|\n');
  const items = configCompletion(f.doc, parseConfig(f.text), f.position, noFs).items;
  const item = items.find((i) => i.label === 'peft_num_virtual_tokens');
  assert.ok(item, items.map((i) => i.label).join(', '));
  const doc = (resolveCompletion(item).documentation as { value: string }).value;
  assert.match(doc, /Tunelab key: read by Tunelab's built-in trainer, ignored by Axolotl/);
  assert.match(doc, /When unset: 20/);
});

test('hover on a Tunelab key and on a Tunelab adapter value', () => {
  const key = hoverText('base_model: m\newc_la|mbda: 10\n');
  assert.match(key, /^\*\*ewc_lambda\*\* · `float`\n\nElastic weight consolidation/);
  assert.match(key, /Tunelab key: read by Tunelab's built-in trainer, ignored by Axolotl/);
  const value = hoverText('base_model: m\nadapter: bottle|neck\n');
  assert.match(value, /^`adapter: bottleneck` — Bottleneck adapters \(Houlsby \/ Pfeiffer\)/);
  assert.match(value, /- `bottleneck` \*\(Tunelab only\)\* — /);
  const weight = hoverText('base_model: m\ndatasets:\n  - path: d\n    wei|ght: 2\n');
  assert.match(weight, /^\*\*weight\*\* · `float`\n\nMixing ratio: this dataset's share/);
});
