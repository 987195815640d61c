import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from 'vscode-languageserver-types';
import { parseConfig, validateConfig } from '../../common/config/index';
import { configCodeActions } from '../services/configActions';
import { setTopLevelKey, removeTopLevelKey, addSiblingKeys } from '../services/yamlEdits';
import { applyEdits, applyWorkspaceEdit, docOf } from './fixtures';

/** Every quick fix for the config's diagnostics, as [title, code, text after applying it]. */
function fixes(text: string): [string, string, string][] {
  const doc = docOf(text);
  const cfg = parseConfig(text);
  const ds = validateConfig(cfg, { skipPathChecks: true });
  return configCodeActions(doc, cfg, ds).map((a) => [a.title, String(a.diagnostics![0]!.code), applyWorkspaceEdit(doc, a.edit)]);
}

const fixFor = (text: string, code: string) => {
  const all = fixes(text).filter((f) => f[1] === code);
  assert.equal(all.length, 1, `one fix for ${code}, got ${JSON.stringify(all)}`);
  return all[0]!;
};

const BASE = 'base_model: NousResearch/Meta-Llama-3-8B\nmicro_batch_size: 2\ngradient_accumulation_steps: 4\nlearning_rate: 0.0002\ndatasets:\n  - path: tatsu-lab/alpaca\n    type: alpaca\n';

test('a misspelt key is renamed to the suggestion', () => {
  assert.deepEqual(fixFor(BASE + 'lora_rnak: 8\n', 'config-unknown-key'), ["Rename to 'lora_r'", 'config-unknown-key', BASE + 'lora_r: 8\n']);
});

test('QLoRA without 4-bit loading gets `load_in_4bit: true` added right after the adapter', () => {
  const text = BASE.replace('learning_rate', 'adapter: qlora\nlearning_rate');
  assert.deepEqual(fixFor(text, 'config-qlora-needs-4bit'), [
    "Add 'load_in_4bit: true'",
    'config-qlora-needs-4bit',
    BASE.replace('learning_rate', 'adapter: qlora\nload_in_4bit: true\nlearning_rate'),
  ]);
});

test('QLoRA with `load_in_4bit: false` gets the existing value set to true, nothing else touched', () => {
  const text = BASE + 'adapter: qlora\nload_in_4bit: false  # was 8-bit\n';
  assert.deepEqual(fixFor(text, 'config-qlora-needs-4bit')[2], BASE + 'adapter: qlora\nload_in_4bit: true  # was 8-bit\n');
});

test('the removed dataset type sharegpt becomes chat_template with the ShareGPT mappings in the same entry', () => {
  const text = BASE.replace('tatsu-lab/alpaca\n    type: alpaca', 'data/chat.json\n    type: sharegpt\n    split: train');
  assert.deepEqual(fixFor(text, 'config-removed-dataset-type'), [
    "Replace with 'chat_template' and add field_messages, message_property_mappings",
    'config-removed-dataset-type',
    BASE.replace(
      'tatsu-lab/alpaca\n    type: alpaca',
      'data/chat.json\n    type: chat_template\n    field_messages: conversations\n    message_property_mappings:\n      role: from\n      content: value\n    split: train',
    ),
  ]);
});

test('a legacy attention flag becomes attn_implementation', () => {
  assert.deepEqual(fixFor(BASE + 'flash_attention: true\n', 'config-deprecated-key')[2], BASE + 'attn_implementation: flash_attention_2\n');
});

test('a missing required key is added', () => {
  const text = BASE.replace('learning_rate: 0.0002\n', '');
  assert.deepEqual(fixFor(text, 'config-missing-key'), ["Add 'learning_rate: 0.0002'", 'config-missing-key', text.replace('base_model: NousResearch/Meta-Llama-3-8B\n', 'base_model: NousResearch/Meta-Llama-3-8B\nlearning_rate: 0.0002\n')]);
});

