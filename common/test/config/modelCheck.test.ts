/**
 * The model-aware config checks: a local base_model directory (built here from the chat-core
 * fixture models, with one file changed where a case needs it) seen through ConfigModelCheck.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver-types';
import { parseConfig, validateConfig, type ConfigEnv } from '../../config/index';
import { ConfigModelCheck, withModelCheck } from '../../config/modelCheck';

const CHAT = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'chat');
const TINY_BASE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'models', 'tiny-base');
const W = 2 as const;
const E = 1 as const;

/** A whole expected diagnostic: range "line:col-line:col" (0-based). */
function d(range: string, severity: 1 | 2, code: string, message: string, data?: unknown): Diagnostic {
  const [s, e] = range.split('-');
  const [sl, sc] = s!.split(':').map(Number);
  const [el, ec] = e!.split(':').map(Number);
  const out: Diagnostic = { range: { start: { line: sl!, character: sc! }, end: { line: el!, character: ec! } }, severity, code, source: 'tunelab', message };
  if (data !== undefined) out.data = data;
  return out;
}

const ws = mkdtempSync(join(tmpdir(), 'tunelab-modelcheck-'));
process.on('exit', () => rmSync(ws, { recursive: true, force: true }));

/** Copies a chat fixture model to `name`, with tokenizer_config.json fields overridden. */
function model(name: string, from: 'chatml' | 'llama3' | 'mistral', tokenizerConfig: Record<string, unknown> = {}): string {
  const dir = join(ws, name);
  cpSync(join(CHAT, from), dir, { recursive: true });
  const p = join(dir, 'tokenizer_config.json');
  writeFileSync(p, JSON.stringify({ ...(JSON.parse(readFileSync(p, 'utf8')) as object), ...tokenizerConfig }));
  return dir;
}

const BASE_CHATML = model('base-chatml', 'chatml', { eos_token: '<|endoftext|>' });
model('llama3-instruct', 'llama3');
model('mistral-instruct', 'mistral');
model('llama-3-named', 'chatml');
const NO_TOKENIZER = join(ws, 'no-tokenizer');
mkdirSync(NO_TOKENIZER);
cpSync(join(CHAT, 'mistral', 'config.json'), join(NO_TOKENIZER, 'config.json'));
writeFileSync(join(NO_TOKENIZER, 'tokenizer.model'), 'sentencepiece');
writeFileSync(join(ws, 'weights.gguf'), 'GGUF');
writeFileSync(join(ws, 'chat.jsonl'), '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}\n');

const HEAD = 'learning_rate: 0.0002\nmicro_batch_size: 2\ngradient_accumulation_steps: 4\nadapter: lora\nlora_target_linear: true\n';

/** Validates `text` as ws/config.yml the way the CLI does: the model is loaded first. */
async function check(text: string, models = new ConfigModelCheck()): Promise<Diagnostic[]> {
  const doc = parseConfig(text);
  const env: ConfigEnv = { configPath: join(ws, 'config.yml'), fileExists: existsSync, checkModel: models.check };
  await models.prepare(doc, env);
  return validateConfig(doc, env);
}

