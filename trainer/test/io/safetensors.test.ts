import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  encodeSafetensors, floatToBf16, floatToHalf, halfToFloat, readHeader, readModelConfig, readModelWeights, readSafetensors, saveModelDir, writeSafetensors,
} from '../../io/index';
import { parseModelConfig, randomWeights, type HostTensor } from '../../model/index';

const temp = mkdtempSync(join(tmpdir(), 'tunelab-st-'));
after(() => rmSync(temp, { recursive: true, force: true }));
const fixtures = join(import.meta.dirname, '..', 'fixtures');

const tensors = (): Map<string, HostTensor> =>
  new Map([
    ['b', { shape: [2, 3], data: Float32Array.of(1, -2, 0.1, 3.5, 65504, -0) }],
    ['a', { shape: [], data: Float32Array.of(7) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
  ]);

/** A file from a header object and a data section. */
function rawFile(name: string, header: unknown, data: Buffer): string {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const path = join(temp, name);
  writeFileSync(path, Buffer.concat([len, json, data]));
  return path;
}

describe('safetensors', () => {
  it('round-trips F32 exactly, with metadata, scalars and empty tensors', () => {
    const path = join(temp, 'f32.safetensors');
    writeSafetensors(path, tensors(), { metadata: { format: 'pt' } });
    const { tensors: back, metadata } = readSafetensors(path);
    assert.deepEqual(metadata, { format: 'pt' });
    assert.deepEqual([...back.keys()].sort(), ['a', 'b', 'empty']);
    assert.deepEqual(back.get('b'), tensors().get('b'));
    assert.deepEqual(back.get('a'), { shape: [], data: Float32Array.of(7) });
    assert.deepEqual(back.get('empty'), { shape: [0, 4], data: new Float32Array(0) });
    assert.deepEqual(readdirSync(temp).filter((f) => f.includes('.tmp')), []);
  });

  it('pads the header with spaces to a multiple of 8 and sorts tensors by name', () => {
    const parts = encodeSafetensors(new Map([['x', { shape: [1], data: Float32Array.of(1) }]]));
    const n = Number(parts[0].readBigUInt64LE(0));
    assert.equal(n % 8, 0);
    assert.equal(parts[1].toString(), '{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'.padEnd(n, ' '));
    const empty = Buffer.concat(encodeSafetensors(new Map()));
    assert.equal(empty.toString('hex'), `0800000000000000${Buffer.from('{}      ').toString('hex')}`);
  });

  it('writes F16 and BF16 with round-to-nearest-even and reads them back as float32', () => {
    for (const [dtype, expect] of [
      ['F16', [1, -2, 0.0999755859375, 3.5, 65504, -0]],
      ['BF16', [1, -2, 0.10009765625, 3.5, 65536, -0]],
    ] as const) {
      const path = join(temp, `${dtype}.safetensors`);
      writeSafetensors(path, tensors(), { dtype });
      assert.equal(readHeader(path).tensors.get('b')?.dtype, dtype);
      assert.deepEqual([...readSafetensors(path).tensors.get('b')!.data], expect);
    }
    assert.equal(floatToHalf(1), 0x3c00);
    assert.equal(floatToHalf(70000), 0x7c00); // overflow -> +Inf
    assert.equal(halfToFloat(0x0001), 2 ** -24); // smallest subnormal
    assert.equal(floatToBf16(1.00390625), 0x3f80); // tie rounds to even
    assert.equal(floatToBf16(1.01171875), 0x3f82);
  });

  it('reads the F32, BF16 (sharded) and F16 checkpoints written by the PyTorch script', () => {
    assert.equal(readModelWeights(join(fixtures, 'llama-tiny')).size, 20);
    const qwen = readModelWeights(join(fixtures, 'qwen2-tiny'));
    assert.equal(qwen.size, 27); // 2 × (2 norms + q/k/v weights and biases + o + 3 MLP) + embed, norm, lm_head
    assert.deepEqual(qwen.get('model.layers.1.self_attn.k_proj.bias')?.shape, [16]);
    assert.equal(readHeader(join(fixtures, 'mistral-tiny', 'model.safetensors')).tensors.get('model.norm.weight')?.dtype, 'F16');
  });

  it('rejects malformed files with located messages', () => {
    const cases: [string, () => string, string][] = [
      ['short', () => (writeFileSync(join(temp, 'short'), Buffer.alloc(3)), join(temp, 'short')), 'not a safetensors file (3 bytes)'],
      ['huge header', () => {
        const b = Buffer.alloc(16);
        b.writeBigUInt64LE(200_000_000n);
        writeFileSync(join(temp, 'huge'), b);
        return join(temp, 'huge');
      }, 'header length 200000000 exceeds the 100 MB limit (not a safetensors file?)'],
      ['past end', () => {
        const b = Buffer.alloc(12);
        b.writeBigUInt64LE(100n);
        writeFileSync(join(temp, 'past'), b);
        return join(temp, 'past');
      }, 'header length 100 runs past the end of the file (12 bytes)'],
      ['bad json', () => {
        const b = Buffer.concat([Buffer.alloc(8), Buffer.from('{"x": ')]);
        b.writeBigUInt64LE(6n);
        writeFileSync(join(temp, 'badjson'), b);
        return join(temp, 'badjson');
      }, 'header is not valid UTF-8 JSON'],
      ['gap', () => rawFile('gap', { x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, Buffer.alloc(8)), 'tensor "x" starts at byte 4, expected 0 (overlap or gap)'],
      ['size', () => rawFile('size', { x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, Buffer.alloc(4)), 'tensor "x": 4 bytes for shape [2] of F32'],
      ['trailing', () => rawFile('trail', { x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, Buffer.alloc(6)), 'data section is 6 bytes but tensors cover 4'],
      ['dtype', () => rawFile('dtype', { x: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)), 'tensor "x": unknown dtype "Q4"'],
    ];
    for (const [label, make, message] of cases) {
      const path = make();
      assert.throws(() => readSafetensors(path), (e: Error) => e.message.startsWith(`${path}: ${message}`), label);
    }
  });
});

describe('model directories', () => {
  it('names the supported architectures for an unknown one', () => {
    const dir = join(temp, 'bert');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['BertForMaskedLM'], model_type: 'bert' }));
    assert.throws(() => readModelConfig(dir), {
      message: `${join(dir, 'config.json')}: unsupported architecture (BertForMaskedLM); supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, GPT2LMHeadModel`,
    });
  });

  it('reports a missing config, a missing weight file and PyTorch-only weights', () => {
    const dir = join(temp, 'empty');
    mkdirSync(dir);
    assert.throws(() => readModelConfig(dir), { message: `${join(dir, 'config.json')}: not found` });
    assert.throws(() => readModelWeights(dir), { message: `${dir}: no model.safetensors or model.safetensors.index.json` });
    writeFileSync(join(dir, 'pytorch_model.bin'), '');
    assert.throws(() => readModelWeights(dir), /only PyTorch \.bin weights found/);
  });

  it('rejects a config with bad values, naming the key', () => {
    const base = { architectures: ['LlamaForCausalLM'], hidden_size: 32, num_attention_heads: 4, num_hidden_layers: 1, intermediate_size: 8, vocab_size: 10 };
    assert.throws(() => parseModelConfig({ ...base, num_key_value_heads: 3 }), { message: 'config.json: num_attention_heads (4) is not a multiple of num_key_value_heads (3)' });
    assert.throws(() => parseModelConfig({ ...base, hidden_size: '32' }), { message: 'config.json: "hidden_size" must be a number, got "32"' });
    assert.throws(() => parseModelConfig({ ...base, rope_scaling: { rope_type: 'yarn', factor: 4 } }), { message: 'config.json: rope_scaling type "yarn" is not supported (supported: linear, llama3)' });
  });

  it('saves a model directory (config, weights, tokenizer files) that loads back identically', () => {
    const src = join(temp, 'src');
    mkdirSync(src);
    copyFileSync(join(fixtures, 'llama-tiny', 'config.json'), join(src, 'config.json'));
    writeFileSync(join(src, 'tokenizer.json'), '{"version":"1.0"}');
    const config = readModelConfig(join(fixtures, 'llama-tiny'));
    const weights = randomWeights(config, 5);
    const out = join(temp, 'saved');
    assert.deepEqual(saveModelDir(out, config, weights, { tokenizerFrom: src }), ['config.json', 'model.safetensors', 'tokenizer.json']);
    assert.equal(readFileSync(join(out, 'tokenizer.json'), 'utf8'), '{"version":"1.0"}');
    assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).torch_dtype, 'float32');
    assert.deepEqual(readModelWeights(out), weights);
  });
});
