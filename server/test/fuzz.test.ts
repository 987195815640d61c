/**
 * Random byte mutations of a valid config through every config service: none may throw, and each
 * answer must be well formed (ranges inside the document). A seeded generator keeps failures
 * reproducible; the seed and mutation are in the failure message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Range } from 'vscode-languageserver-types';
import { parseConfig, validateConfig } from '../../common/config/index';
import { configCodeActions } from '../services/configActions';
import { configCompletion, resolveCompletion } from '../services/configCompletion';
import { configEstimate } from '../services/configEstimate';
import { configHover } from '../services/configHover';
import { configCodeLenses } from '../services/configLenses';
import { configDocumentSymbols } from '../services/configSymbols';
import { docOf } from './fixtures';
import { mulberry32 } from '../../common/random';

const BASE = `base_model: meta-llama/Llama-2-7b-hf
# comment
adapter: qlora
load_in_4bit: true
lora_r: 16
lora_alpha: 32
lora_target_modules:
  - q_proj
  - v_proj
datasets:
  - path: data/train.jsonl
    type: chat_template
    field_messages: messages
    message_property_mappings: {role: role, content: content}
  - path: tatsu-lab/alpaca
    type: alpaca
sequence_len: 2048
micro_batch_size: 2
gradient_accumulation_steps: 4
learning_rate: 2e-4
special_tokens:
  pad_token: "<|end_of_text|>"
anchors: &a {x: 1}
again: *a
`;


const PIECES = [':', '-', ' ', '\n', '  ', '[', ']', '{', '}', '&', '*', '!', '|', '>', '"', "'", '#', '\t', '\u0000', '\ufeff', '?', ',', '%', '@', '`', 'é', '😀', '\r\n', 'datasets:', '- path: ', 'type: '];

function mutate(text: string, r: () => number): string {
  let t = text;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (t.length + 1));
    const op = r();
    if (op < 0.4) t = t.slice(0, at) + PIECES[Math.floor(r() * PIECES.length)] + t.slice(at);
    else if (op < 0.7) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(r() * 8));
    else if (op < 0.85) t = t.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x3000)) + t.slice(at + 1);
    else {
      const from = Math.floor(r() * t.length);
      t = t.slice(0, at) + t.slice(from, from + Math.floor(r() * 40)) + t.slice(at);
    }
  }
  return t;
}

function inside(r: Range, lines: number): boolean {
  return r.start.line >= 0 && r.end.line <= lines && (r.start.line < r.end.line || r.start.character <= r.end.character);
}

test('1,000 mutated configs through every config service: no throw, well-formed answers', () => {
  const seed = 20260;
  const r = mulberry32(seed);
  for (let i = 0; i < 1000; i++) {
    const text = mutate(BASE, r);
    const where = `seed ${seed}, case ${i}: ${JSON.stringify(text.slice(0, 80))}…`;
    const doc = docOf(text);
    const lines = doc.lineCount;
    try {
      const cfg = parseConfig(text);
      const ds = validateConfig(cfg, { skipPathChecks: true });
      for (const d of ds) assert.ok(inside(d.range, lines), `diagnostic range outside the text (${where})`);
      for (const a of configCodeActions(doc, cfg, ds)) {
        for (const e of a.edit?.changes?.[doc.uri] ?? []) assert.ok(inside(e.range, lines), `edit outside the text (${where})`);
      }
      const pos = doc.positionAt(Math.floor(r() * (text.length + 1)));
      const list = configCompletion(doc, cfg, pos, { snippets: true, workspaceRoots: [], listDir: () => null });
      for (const item of list.items.slice(0, 5)) resolveCompletion(item);
      configHover(doc, cfg, pos);
      configDocumentSymbols(doc, cfg, true);
      configCodeLenses(doc, cfg, configEstimate(doc, cfg, {}));
    } catch (e) {
      assert.fail(`${(e as Error).stack} (${where})`);
    }
  }
});
