// The shipped default: examples/models/tiny-base is a complete Hugging Face model directory, and a
// short LoRA run of the demo config lowers its validation loss.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../../cli/main';
import type { CliIo } from '../../../cli/command';
import { loadChatModel } from '../../../common/chat/index';
import { readHeader } from '../../io/index';
import { parseModelConfig, weightShapes } from '../../model/index';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = join(root, 'examples', 'models', 'tiny-base');
const present = existsSync(join(dir, 'model.safetensors'));

describe('examples/models/tiny-base', { skip: present ? false : 'examples/models/tiny-base not built yet (npx tsx scripts/make-tiny-model.ts)' }, () => {
  it('is a Llama model directory whose weights, tokenizer and template agree', async () => {
    const config = parseModelConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
    assert.equal(config.architecture, 'LlamaForCausalLM');
    const header = readHeader(join(dir, 'model.safetensors'));
    const shapes = Object.fromEntries([...weightShapes(config)].map(([k, v]) => [k, v]));
    assert.deepEqual(Object.fromEntries([...header.tensors].map(([k, t]) => [k, t.shape])), shapes);
    const chat = await loadChatModel(dir);
    assert.ok(chat.ok);
    if (!chat.ok) return;
    assert.equal(chat.value.tokenizer.get_vocab(true).size, config.vocabSize);
    assert.equal(chat.value.eosToken, '<|im_end|>');
    assert.deepEqual(chat.value.tokenizer.encode('<|im_start|>user\nHi<|im_end|>', { add_special_tokens: false }).ids.slice(0, 1), [1]);
    assert.ok(readFileSync(join(dir, 'PROVENANCE.md'), 'utf8').includes('scripts/make-tiny-model.ts'));
  });

  it('a short LoRA run on the demo config lowers the validation loss', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tunelab-demo-'));
    try {
      const io = (sink: string[]): CliIo => ({ cwd: root, out: (t) => void sink.push(t), err: () => {}, isTty: false });
      const before: string[] = [];
      assert.equal(await main(['eval', 'examples/demo.yml', '--json'], io(before)), 0);
      assert.equal(await main(['train', 'examples/demo.yml', '--max-steps', '12', '--output', out, '--json'], io([])), 0);
      const after: string[] = [];
      assert.equal(await main(['eval', 'examples/demo.yml', '--adapter', out, '--json'], io(after)), 0);
      const [b, a] = [JSON.parse(before.join('')), JSON.parse(after.join(''))];
      assert.equal(a.records, b.records);
      assert.ok(a.eval_loss < b.eval_loss - 0.1, `validation loss ${b.eval_loss} → ${a.eval_loss}`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
