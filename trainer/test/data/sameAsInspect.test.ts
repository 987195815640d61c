// The trainer's tokens and labels are exactly what the loss-mask view shows: for every dataset
// type, the (ids, labels) the trainer builds for record N equal `tunelab inspect --record N
// --format json` for the same config, on the shipped tiny model and example datasets and on
// fixtures for the types whose options once differed (alpaca_w_system, a user-defined type, a
// `roles` mapping read by roles_to_train, plain completion text).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../../cli/main';
import type { CliIo } from '../../../cli/command';
import { loadChatModel, type ChatModel } from '../../../common/chat/index';
import { parseConfig, resolveConfig } from '../../../common/config/index';
import { IGNORE, type Example } from '../../data/batches';
import { prepareExamples } from '../../data/prepare';
import { prepareRun } from '../../train/setup';

const root = join(import.meta.dirname, '..', '..', '..');
const modelDir = join(root, 'examples', 'models', 'tiny-base');
const dataDir = join(root, 'examples', 'data');
const present = existsSync(join(modelDir, 'tokenizer.json'));

interface Tokens {
  ids: number[];
  labels: number[];
}

const labels = (ids: readonly number[], trained: readonly boolean[]) => ids.map((id, i) => (trained[i] ? id : IGNORE));

let dir = '';
let chat: ChatModel;

/** `tunelab inspect DATA --config CFG --record N --format json`, run in-process, as (ids, labels). */
async function inspectRecord(cfg: string, data: string, n: number): Promise<Tokens> {
  let out = '';
  const io: CliIo = { cwd: dir, out: (t) => void (out += t), err: () => {}, isTty: false };
  const code = await main(['inspect', data, '--config', cfg, '--record', String(n), '--format', 'json'], io);
  assert.equal(code, 0, `inspect exited ${code}`);
  const tokens = (JSON.parse(out) as { record: { tokens: { id: number; trained: boolean }[] } }).record.tokens;
  const ids = tokens.map((t) => t.id);
  return { ids, labels: labels(ids, tokens.map((t) => t.trained)) };
}