test('a base tokenizer (EOS <|endoftext|>) under ChatML: the end-of-turn token is never trained, at the dataset chat_template', async () => {
  const text = `base_model: ./base-chatml\n${HEAD}datasets:\n  - path: chat.jsonl\n    type: chat_template\n    chat_template: chatml\n`;
  assert.deepEqual(await check(text), [
    d('9:19-9:25', W, 'mask-eos-not-in-template', `With the model './base-chatml': the EOS token "<|endoftext|>" never appears in the chat template (chatml): check that the template and the tokenizer belong together.`),
    d('9:19-9:25', W, 'mask-turn-end-not-trained', `With the model './base-chatml': turns end with "<|im_end|>" but the EOS token is "<|endoftext|>" and eot_tokens does not list "<|im_end|>": the model never learns to end its turn (set eot_tokens: ["<|im_end|>"], or use a tokenizer whose eos_token is "<|im_end|>").`),
  ]);
  // eot_tokens fixes the turn end; the EOS remark stays, now the only finding.
  // The one-shot form (trainer): the same findings.
  assert.deepEqual(validateConfig(parseConfig(text), await withModelCheck(parseConfig(text), { configPath: join(ws, 'config.yml'), fileExists: existsSync })), await check(text));
  const fixed = `base_model: ./base-chatml\n${HEAD}eot_tokens: ["<|im_end|>"]\ndatasets:\n  - path: chat.jsonl\n    type: chat_template\n    chat_template: chatml\n`;
  assert.deepEqual(await check(fixed), [
    d('10:19-10:25', W, 'mask-eos-not-in-template', `With the model './base-chatml': the EOS token "<|endoftext|>" never appears in the chat template (chatml): check that the template and the tokenizer belong together.`),
  ]);
});

test('train_on_eos: turn with the model\'s own Llama 3 template: no finding; train_on_eos: none: at that key', async () => {
  const good = `base_model: ./llama3-instruct\n${HEAD}chat_template: llama3\ndatasets:\n  - path: chat.jsonl\n    type: chat_template\n    train_on_eos: turn\n`;
  assert.deepEqual(await check(good), []);
  const none = good.replace('train_on_eos: turn', 'train_on_eos: none');
  assert.deepEqual(await check(none), [
    d('10:18-10:22', W, 'mask-turn-end-not-trained', `With the model './llama3-instruct': train_on_eos and train_on_eot are none: the model never learns to stop.`),
  ]);
  const eotOff = good.replace('train_on_eos: turn', 'train_on_eos: turn\n    train_on_eot: none');
  // eot_tokens defaults to the EOS token, so both switches govern the same token: Axolotl refuses it.
  assert.deepEqual(await check(eotOff), [
    d('11:18-11:22', E, 'mask-setup-invalid', `With the model './llama3-instruct': the EOS token "<|eot_id|>" is an end-of-turn token, so train_on_eos (turn) and train_on_eot (none) must agree.`),
  ]);
});

test('a Llama 3 template on a local model whose config.json says mistral: the template-mismatch advice, placed at chat_template', async () => {
  const text = `base_model: ./mistral-instruct\n${HEAD}chat_template: llama3\ndatasets:\n  - path: chat.jsonl\n    type: chat_template\n`;
  assert.deepEqual(await check(text), [
    d(
      '6:15-6:21',
      W,
      'config-advice-template-mismatch',
      `chat_template 'llama3' is the Llama 3 format, but the base model './mistral-instruct' is a 'mistral' model (model_type in its config.json): the fine-tune would learn a format the model was not trained with. Use the model's own template (tokenizer_default) or one of its family.`,
      { replaceValueWith: 'tokenizer_default' },
    ),
    d('6:15-6:21', W, 'mask-eos-not-in-template', `With the model './mistral-instruct': the EOS token "</s>" never appears in the chat template (llama3): check that the template and the tokenizer belong together.`),
    d('6:15-6:21', W, 'mask-turn-end-not-trained', `With the model './mistral-instruct': turns end with "<|eot_id|>" but the EOS token is "</s>" and eot_tokens does not list "<|eot_id|>": the model never learns to end its turn (set eot_tokens: ["<|eot_id|>"], or use a tokenizer whose eos_token is "<|eot_id|>").`),
  ]);
  // The model's own template is right: nothing to say.
  assert.deepEqual(await check(text.replace('chat_template: llama3\n', '')), []);
});

