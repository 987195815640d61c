#!/usr/bin/env -S npx tsx
/**
 * Builds examples/models/tiny-base/ from nothing but this repository: generates a procedural
 * corpus (scripts/tiny/world.ts), trains a byte-level BPE tokenizer on it, initialises a small
 * Llama-architecture model and pretrains it with the trainer's own loop on the CPU, then writes a
 * Hugging Face model directory and PROVENANCE.md.
 *
 *   npx tsx scripts/make-tiny-model.ts [--steps N] [--out DIR]
 *
 * Deterministic for a given seed and step count (same tokenizer, same initial weights, same data
 * order); the floating-point sums of the wasm backend make the final weights reproducible on the
 * same machine type.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tokenizer } from '@huggingface/tokenizers';
import { selectBackend } from '../trainer/backend/index';
import { writeTensors } from '../trainer/checkpoint/tensorFile';
import { rowsPerEpoch, splitValidation, type Example } from '../trainer/data/batches';
import { buildModel, parseModelConfig, randomWeights } from '../trainer/model/index';
import { AdamW } from '../trainer/train/adamw';
import { evaluate } from '../trainer/train/evaluate';
import { initialState, TrainingLoop } from '../trainer/train/loop';
import { lossModel } from '../trainer/train/modelPort';
import { planRun } from '../trainer/train/plan';
import { tokenizerJson, trainBpe } from './tiny/bpe';
import { pretrainingDocuments, SPECIALS } from './tiny/corpus';
import { SEED, WORLD_TOWNS } from './tiny/constants';
import { makeWorld } from './tiny/world';

const DOCS = 24000;
const VOCAB = 1024;
const SEQ = 128;
const MBS = 16;

/** The chat template shipped with the model (ChatML). */
export const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const { values } = parseArgs({ options: { steps: { type: 'string', default: '600' }, out: { type: 'string', default: 'examples/models/tiny-base' }, lr: { type: 'string', default: '3e-3' } } });
const steps = Number(values.steps);
const outDir = values.out!;
const peakLr = Number(values.lr);
const t0 = Date.now();
const log = (s: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}\n`);

// 1. Corpus and tokenizer.
const world = makeWorld(SEED, WORLD_TOWNS);
const docs = pretrainingDocuments(world, SEED + 1, DOCS);
const specialSplit = new RegExp(SPECIALS.map((s) => s.replace(/[|]/g, '\\|')).join('|'), 'g');
const bpe = trainBpe(
  docs.map((d) => d.replace(specialSplit, '\n')),
  VOCAB,
  SPECIALS,
);
const tj = tokenizerJson(bpe, SPECIALS);
const tokenizerConfig = {
  added_tokens_decoder: Object.fromEntries(
    SPECIALS.map((s, i) => [String(i), { content: s, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }]),
  ),
  additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
  bos_token: null,
  eos_token: '<|im_end|>',
  pad_token: '<|endoftext|>',
  unk_token: null,
  chat_template: CHATML,
  clean_up_tokenization_spaces: false,
  model_max_length: 512,
  tokenizer_class: 'PreTrainedTokenizerFast',
};
const tokenizer = new Tokenizer(tj, { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' });
log(`corpus: ${docs.length} documents, ${docs.reduce((s, d) => s + d.length, 0)} characters; tokenizer: ${bpe.vocab.size} tokens`);

// 2. Model config and initial weights.
const config = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  vocab_size: VOCAB,
  hidden_size: 128,
  intermediate_size: 352,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 32,
  hidden_act: 'silu',
  max_position_embeddings: 512,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: true,
  attention_bias: false,
  mlp_bias: false,
  attention_dropout: 0,
  initializer_range: 0.02,
  bos_token_id: null,
  eos_token_id: 2,
  pad_token_id: 0,
  torch_dtype: 'float32',
};
const modelConfig = parseModelConfig(config);
const backend = await selectBackend('wasm');
log(`backend: ${backend.detail}`);
const model = buildModel(modelConfig, randomWeights(modelConfig, SEED));

// 3. Data: every token of every document is trained; 2% held out.
const examples: Example[] = docs
  .map((d) => tokenizer.encode(d, { add_special_tokens: false }).ids)
  .filter((ids) => ids.length >= 2)
  .map((ids) => ids.slice(0, SEQ))
  .map((ids) => ({ ids, trained: ids.map(() => true) }));
const { train, eval: held } = splitValidation(examples, 0.02, SEED);
const trainTokens = train.reduce((s, e) => s + e.ids.length, 0);
log(`data: ${train.length} train documents (${trainTokens} tokens), ${held.length} held out`);

// 4. Pretrain with the trainer's loop.
const plan = planRun({ rowsPerEpoch: rowsPerEpoch(train, SEQ, true), microBatchSize: MBS, gradientAccumulationSteps: 1, numEpochs: 1, maxSteps: steps, hasEval: false, saveSteps: steps });
const lm = lossModel(model);
const optimizer = new AdamW(lm.params, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
const schedule = { kind: 'cosine' as const, peak: peakLr, warmupSteps: Math.round(steps * 0.05), totalSteps: plan.totalSteps };
const evalOpts = { batchSize: MBS, seqLen: SEQ, padId: 0, packing: true };
const before = evaluate(lm, held, evalOpts);
log(`held-out loss before: ${before.loss.toFixed(4)}`);
let lastLoss = NaN;
const losses: number[] = [];
const loop = new TrainingLoop(
  lm,
  optimizer,
  train,
  [],
  plan,
  schedule,
  { seed: SEED, seqLen: SEQ, packing: true, padToSeqLen: true, padId: 0, shuffle: true, microBatchSize: MBS, gradientAccumulationSteps: 1, evalBatchSize: MBS },
  1.0,
  null,
  {
    onStep: (r) => {
      lastLoss = r.loss;
      losses.push(r.loss);
      if (r.step % 20 === 0 || r.step === plan.totalSteps) log(`step ${r.step}/${plan.totalSteps} loss ${r.loss.toFixed(4)} lr ${r.lr.toExponential(2)} grad ${r.gradNorm.toFixed(3)}`);
    },
    onEval: () => {},
    onCheckpoint: () => {},
    onLog: (_l, m) => log(m),
    stopRequested: () => false,
  },
  initialState(SEED),
);
await loop.run();
const after = evaluate(lm, held, evalOpts);
const seconds = (Date.now() - t0) / 1000;
log(`held-out loss after: ${after.loss.toFixed(4)} (perplexity ${after.perplexity.toFixed(2)}) in ${seconds.toFixed(0)}s`);

// 5. Write the Hugging Face directory (to a temporary folder, then renamed).
const tmp = `${outDir}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
writeTensors(join(tmp, 'model.safetensors'), model.stateDict(), { format: 'pt' });
writeFileSync(join(tmp, 'config.json'), JSON.stringify(config, null, 2) + '\n');
writeFileSync(join(tmp, 'generation_config.json'), JSON.stringify({ eos_token_id: [2, 0], pad_token_id: 0 }, null, 2) + '\n');
writeFileSync(join(tmp, 'tokenizer.json'), JSON.stringify(tj) + '\n');
writeFileSync(join(tmp, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2) + '\n');
writeFileSync(join(tmp, 'special_tokens_map.json'), JSON.stringify({ eos_token: '<|im_end|>', pad_token: '<|endoftext|>', additional_special_tokens: ['<|im_start|>', '<|im_end|>'] }, null, 2) + '\n');
const counts = model.parameterCounts();
writeFileSync(
  join(tmp, 'PROVENANCE.md'),
  [
    '# tiny-base: provenance',
    '',
    'A 4-layer Llama-architecture model pretrained from random weights by this repository alone, so the',
    'demo and the tests have a real base model that ships in the repo. Nothing was downloaded: the corpus',
    'is generated by `scripts/tiny/world.ts` and `scripts/tiny/corpus.ts` (invented towns, people and',
    'animals with facts about them, small arithmetic, word tasks; ChatML chats, Alpaca prompts and prose).',
    '',
    '| | |',
    '|---|---|',
    `| rebuild | \`npx tsx scripts/make-tiny-model.ts --steps ${steps} --lr ${peakLr}\` |`,
    `| seed | ${SEED} (world, corpus order, initial weights, data order) |`,
    `| corpus | ${docs.length} documents, ${trainTokens} training tokens after a 2% held-out split |`,
    `| tokenizer | byte-level BPE, ${bpe.vocab.size} tokens (3 special: ${SPECIALS.join(', ')}), trained by \`scripts/tiny/bpe.ts\` |`,
    `| model | LlamaForCausalLM, hidden 128, 4 layers, 4 heads / 2 KV heads, MLP 352, tied embeddings, ${counts.total.toLocaleString('en-US')} parameters, float32 |`,
    `| training | ${steps} steps of ${MBS} packed rows × ${SEQ} tokens, AdamW (β 0.9/0.95, weight decay 0.1), cosine lr ${peakLr} with 5% warm-up, grad clip 1.0 |`,
    `| loss | first step ${losses[0]?.toFixed(4)}, last step ${lastLoss.toFixed(4)} |`,
    `| held-out loss | ${before.loss.toFixed(4)} before, ${after.loss.toFixed(4)} after (perplexity ${after.perplexity.toFixed(2)}) |`,
    `| time | ${seconds.toFixed(0)} s on ${cpus()[0]?.model ?? 'a CPU'} (${backend.detail}), ${new Date().toISOString().slice(0, 10)} |`,
    '',
    'The chat template is ChatML; `<|im_end|>` ends a turn and is the EOS token. The base model answers',
    'plainly ("13 plus 18 is 31."); the demo dataset (`examples/data/pirate.*.jsonl`) teaches it a pirate',
    'voice it has never seen ("13 plus 18 be 31, arr matey!").',
    '',
  ].join('\n'),
);
rmSync(outDir, { recursive: true, force: true });
renameSync(tmp, outDir);
log(`wrote ${outDir}`);