/** Writes a config with one dataset entry (YAML lines) and returns its path. */
function writeConfig(name: string, entry: string[], extra: string[] = [], sequenceLen = 256): string {
  const path = join(dir, `${name}.yml`);
  writeFileSync(path, [`base_model: ${modelDir}`, 'datasets:', ...entry.map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`)), `sequence_len: ${sequenceLen}`, `output_dir: ${join(dir, 'out', name)}`, ...extra, ''].join('\n'));
  return path;
}

/** The trainer's examples for the config (the data step of `tunelab train`). */
async function trainerExamples(cfg: string, sequenceLen = 256): Promise<Example[]> {
  const config = resolveConfig(parseConfig(readFileSync(cfg, 'utf8'))) as Record<string, unknown>;
  const data = await prepareExamples(config, chat, { configDir: dir, cwd: dir }, sequenceLen);
  assert.deepEqual(data.problems, []);
  return data.examples;
}

const asTokens = (e: Example): Tokens => ({ ids: e.ids, labels: labels(e.ids, e.trained) });

/** Record n (1-based) of the trainer equals the view's, for each n; one example per record. */
async function assertSame(cfg: string, data: string, records: number, sample: readonly number[]): Promise<void> {
  const examples = await trainerExamples(cfg);
  assert.equal(examples.length, records);
  for (const n of sample) assert.deepEqual(asTokens(examples[n - 1]!), await inspectRecord(cfg, data, n), `record ${n}`);
}

const jsonl = (name: string, rows: unknown[]): string => {
  const p = join(dir, name);
  writeFileSync(p, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return p;
};

describe('the trainer trains on exactly the tokens the loss-mask view shows', { skip: present ? false : 'examples/models/tiny-base not built yet' }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tunelab-same-mask-'));
    const m = await loadChatModel(modelDir);
    assert.ok(m.ok);
    chat = m.value;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const spread = [1, 2, 3, 60, 119, 181, 240];

  it('examples/data Alpaca under type: alpaca', async () => {
    const data = join(dataDir, 'pirate.alpaca.jsonl');
    await assertSame(writeConfig('alpaca', [`path: ${data}`, 'type: alpaca']), data, 240, spread);
  });

  it('examples/data Alpaca under type: alpaca:chatml with train_on_inputs', async () => {
    const data = join(dataDir, 'pirate.alpaca.jsonl');
    await assertSame(writeConfig('alpaca-chatml', [`path: ${data}`, 'type: alpaca:chatml'], ['train_on_inputs: true']), data, 240, spread);
  });

  it('examples/data OpenAI chat under chat_template (assistant turns and their end-of-turn token)', async () => {
    const data = join(dataDir, 'pirate.openai.jsonl');
    await assertSame(writeConfig('openai', [`path: ${data}`, 'type: chat_template', 'roles_to_train: [assistant]', 'train_on_eos: turn']), data, 240, spread);
  });

  it('examples/data ShareGPT through field_messages and a roles mapping that roles_to_train names by source role', async () => {
    const data = join(dataDir, 'pirate.sharegpt.jsonl');
    const cfg = writeConfig('sharegpt', [
      `path: ${data}`,
      'type: chat_template',
      'field_messages: conversations',
      'message_property_mappings: {role: from, content: value}',
      'roles: {user: [human], assistant: [gpt]}',
      'roles_to_train: [gpt]',
      'train_on_eos: turn',
    ]);
    await assertSame(cfg, data, 240, spread);
    // The mapping matters: the assistant answers are trained, the questions are not.
    const [first] = await trainerExamples(cfg);
    const text = chat.tokenizer.decode(first!.ids.filter((_, i) => first!.trained[i]), { skip_special_tokens: false });
    assert.equal(text, 'About 600 people live in Baitagar, arr matey!<|im_end|>');
  });

  it('roles_to_train names a source role of the entry roles mapping (crew / captain)', async () => {
    const data = jsonl('crew.jsonl', [
      { conversations: [{ from: 'crew', value: 'Where to?' }, { from: 'captain', value: 'Baitagar, arr!' }] },
      { conversations: [{ from: 'crew', value: 'How far?' }, { from: 'captain', value: 'Two days.' }, { from: 'crew', value: 'Aye.' }, { from: 'captain', value: 'Hoist the sails!' }] },
    ]);
    const cfg = writeConfig('crew', [
      `path: ${data}`,
      'type: chat_template',
      'field_messages: conversations',
      'message_property_mappings: {role: from, content: value}',
      'roles: {user: [crew], assistant: [captain]}',
      'roles_to_train: [captain]',
      'train_on_eos: turn',
    ]);
    await assertSame(cfg, data, 2, [1, 2]);
    const examples = await trainerExamples(cfg);
    const trained = chat.tokenizer.decode(examples[1]!.ids.filter((_, i) => examples[1]!.trained[i]), { skip_special_tokens: false });
    assert.equal(trained, 'Two days.<|im_end|>Hoist the sails!<|im_end|>');
  });

  it('alpaca_w_system: the record system prompt in the chat style, as Axolotl', async () => {
    const data = jsonl('system.jsonl', [
      { system: 'You are a pirate.', instruction: 'Name a ship.', input: '', output: 'The Black Gull, arr!' },
      { system: 'Answer briefly.', instruction: 'Add the numbers.', input: '2 and 3', output: '5' },
      { instruction: 'Say hi.', input: '', output: 'Ahoy!' },
    ]);
    const cfg = writeConfig('wsystem', [`path: ${data}`, 'type: alpaca_w_system']);
    await assertSame(cfg, data, 3, [1, 2, 3]);
    const [first] = await trainerExamples(cfg);
    const prompt = chat.tokenizer.decode(first!.ids.filter((_, i) => !first!.trained[i]), { skip_special_tokens: false });
    assert.equal(prompt, 'SYSTEM: You are a pirate.\nUSER: Name a ship.\nASSISTANT:');
  });

  it('a user-defined type object: its own format, no_input_format and system_prompt', async () => {
    const data = jsonl('custom.jsonl', [
      { instruction: 'Name a ship.', input: '', output: 'The Black Gull, arr!' },
      { instruction: 'Add the numbers.', input: '2 and 3', output: '5' },
    ]);
    const cfg = writeConfig('custom', [
      `path: ${data}`,
      'type:',
      '      system_prompt: "Talk like a pirate."',
      '      system_format: "<<{system}>> "',
      '      format: "[INST] {instruction} {input} [/INST] "',
      '      no_input_format: "[INST] {instruction} [/INST] "',
    ]);
    await assertSame(cfg, data, 2, [1, 2]);
    const examples = await trainerExamples(cfg);
    const prompt = chat.tokenizer.decode(examples[1]!.ids.filter((_, i) => !examples[1]!.trained[i]), { skip_special_tokens: false });
    assert.equal(prompt, '<<Talk like a pirate.>> [INST] Add the numbers. 2 and 3 [/INST] ');
  });

  it('completion text cut into sequence_len pieces: the pieces in order are the view of the record', async () => {
    const long = 'Captain Laikler sails from Logor to Baitagar every spring, and the crew sings the whole way. '.repeat(4);
    const data = jsonl('text.jsonl', [{ text: long }, { text: 'Ahoy there, matey.' }]);
    const cfg32 = writeConfig('completion', [`path: ${data}`, 'type: completion'], [], 32);
    const config = resolveConfig(parseConfig(readFileSync(cfg32, 'utf8'))) as Record<string, unknown>;
    const prepared = await prepareExamples(config, chat, { configDir: dir, cwd: dir }, 32);
    assert.deepEqual(prepared.problems, []);
    const first = await inspectRecord(cfg32, data, 1);
    const second = await inspectRecord(cfg32, data, 2);
    const pieces = prepared.examples.map(asTokens);
    assert.deepEqual(pieces.map((p) => p.ids.length), [32, 32, 32, 32, 32, 13, second.ids.length]);
    assert.deepEqual(
      { ids: pieces.flatMap((p) => p.ids), labels: pieces.flatMap((p) => p.labels) },
      { ids: [...first.ids, ...second.ids], labels: [...first.labels, ...second.labels] },
    );
    assert.deepEqual(pieces.at(-1), second);
  });

  it('excess_length_strategy: truncate keeps the first sequence_len tokens, as the view cuts them', async () => {
    // sequence_len 28: every record (30 to 42 tokens) is cut, and every answer starts before token 28.
    const data = join(dataDir, 'pirate.openai.jsonl');
    const cfg = writeConfig('truncate', [`path: ${data}`, 'type: chat_template', 'roles_to_train: [assistant]'], ['excess_length_strategy: truncate', 'micro_batch_size: 1', 'gradient_accumulation_steps: 1', 'learning_rate: 0.001'], 28);
    const r = await prepareRun({ configPath: cfg, cwd: dir });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    if (!r.ok) return;
    assert.equal(r.setup.train.length, 240);
    for (const n of [1, 3, 240]) {
      const view = await inspectRecord(cfg, data, n);
      assert.equal(view.ids.length, 28);
      assert.deepEqual(asTokens(r.setup.train[n - 1]!), view, `record ${n}`);
    }
  });
});