test('a local folder is judged by its files, not its name', async () => {
  // Named like Llama 3, but a ChatML (qwen2) model: the llama3 template does not fit its tokenizer.
  const text = `base_model: ./llama-3-named\n${HEAD}chat_template: llama3\ndatasets:\n  - path: chat.jsonl\n    type: chat_template\n`;
  assert.deepEqual(await check(text), [
    d(
      '6:15-6:21',
      W,
      'config-advice-template-mismatch',
      `chat_template 'llama3' is the Llama 3 format, but the base model './llama-3-named' is a 'qwen2' model (model_type in its config.json): the fine-tune would learn a format the model was not trained with. Use the model's own template (tokenizer_default) or one of its family.`,
      { replaceValueWith: 'tokenizer_default' },
    ),
    d('6:15-6:21', W, 'mask-eos-not-in-template', `With the model './llama-3-named': the EOS token "<|im_end|>" never appears in the chat template (llama3): check that the template and the tokenizer belong together.`),
    d('6:15-6:21', W, 'mask-turn-end-not-trained', `With the model './llama-3-named': turns end with "<|eot_id|>" but the EOS token is "<|im_end|>" and eot_tokens does not list "<|eot_id|>": the model never learns to end its turn (set eot_tokens: ["<|eot_id|>"], or use a tokenizer whose eos_token is "<|eot_id|>").`),
  ]);
  // The same name as a Hub id gets the name-based advice only when no local folder is checked.
  const hub = validateConfig(parseConfig(text.replace('./llama-3-named', 'org/Qwen2-7B')), { configPath: join(ws, 'config.yml'), fileExists: existsSync, checkModel: () => assert.fail('a Hub id is not a local model') });
  assert.deepEqual(hub.map((x) => x.code), ['config-advice-template-mismatch']);
});

test('a local model without tokenizer.json, a file, a missing folder', async () => {
  const text = `base_model: ./no-tokenizer\n${HEAD}datasets:\n  - path: chat.jsonl\n    type: chat_template\n`;
  assert.deepEqual(await check(text), [
    d('0:12-0:26', W, 'config-model-no-tokenizer', `The local model './no-tokenizer' has no tokenizer.json, so the chat template, the loss mask and token counts cannot be checked, and Tunelab's trainer cannot load it. It has tokenizer.model: convert once with transformers, AutoTokenizer.from_pretrained(dir).save_pretrained(dir), which writes tokenizer.json.`),
  ]);
  assert.deepEqual(await check(text.replace('./no-tokenizer', './weights.gguf')), [
    d('0:12-0:26', W, 'config-model-not-directory', `base_model './weights.gguf' is a file: a local model is a folder in Hugging Face layout (config.json, tokenizer.json, tokenizer_config.json and the weights).`),
  ]);
  assert.deepEqual(await check(text.replace('./no-tokenizer', './nowhere')), [
    d('0:12-0:21', W, 'config-model-path-missing', `Local model './nowhere' does not exist here (looked for '${join(ws, 'nowhere')}'); Axolotl would take it for a Hub id and fail to download it. Relative paths resolve against the config's folder, the workspace, then the working directory.`),
  ]);
});

test('a model without a chat template under tokenizer_default is an error at the dataset type', async () => {
  model('no-template', 'chatml', { chat_template: null });
  const text = `base_model: ./no-template\n${HEAD}datasets:\n  - path: chat.jsonl\n    type: chat_template\n`;
  assert.deepEqual(await check(text), [
    d('8:10-8:23', E, 'config-model-no-chat-template', `The local model './no-template' has no chat template of its own, so chat_template: tokenizer_default (the default) cannot be applied. Name a built-in template (e.g. chatml), or tokenizer_default_fallback_chatml.`),
  ]);
  assert.deepEqual(await check(text.replace('type: chat_template', 'type: chat_template\n    chat_template: tokenizer_default_fallback_chatml')), []);
});

test('the shipped tiny-base example model with its own template is clean', async () => {
  const text = `base_model: ${TINY_BASE}\n${HEAD}datasets:\n  - path: chat.jsonl\n    type: chat_template\n    roles_to_train: [assistant]\n    train_on_eos: turn\n`;
  assert.deepEqual(await check(text), []);
});

