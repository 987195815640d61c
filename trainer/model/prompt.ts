/**
 * Prompt tuning (Lester et al. 2021) as PEFT implements it: P learned input embeddings in front of
 * every record. PEFT concatenates them to inputs_embeds, so the real tokens' positions start at P.
 * Here the forward's input is widened instead (`insertVirtualTokens`): each record (each packed
 * record too) gets P virtual positions before its first token, with the record's segment id, so
 * packed records stay apart and each sees its own virtual tokens. Their outputs are dropped, so
 * the loss never counts them and callers see logits for their own tokens only.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CausalLM } from './causalLm';
import { shiftedPositions } from './hooks';
import { embed } from './ops';
import type { HostTensor } from './tensors';
import type { ForwardHooks, ModelInput } from './types';
import { decays } from './weights';

/** Segment id of the positions that only widen a row (they see only each other). */
const FILL_SEGMENT = -2147483647;

/**
 * Inserts `p` virtual positions before every record of `input` (a record starts at each row start
 * and wherever the segment id changes). Virtual slot j of a record whose first position is q gets
 * position q + j; real tokens move to position + p. Rows that end up shorter than the longest are
 * filled with token 0 in a segment of their own. Returns the widened input (with `virtualSlots`)
 * and, for each original position in order, its row in the widened input.
 */
export function insertVirtualTokens(input: ModelInput, p: number): { input: ModelInput; rows: Int32Array } {
  const { batch: B, seqLen: T } = input;
  const seg = input.segmentIds;
  const pos = input.positionIds;
  const starts: number[][] = [];
  let widest = 0;
  for (let b = 0; b < B; b++) {
    const s: number[] = [0];
    if (seg) for (let t = 1; t < T; t++) if (seg[b * T + t] !== seg[b * T + t - 1]) s.push(t);
    starts.push(s);
    widest = Math.max(widest, T + p * s.length);
  }
  const T2 = widest;
  const ids = new Int32Array(B * T2);
  const positions = new Int32Array(B * T2);
  const segments = new Int32Array(B * T2).fill(FILL_SEGMENT);
  const slots = new Int32Array(B * T2).fill(-1);
  const rows = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    let at = b * T2;
    let next = 0;
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      const q = pos ? pos[i] : t;
      const id = seg ? seg[i] : 0;
      if (starts[b][next] === t) {
        next++;
        for (let j = 0; j < p; j++, at++) {
          positions[at] = q + j;
          segments[at] = id;
          slots[at] = j;
        }
      }
      ids[at] = input.inputIds[i];
      positions[at] = q + p;
      segments[at] = id;
      rows[i] = at;
      at++;
    }
  }
  return { input: { batch: B, seqLen: T2, inputIds: ids, positionIds: positions, segmentIds: segments, virtualSlots: slots }, rows };
}

export interface PromptOptions {
  /** `peft_num_virtual_tokens` (P). */
  virtualTokens: number;
  /** The initial embeddings [P, C]: random (PEFT: N(0, 1)), copied from token embeddings (TEXT, SAMPLE_VOCAB), or a saved adapter's. */
  init: HostTensor;
}

/** Creates the prompt embeddings, registers them in `model.params` and returns the hooks. */
export function createPrompt(model: CausalLM, opts: PromptOptions): { hooks: ForwardHooks; embeddings: tf.Variable } {
  const P = opts.virtualTokens;
  const C = model.config.hiddenSize;
  if (!Number.isInteger(P) || P <= 0) throw new RangeError(`peft_num_virtual_tokens must be a positive integer, got ${P}`);
  if (opts.init.shape.length !== 2 || opts.init.shape[0] !== P || opts.init.shape[1] !== C) {
    throw new Error(`prompt_embeddings has shape [${opts.init.shape.join(', ')}]; this model needs [${P}, ${C}] (${P} tokens × hidden size ${C})`);
  }
  const name = 'prompt_encoder.embedding.weight';
  const table = tf.variable(tf.tensor2d(opts.init.data, [P, C]), true);
  model.params.set(name, { name, variable: table, transposed: false, decay: decays(name), kind: 'adapter' });
  model.setBaseTrainable(false);
  const hooks: ForwardHooks = {
    reservedPositions: P,
    input: (input, continuation) => (continuation ? { input: { ...input, positionIds: shiftedPositions(input, P) } } : insertVirtualTokens(input, P)),
    embeddings: (h, input) => {
      const slots = input.virtualSlots;
      if (!slots) return h;
      // h·(1 − m) + prompt[slot]·m, m = 1 at virtual positions: the token rows there are discarded.
      const m = tf.tensor2d(Float32Array.from(slots, (s) => (s >= 0 ? 1 : 0)), [slots.length, 1]);
      const picked = embed(tf.tensor1d(Int32Array.from(slots, (s) => Math.max(0, s)), 'int32'), table);
      return tf.add(tf.mul(h, tf.sub(1, m)), tf.mul(picked, m)) as tf.Tensor2D;
    },
  };
  return { hooks, embeddings: table };
}

/**
 * PEFT's TEXT init: the tokenised init text (special tokens included, as PEFT's tokenizer call
 * adds them), cut to P or repeated until it covers P, then those tokens' embeddings.
 */
export function textInitIds(ids: readonly number[], p: number): number[] {
  if (ids.length === 0) throw new Error('peft_prompt_tuning_init_text tokenises to no tokens');
  const reps = Math.ceil(p / ids.length);
  return Array.from({ length: reps }, () => ids).flat().slice(0, p);
}

/** Rows `ids` of the model's input embedding table, as a host tensor [ids.length, C]. */
export function embeddingRows(model: CausalLM, ids: readonly number[]): HostTensor {
  const table = model.parameters().find((p) => p.name === 'model.embed_tokens.weight' || p.name === 'transformer.wte.weight');
  if (!table) throw new Error('the model has no input embedding table to initialise the prompt from');
  const V = model.config.vocabSize;
  for (const id of ids) if (id < 0 || id >= V) throw new Error(`token id ${id} is outside the model's vocabulary (${V})`);
  const rows = tf.tidy(() => tf.gather(table.variable as tf.Tensor2D, tf.tensor1d(Int32Array.from(ids), 'int32')));
  const data = new Float32Array(rows.dataSync() as Float32Array);
  const shape = [...rows.shape];
  rows.dispose();
  return { shape, data };
}
