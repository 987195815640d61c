// The trainer's data step beyond the tokens themselves: what it refuses per dataset entry, and the
// record it keeps for evaluation prompts carrying the entry's own prompt format.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decode, loadChatModel, type ChatModel } from '../../../common/chat/index';
import { prepareExamples } from '../../data/prepare';
import { promptOf } from '../../train/evalRun';

const root = join(import.meta.dirname, '..', '..', '..');
const modelDir = join(root, 'examples', 'models', 'tiny-base');
const present = existsSync(join(modelDir, 'tokenizer.json'));

let dir = '';
let chat: ChatModel;
let data = '';

describe('prepareExamples', { skip: present ? false : 'examples/models/tiny-base not built yet' }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tunelab-prepare-'));
    data = join(dir, 'a.jsonl');
    writeFileSync(data, [{ system: 'Answer briefly.', instruction: 'Add the numbers.', input: '2 and 3', output: '5' }].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const m = await loadChatModel(modelDir);
    assert.ok(m.ok);
    chat = m.value;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const bases = () => ({ configDir: dir, cwd: dir });

  it('a dataset type the chat core cannot build is refused once, naming the entry', async () => {
    const r = await prepareExamples({ datasets: [{ path: data, type: 'alpaca' }, { path: data, type: 'oasst' }] }, chat, bases(), 256);
    assert.deepEqual(r.problems, [
      {
        code: 'trainer-dataset-type-unsupported',
        message:
          'datasets[1].type "oasst" is not one Tunelab can train on: use chat_template, alpaca (alpaca:chat, alpaca:chatml, alpaca:phi), alpaca_w_system, completion, or a user-defined type object',
      },
    ]);
    assert.deepEqual(r.datasets, [{ path: data, records: 1, examples: 1, weight: null, lossWeight: 1 }]);
  });

  it('evaluation prompts use the entry prompt format (user-defined type, alpaca_w_system)', async () => {
    const custom = { system_prompt: 'Talk like a pirate.', system_format: '<<{system}>> ', format: '[INST] {instruction} {input} [/INST] ', no_input_format: '[INST] {instruction} [/INST] ' };
    const r = await prepareExamples({ datasets: [{ path: data, type: custom }, { path: data, type: 'alpaca_w_system' }] }, chat, bases(), 256);
    assert.deepEqual(r.problems, []);
    const prompts = r.examples.map((e) => {
      const p = promptOf(chat, e);
      assert.ok(p);
      return { text: decode(chat, p.ids), display: p.display, reference: p.reference };
    });
    assert.deepEqual(prompts, [
      // The record's own system text wins over system_prompt, as in Axolotl.
      { text: '<<Answer briefly.>> [INST] Add the numbers. 2 and 3 [/INST] ', display: 'Add the numbers.\n2 and 3', reference: '5' },
      { text: 'SYSTEM: Answer briefly.\nUSER: Add the numbers.\n2 and 3\nASSISTANT:', display: 'Add the numbers.\n2 and 3', reference: '5' },
    ]);
    // The prompt is exactly the masked prefix the model is trained after.
    for (const [i, e] of r.examples.entries()) assert.equal(decode(chat, e.ids.slice(0, e.trained.indexOf(true))).trimEnd(), prompts[i]!.text.trimEnd());
  });
});