test('without prepare (the language server): findings appear once the model has loaded, and onLoaded says so', async () => {
  let loaded = '';
  let resolveLoaded: () => void = () => {};
  const done = new Promise<void>((r) => (resolveLoaded = r));
  const models = new ConfigModelCheck({
    onLoaded: (dir) => {
      loaded = dir;
      resolveLoaded();
    },
  });
  const text = `base_model: ./base-chatml\n${HEAD}eot_tokens: ["<|im_end|>"]\ndatasets:\n  - path: chat.jsonl\n    type: chat_template\n`;
  const env: ConfigEnv = { configPath: join(ws, 'config.yml'), fileExists: existsSync, checkModel: models.check };
  assert.deepEqual(validateConfig(parseConfig(text), env), []);
  await done;
  assert.equal(loaded, BASE_CHATML);
  assert.deepEqual(validateConfig(parseConfig(text), env).map((x) => x.code), ['mask-eos-not-in-template']);
});

test('an unreadable tokenizer, a fixed one picked up after the files change, and a failing hook', async () => {
  const dir = model('changing', 'chatml');
  writeFileSync(join(dir, 'tokenizer.json'), '{"version": "1.0", ');
  const models = new ConfigModelCheck();
  const text = `base_model: ./changing\n${HEAD}datasets:\n  - path: chat.jsonl\n    type: chat_template\n`;
  const [bad] = await check(text, models);
  assert.equal(bad?.code, 'config-model-unreadable');
  assert.deepEqual([bad?.severity, bad?.range.start, bad?.message.startsWith(`The local model './changing' could not be read: ${join(dir, 'tokenizer.json')} is not valid JSON`)], [W, { line: 0, character: 12 }, true]);
  cpSync(join(CHAT, 'chatml', 'tokenizer.json'), join(dir, 'tokenizer.json'));
  assert.deepEqual(await check(text, models), []);
  const env: ConfigEnv = { configPath: join(ws, 'config.yml'), fileExists: existsSync, checkModel: () => { throw new Error('boom'); } };
  assert.deepEqual(validateConfig(parseConfig(text), env), [d('0:12-0:22', W, 'config-model-check-failed', `The model in './changing' could not be checked: boom`)]);
});

test('what Axolotl changes in the tokenizer: special_tokens.eos_token fixes the base model; new tokens or another tokenizer: no guess', async () => {
  const text = `base_model: ./base-chatml\n${HEAD}datasets:\n  - path: chat.jsonl\n    type: chat_template\n    chat_template: chatml\n`;
  assert.deepEqual(await check(`${text}special_tokens:\n  eos_token: "<|im_end|>"\n`), []);
  // (The adapter advice about new tokens is the only finding left.)
  assert.deepEqual((await check(`${text}tokens: ["<|tool|>"]\n`)).map((x) => x.code), ['config-new-tokens-not-trained']);
  assert.deepEqual(await check(`${text}tokenizer_config: ./llama3-instruct\n`), []);
  // A template file path is not read; its text is checked like any template.
  const jinja = text.replace('chat_template: chatml', 'chat_template: jinja\n    chat_template_jinja: templates/chat.jinja');
  assert.deepEqual(await check(jinja), []);
  const inline = text.replace('chat_template: chatml', `chat_template: jinja\n    chat_template_jinja: "{% for m in messages %}<|im_start|>{{ m.content }}<|im_end|>{% endfor %}"`);
  assert.deepEqual((await check(inline)).map((x) => [x.code, x.range.start.line]), [['mask-eos-not-in-template', 10], ['mask-turn-end-not-trained', 10]]);
  // The same tokenizer named twice is still checked.
  assert.deepEqual((await check(`${text}tokenizer_config: ./base-chatml/\n`)).map((x) => x.code), ['mask-eos-not-in-template', 'mask-turn-end-not-trained']);
});
