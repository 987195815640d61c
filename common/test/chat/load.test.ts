/** Loading model directories: the fixtures, and every kind of broken file as a coded error. */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ChatModelCache, countTokens, createChatModel, decode, encode, loadChatModel, resolveChatTemplate } from '../../chat/index';
import { FIXTURES } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'tunelab-chat-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A model directory made of the given files (strings written as-is). */
function dir(name: string, files: Record<string, string>): string {
  const d = join(tmp, name);
  mkdirSync(d, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
  return d;
}

describe('loadChatModel', () => {
  it('loads the ChatML fixture with its template and special tokens', async () => {
    const r = await loadChatModel(join(FIXTURES, 'chatml'));
    assert.ok(r.ok);
    const m = r.value;
    assert.equal(m.dir, join(FIXTURES, 'chatml'));
    assert.equal(m.eosToken, '<|im_end|>');
    assert.equal(m.eosTokenId, 302);
    assert.equal(m.padToken, '<|endoftext|>');
    assert.equal(m.padTokenId, 300);
    assert.equal(m.bosToken, undefined);
    assert.deepEqual(m.prefixIds, []);
    assert.equal(m.modelType, 'qwen2');
    assert.deepEqual(m.architectures, ['Qwen2ForCausalLM']);
    assert.equal(m.modelMaxLength, 32768);
    assert.ok(m.chatTemplate?.startsWith('{% for message in messages %}'));
    assert.deepEqual([...m.addedTokenIds].sort(), [300, 301, 302, 303, 304, 305, 306, 307]);
  });

  it('reads a list of named templates and chat_template.jinja', async () => {
    const mistral = await loadChatModel(join(FIXTURES, 'mistral'));
    assert.ok(mistral.ok);
    assert.deepEqual(Object.keys(mistral.value.chatTemplates), ['default', 'tool_use']);
    assert.equal(mistral.value.chatTemplate, mistral.value.chatTemplates.default);
    const d = join(tmp, 'jinja-file');
    mkdirSync(d);
    copyFileSync(join(FIXTURES, 'chatml', 'tokenizer.json'), join(d, 'tokenizer.json'));
    writeFileSync(join(d, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|im_end|>' }));
    writeFileSync(join(d, 'chat_template.json'), JSON.stringify({ chat_template: '{{ 2 }}' }));
    const fromJson = await loadChatModel(d);
    assert.ok(fromJson.ok);
    assert.equal(fromJson.value.chatTemplate, '{{ 2 }}');
    // chat_template.jinja wins over tokenizer_config.json and chat_template.json.
    writeFileSync(join(d, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|im_end|>', chat_template: '{{ 1 }}' }));
    writeFileSync(join(d, 'chat_template.jinja'), '{{ messages[0].content }}');
    const r = await loadChatModel(d);
    assert.ok(r.ok);
    assert.equal(r.value.chatTemplate, '{{ messages[0].content }}');
  });

  it('adds the tokens of added_tokens_decoder that tokenizer.json lacks', () => {
    const m = createChatModel({
      tokenizerJson: JSON.parse(readFileSync(join(FIXTURES, 'chatml', 'tokenizer.json'), 'utf8')),
      tokenizerConfig: { eos_token: '<|im_end|>', added_tokens_decoder: { '302': { content: '<|im_end|>' }, '310': { content: '<tool_call>', special: false } } },
    });
    assert.ok(m.ok);
    assert.deepEqual(encode(m.value, 'a<tool_call>b'), [97, 310, 98]);
    assert.ok(m.value.addedTokenIds.has(310));
  });

  it('helpers encode, decode and count', async () => {
    const r = await loadChatModel(join(FIXTURES, 'llama3'));
    assert.ok(r.ok);
    assert.deepEqual(encode(r.value, 'Hello there'), [259, 264]);
    assert.deepEqual(encode(r.value, 'Hello there', true), [303, 259, 264]);
    assert.equal(decode(r.value, [303, 259, 264]), '<|begin_of_text|>Hello there');
    assert.equal(decode(r.value, [303, 259, 264], true), 'Hello there');
    assert.equal(countTokens(r.value, 'Hi <|eot_id|>'), 3);
    assert.equal(countTokens(r.value, ''), 0);
  });

  const cases: [string, Record<string, string> | undefined, string, RegExp][] = [
    ['missing directory', undefined, 'chat-model-dir-missing', /model directory not found/],
    ['no tokenizer.json', { 'tokenizer_config.json': '{}' }, 'chat-tokenizer-missing', /no tokenizer\.json in .*fast-tokenizer file/],
    ['tokenizer.json not JSON', { 'tokenizer.json': '{"model": ' }, 'chat-tokenizer-invalid', /tokenizer\.json is not valid JSON/],
    ['tokenizer.json without a model', { 'tokenizer.json': '{"version": "1.0"}' }, 'chat-tokenizer-invalid', /has no "model" object/],
    ['unknown model type', { 'tokenizer.json': '{"model": {"type": "Magic"}}' }, 'chat-tokenizer-invalid', /unsupported model type "Magic"/],
    ['tokenizer the library rejects', { 'tokenizer.json': '{"model": {"type": "BPE", "vocab": 3, "merges": 4}}' }, 'chat-tokenizer-invalid', /could not/],
    ['tokenizer_config.json not JSON', { 'tokenizer.json': 'COPY', 'tokenizer_config.json': '{bos_token: 1}' }, 'chat-tokenizer-config-invalid', /tokenizer_config\.json is not valid JSON/],
    ['chat_template of the wrong type', { 'tokenizer.json': 'COPY', 'tokenizer_config.json': '{"chat_template": 42}' }, 'chat-tokenizer-config-invalid', /chat_template must be a string or a list/],
    ['chat_template list without names', { 'tokenizer.json': 'COPY', 'tokenizer_config.json': '{"chat_template": [{"template": "x"}]}' }, 'chat-tokenizer-config-invalid', /list entries must be objects/],
  ];
  for (const [title, files, code, message] of cases) {
    it(`reports ${title} as ${code}`, async () => {
      let d = join(tmp, 'does-not-exist');
      if (files) {
        d = dir(title.replace(/\W+/g, '-'), Object.fromEntries(Object.entries(files).filter(([, t]) => t !== 'COPY')));
        if (files['tokenizer.json'] === 'COPY') copyFileSync(join(FIXTURES, 'chatml', 'tokenizer.json'), join(d, 'tokenizer.json'));
      }
      const r = await loadChatModel(d);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.error.code, code);
      assert.match(r.error.message, message);
      assert.ok(r.error.path?.startsWith(d), `path ${r.error.path} names the directory`);
    });
  }

  it('names slow-tokenizer files when tokenizer.json is missing', async () => {
    const d = dir('slow-only', { 'tokenizer.model': 'x', 'tokenizer_config.json': '{}' });
    const r = await loadChatModel(d);
    assert.deepEqual(r, {
      ok: false,
      error: {
        code: 'chat-tokenizer-missing',
        message: `no tokenizer.json in ${d}: Tunelab needs the fast-tokenizer file (found tokenizer.model: convert once with transformers, AutoTokenizer.from_pretrained(dir).save_pretrained(dir), which writes tokenizer.json)`,
        path: d,
      },
    });
  });

  it('a file where the directory should be is reported', async () => {
    const r = await loadChatModel(join(FIXTURES, 'chatml', 'config.json'));
    assert.equal(r.ok ? '' : r.error.code, 'chat-model-dir-missing');
  });

  it('no chat template: tokenizer_default fails, a fallback or built-in works', async () => {
    const d = dir('no-template', { 'tokenizer_config.json': '{"eos_token": "<|im_end|>"}' });
    copyFileSync(join(FIXTURES, 'chatml', 'tokenizer.json'), join(d, 'tokenizer.json'));
    const r = await loadChatModel(d);
    assert.ok(r.ok);
    const missing = resolveChatTemplate(r.value);
    assert.equal(missing.ok ? '' : missing.error.code, 'chat-template-missing');
    const fallback = resolveChatTemplate(r.value, { chatTemplate: 'tokenizer_default_fallback_chatml' });
    assert.equal(fallback.ok && fallback.value.name, 'chatml');
    const withOwn = await loadChatModel(join(FIXTURES, 'chatml'));
    assert.ok(withOwn.ok);
    const own = resolveChatTemplate(withOwn.value, { chatTemplate: 'tokenizer_default_fallback_llama3' });
    assert.equal(own.ok && own.value.name, 'tokenizer_default');
    const jinja = resolveChatTemplate(withOwn.value, { chatTemplateJinja: '{{ 1 }}' });
    assert.deepEqual(jinja, { ok: true, value: { name: 'jinja', source: '{{ 1 }}' } });
  });
});

describe('ChatModelCache', () => {
  it('shares a loaded model until a file changes', async () => {
    const d = dir('cached', { 'tokenizer_config.json': '{"eos_token": "<|im_end|>"}' });
    copyFileSync(join(FIXTURES, 'chatml', 'tokenizer.json'), join(d, 'tokenizer.json'));
    const cache = new ChatModelCache();
    const a = await cache.get(d);
    const b = await cache.get(d);
    assert.ok(a.ok && b.ok);
    assert.equal(a.value, b.value);
    writeFileSync(join(d, 'tokenizer_config.json'), '{"eos_token": "<|endoftext|>", "pad_token": "<|im_start|>"}');
    const c = await cache.get(d);
    assert.ok(c.ok);
    assert.notEqual(c.value, a.value);
    assert.equal(c.value.eosToken, '<|endoftext|>');
    cache.clear();
    const e = await cache.get(d);
    assert.ok(e.ok);
    assert.notEqual(e.value, c.value);
  });

  it('keeps at most `limit` models, dropping the least recently used', async () => {
    const cache = new ChatModelCache(2);
    const [a, b, c] = ['chatml', 'llama3', 'mistral'].map((n) => join(FIXTURES, n));
    const first = await cache.get(a!);
    const firstB = await cache.get(b!);
    assert.equal(await cache.get(a!), first); // a is the most recent again
    await cache.get(c!); // evicts b
    assert.equal(await cache.get(a!), first);
    const bAgain = await cache.get(b!);
    assert.ok(bAgain.ok);
    assert.notEqual(bAgain, firstB);
    // Failures are cached too until the directory changes, and stay coded.
    const missing = await cache.get(join(tmp, 'nope'));
    assert.equal(missing.ok ? '' : missing.error.code, 'chat-model-dir-missing');
  });
});
