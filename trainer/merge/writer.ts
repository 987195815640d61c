/**
 * A safetensors writer that streams: every tensor's shape is known before any is computed, so the
 * headers (and the shard split) are written first and each tensor's bytes are appended as soon as
 * it is merged. More than one shard → `model-0000i-of-0000n.safetensors` plus
 * `model.safetensors.index.json` (Hugging Face's layout); one shard → `model.safetensors`.
 * Shards split before a tensor that would take the current one past `maxShardBytes`.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/fsAtomic';
import { FLOAT_WIDTH, safetensorsHeader, type FloatDtype } from '../io/index';
import { numel } from '../model/index';
import { encodeFloats } from './codec';

interface Shard {
  file: string;
  names: string[];
  bytes: number;
}

/** Writes the planned tensors, in plan order, into `dir`. */
export class StreamingModelWriter {
  private readonly shards: Shard[] = [];
  private readonly shapes = new Map<string, readonly number[]>();
  private readonly shardOf = new Map<string, number>();
  private current = -1;
  private fd: number | null = null;
  private expected: string[] = [];

  constructor(
    private readonly dir: string,
    tensors: readonly { name: string; shape: readonly number[] }[],
    private readonly dtype: FloatDtype,
    maxShardBytes: number,
    private readonly metadata: Record<string, string>,
  ) {
    let shard: Shard | undefined;
    for (const t of tensors) {
      const bytes = numel(t.shape) * FLOAT_WIDTH[dtype];
      if (!shard || (shard.names.length > 0 && shard.bytes + bytes > maxShardBytes)) {
        shard = { file: '', names: [], bytes: 0 };
        this.shards.push(shard);
      }
      shard.names.push(t.name);
      shard.bytes += bytes;
      this.shapes.set(t.name, t.shape);
      this.shardOf.set(t.name, this.shards.length - 1);
    }
    const n = this.shards.length;
    const pad = (i: number): string => String(i).padStart(5, '0');
    this.shards.forEach((s, i) => (s.file = n === 1 ? 'model.safetensors' : `model-${pad(i + 1)}-of-${pad(n)}.safetensors`));
  }

  /** Total bytes of tensor data. */
  get totalBytes(): number {
    return this.shards.reduce((a, s) => a + s.bytes, 0);
  }

  /** File names this writer produces. */
  files(): string[] {
    const files = this.shards.map((s) => s.file);
    return this.shards.length > 1 ? [...files, 'model.safetensors.index.json'] : files;
  }

  /** Appends the next tensor (tensors must come in plan order). */
  write(name: string, data: Float32Array): void {
    const si = this.shardOf.get(name);
    if (si === undefined) throw new Error(`tensor "${name}" was not planned`);
    if (si !== this.current) this.openShard(si);
    if (this.expected[0] !== name) throw new Error(`tensor "${name}" written out of order (expected "${this.expected[0]}")`);
    this.expected.shift();
    if (data.length !== numel(this.shapes.get(name)!)) throw new Error(`tensor "${name}": ${data.length} values for shape [${this.shapes.get(name)!.join(', ')}]`);
    this.put(this.encode(data));
  }

  /** Closes the last shard and writes the index when sharded. */
  finish(): void {
    this.closeShard();
    if (this.shards.length > 1) {
      const weightMap: Record<string, string> = {};
      for (const s of this.shards) for (const n of s.names) weightMap[n] = s.file;
      const index = { metadata: { total_size: this.totalBytes }, weight_map: weightMap };
      writeFileAtomic(join(this.dir, 'model.safetensors.index.json'), `${JSON.stringify(index, null, 2)}\n`, { fsync: true });
    }
  }

  /** Closes any open file (after a failure). */
  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private openShard(si: number): void {
    if (si !== this.current + 1) throw new Error('shards written out of order');
    this.closeShard();
    this.current = si;
    const shard = this.shards[si];
    const [len, json] = safetensorsHeader(shard.names.map((name) => ({ name, shape: this.shapes.get(name)! })), this.dtype, this.metadata);
    this.fd = openSync(join(this.dir, shard.file), 'w');
    this.put(len);
    this.put(json);
    this.expected = [...shard.names];
  }

  private closeShard(): void {
    if (this.fd === null) return;
    if (this.expected.length) throw new Error(`shard closed before "${this.expected[0]}" was written`);
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }

  private put(buf: Buffer): void {
    let at = 0;
    while (at < buf.length) at += writeSync(this.fd!, buf, at, buf.length - at);
  }

  private encode(data: Float32Array): Buffer {
    return encodeFloats(data, this.dtype);
  }
}