test('diagnostics of other sources and without data get no action', () => {
  const doc = docOf(BASE);
  const d: Diagnostic = { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 4 } }, message: 'x', source: 'other', data: { replaceKeyWith: 'y' } };
  assert.deepEqual(configCodeActions(doc, parseConfig(BASE), [d, { ...d, source: 'tunelab', data: undefined }]), []);
});

test('fit suggestions of memory-exceeds-gpu become "Make it fit" actions that set and remove keys', () => {
  const doc = docOf(BASE + 'adapter: lora\nload_in_8bit: true\n');
  const cfg = parseConfig(doc.getText());
  const d: Diagnostic = {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 10 } },
    message: 'too big',
    source: 'tunelab',
    code: 'memory-exceeds-gpu',
    data: {
      suggestions: [
        { label: 'QLoRA', detail: '', patch: { adapter: 'qlora', load_in_4bit: true, load_in_8bit: null }, perGpu: 7 * 2 ** 30, fits: true },
        { label: 'micro_batch_size 1', detail: '', patch: { micro_batch_size: 1 }, perGpu: 30 * 2 ** 30, fits: false },
      ],
    },
  };
  const actions = configCodeActions(doc, cfg, [d]);
  assert.deepEqual(actions.map((a) => a.title), ['Make it fit: QLoRA (≈ 7.0 GiB per GPU)']);
  assert.equal(applyWorkspaceEdit(doc, actions[0]!.edit), BASE.replace('base_model: NousResearch/Meta-Llama-3-8B\n', 'base_model: NousResearch/Meta-Llama-3-8B\nload_in_4bit: true\n') + 'adapter: qlora\n');
});

test('setTopLevelKey: replaces block values, keeps CRLF, and writes into an empty document', () => {
  const text = 'base_model: m\r\nlora_target_modules:\r\n  - q_proj\r\n  - v_proj\r\nlora_r: 8\r\n';
  const doc = docOf(text);
  assert.equal(applyEdits(doc, setTopLevelKey(doc, parseConfig(text), 'lora_target_modules', ['q_proj'])), 'base_model: m\r\nlora_target_modules:\r\n  - q_proj\r\nlora_r: 8\r\n');
  assert.equal(applyEdits(doc, setTopLevelKey(doc, parseConfig(text), 'adapter', 'lora', 0)), 'base_model: m\r\nadapter: lora\r\nlora_target_modules:\r\n  - q_proj\r\n  - v_proj\r\nlora_r: 8\r\n');
  const empty = docOf('');
  assert.equal(applyEdits(empty, setTopLevelKey(empty, parseConfig(''), 'base_model', 'org/model')), 'base_model: org/model\n');
  const noEol = docOf('# c\nbase_model: m');
  assert.equal(applyEdits(noEol, setTopLevelKey(noEol, parseConfig(noEol.getText()), 'adapter', 'lora', 5)), '# c\nbase_model: m\nadapter: lora');
  assert.equal(applyEdits(noEol, setTopLevelKey(noEol, parseConfig(noEol.getText()), 'hub_model_id', 'a: b')), '# c\nhub_model_id: "a: b"\nbase_model: m');
});

test('removeTopLevelKey removes the whole block; addSiblingKeys skips keys already there', () => {
  const text = 'base_model: m\nspecial_tokens:\n  pad_token: x\nlora_r: 8\n';
  const doc = docOf(text);
  assert.equal(applyEdits(doc, removeTopLevelKey(doc, parseConfig(text), 'special_tokens')), 'base_model: m\nlora_r: 8\n');
  const t2 = 'datasets:\n  - path: a\n    type: x\n    field_messages: m\n';
  const d2 = docOf(t2);
  assert.equal(
    applyEdits(d2, addSiblingKeys(d2, parseConfig(t2), t2.indexOf('x'), [{ key: 'field_messages', value: 'conversations' }, { key: 'split', value: 'train' }])),
    'datasets:\n  - path: a\n    type: x\n    split: train\n    field_messages: m\n',
  );
});
