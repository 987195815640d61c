// A small but complete Hugging Face model directory for CLI-level tests, made in a temp folder
// from the repo's own tools: a byte-level BPE tokenizer trained on the procedural corpus (with
// ChatML template), a 2-layer Llama config and seeded random weights.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveModelDir } from '../../io/index';
import { parseModelConfig, randomWeights } from '../../model/index';
import { tokenizerJson, trainBpe } from '../../../scripts/tiny/bpe';
import { pretrainingDocuments, SPECIALS } from '../../../scripts/tiny/corpus';
import { makeWorld } from '../../../scripts/tiny/world';

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export function writeTestModel(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const docs = pretrainingDocuments(makeWorld(1, 8), 1, 200).map((d) => d.replace(/<\|[a-z_]+\|>/g, '\n'));
  const bpe = trainBpe(docs, 320, SPECIALS);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(bpe, SPECIALS)));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ eos_token: '<|im_end|>', pad_token: '<|endoftext|>', bos_token: null, chat_template: CHATML_TEMPLATE, additional_special_tokens: ['<|im_start|>', '<|im_end|>'] }),
  );
  const raw = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: bpe.vocab.size,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: true,
    eos_token_id: 2,
    pad_token_id: 0,
  };
  const config = parseModelConfig(raw);
  saveModelDir(dir, config, randomWeights(config, 7));
}

/** A chat dataset of `n` records (OpenAI format). */
export function writeChatData(path: string, n: number): void {
  const rows = Array.from({ length: n }, (_, i) => ({
    messages: [
      { role: 'user', content: `What is ${i} plus ${i + 1}?` },
      { role: 'assistant', content: `${i} plus ${i + 1} is ${2 * i + 1}.` },
    ],
  }));
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** A training config for the test model and data; `extra` lines are appended. */
export function writeConfig(path: string, modelDir: string, dataPath: string, outputDir: string, extra: string[] = []): void {
  writeFileSync(
    path,
    [
      `base_model: ${modelDir}`,
      'datasets:',
      `  - path: ${dataPath}`,
      '    type: chat_template',
      'val_set_size: 4',
      'adapter: lora',
      'lora_r: 4',
      'lora_alpha: 8',
      'lora_dropout: 0.1',
      'lora_target_linear: true',
      'sequence_len: 64',
      'micro_batch_size: 2',
      'gradient_accumulation_steps: 2',
      'num_epochs: 2',
      'learning_rate: 0.01',
      'lr_scheduler: cosine',
      'warmup_steps: 1',
      'logging_steps: 1',
      'seed: 3',
      `output_dir: ${outputDir}`,
      ...extra,
    ].join('\n') + '\n',
  );
}
