/**
 * safetensors files: [u64 LE header length N][N bytes JSON header][tensor bytes]. The header maps
 * names to {dtype, shape, data_offsets [begin, end)} relative to the data section, plus an
 * optional string→string `__metadata__`. Reading validates the layout as the reference
 * implementation does (contiguous, no gaps, no trailing bytes) and converts F32/F16/BF16/F64 (and
 * integer tensors) to float32; writing pads the header with spaces to 8 bytes and goes through a temp file + rename.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { writeFileAtomic } from '../../common/fsAtomic';
import type { HostTensor } from '../model/tensors';
import { numel } from '../model/tensors';

/** The largest header the reference implementation accepts (100 MB). */
const MAX_HEADER = 100_000_000;

const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

/** Float dtypes that convert to float32 here. */
export type FloatDtype = 'F32' | 'F16' | 'BF16';

/** One header entry. */
export interface TensorInfo {
  dtype: string;
  shape: number[];
  /** Byte range in the file (absolute), end exclusive. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
}

/** A malformed or unsupported file; the message starts with the path. */
export class SafetensorsError extends Error {}

/** Reads and validates the header of `path`. */
export function readHeader(path: string): SafetensorsHeader {
  const fd = openSync(path, 'r');
  try {
    return headerFromFd(fd, path);
  } finally {
    closeSync(fd);
  }
}

function headerFromFd(fd: number, path: string): SafetensorsHeader {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${path}: ${msg}`);
  };
  const size = fstatSync(fd).size;
  if (size < 8) fail(`not a safetensors file (${size} bytes)`);
  const lenBuf = Buffer.alloc(8);
  readSync(fd, lenBuf, 0, 8, 0);
  const n = Number(lenBuf.readBigUInt64LE(0));
  if (n > MAX_HEADER) fail(`header length ${n} exceeds the 100 MB limit (not a safetensors file?)`);
  if (n + 8 > size) fail(`header length ${n} runs past the end of the file (${size} bytes)`);
  const hb = Buffer.alloc(n);
  readSync(fd, hb, 0, n, 8);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(hb));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail('header is not a JSON object');
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  const dataStart = 8 + n;
  const ranges: [number, number, string][] = [];
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (v && typeof v === 'object') metadata = Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
      continue;
    }
    const info = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = info?.dtype;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) fail(`tensor "${name}": unknown dtype ${JSON.stringify(dtype)}`);
    const shape = info.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`tensor "${name}": bad shape ${JSON.stringify(shape)}`);
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0) || off[1] < off[0]) fail(`tensor "${name}": bad data_offsets ${JSON.stringify(off)}`);
    const [b, e] = off as [number, number];
    const shp = shape as number[];
    if (e - b !== numel(shp) * DTYPE_BYTES[dtype as string]) fail(`tensor "${name}": ${e - b} bytes for shape [${shp.join(', ')}] of ${dtype as string}`);
    tensors.set(name, { dtype: dtype as string, shape: shp, begin: dataStart + b, end: dataStart + e });
    ranges.push([b, e, name]);
  }
  ranges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let at = 0;
  for (const [b, e, name] of ranges) {
    if (b !== at) fail(`tensor "${name}" starts at byte ${b}, expected ${at} (overlap or gap)`);
    at = e;
  }
  if (dataStart + at !== size) fail(`data section is ${size - dataStart} bytes but tensors cover ${at}`);
  return { tensors, metadata };
}

/** IEEE half → float. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float → IEEE half, round to nearest even (overflow → ±Inf). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | half;
}

/** float → bfloat16 bits, round to nearest even (NaN stays NaN). */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return (bits >>> 16) | 0x40;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

// Typed-array views read the machine's byte order; safetensors is little-endian.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Copies `buf` into a fresh, aligned ArrayBuffer. */
const aligned = (buf: Buffer): ArrayBuffer => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer;

function decode(buf: Buffer, dtype: string, count: number, where: string): Float32Array {
  switch (dtype) {
    case 'F32': {
      if (LITTLE_ENDIAN) return new Float32Array(aligned(buf));
      // Big-endian hosts (rare) decode value by value.
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = buf.readFloatLE(i * 4);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(buf.readUInt16LE(i * 2));
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = buf.readUInt16LE(i * 2) << 16;
      return out;
    }
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = buf.readDoubleLE(i * 8);
      return out;
    }
    case 'I32':
      return Float32Array.from(new Int32Array(aligned(buf)));
    case 'U32':
      return Float32Array.from(new Uint32Array(aligned(buf)));
    case 'I16':
      return Float32Array.from(new Int16Array(aligned(buf)));
    case 'U16':
      return Float32Array.from(new Uint16Array(aligned(buf)));
    case 'I8':
      return Float32Array.from(new Int8Array(aligned(buf)));
    case 'U8':
    case 'BOOL':
      return Float32Array.from(new Uint8Array(aligned(buf)));
    case 'I64':
    case 'U64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(dtype === 'I64' ? buf.readBigInt64LE(i * 8) : buf.readBigUInt64LE(i * 8));
      return out;
    }
    default:
      throw new SafetensorsError(`${where}: dtype ${dtype} cannot be read (supported: F32, F16, BF16, F64 and integer types)`);
  }
}

/**
 * Reads tensors from `path` as float32 host tensors. `names` limits the read (sharded loading);
 * `filter` skips tensors by name without reading them.
 */
export function readSafetensors(path: string, opts: { names?: Iterable<string>; filter?: (name: string) => boolean } = {}): { tensors: Map<string, HostTensor>; metadata: Record<string, string> } {
  const fd = openSync(path, 'r');
  try {
    const { tensors: infos, metadata } = headerFromFd(fd, path);
    const wanted = opts.names ? [...opts.names] : [...infos.keys()];
    const out = new Map<string, HostTensor>();
    for (const name of wanted) {
      if (opts.filter && !opts.filter(name)) continue;
      const info = infos.get(name);
      if (!info) throw new SafetensorsError(`${path}: no tensor named "${name}"`);
      const buf = Buffer.alloc(info.end - info.begin);
      if (buf.length) readSync(fd, buf, 0, buf.length, info.begin);
      out.set(name, { shape: info.shape, data: decode(buf, info.dtype, numel(info.shape), `${path}: tensor "${name}"`) });
    }
    return { tensors: out, metadata };
  } finally {
    closeSync(fd);
  }
}

/** Bytes per value of each float dtype Tunelab writes. */
export const FLOAT_WIDTH: Record<FloatDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/**
 * The start of a safetensors file: the 8-byte little-endian header length, then the JSON header
 * (space-padded to a multiple of 8) for `tensors` stored back to back in the order given, with
 * `metadata` as `__metadata__` when given. The tensors' bytes follow it.
 */
export function safetensorsHeader(tensors: readonly { name: string; shape: readonly number[] }[], dtype: FloatDtype, metadata?: Record<string, string>): [Buffer, Buffer] {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const { name, shape } of tensors) {
    const bytes = numel(shape) * FLOAT_WIDTH[dtype];
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return [len, json];
}

/** Encodes float32 tensors into safetensors bytes (names sorted; header space-padded to 8). */
export function encodeSafetensors(tensors: Map<string, HostTensor>, opts: { dtype?: FloatDtype; metadata?: Record<string, string> } = {}): Buffer[] {
  const dtype = opts.dtype ?? 'F32';
  const width = FLOAT_WIDTH[dtype];
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name) as HostTensor;
    if (t.data.length !== numel(t.shape)) throw new SafetensorsError(`tensor "${name}": ${t.data.length} values for shape [${t.shape.join(', ')}]`);
  }
  const metadata = opts.metadata && Object.keys(opts.metadata).length ? opts.metadata : undefined;
  const parts: Buffer[] = safetensorsHeader(names.map((name) => ({ name, shape: (tensors.get(name) as HostTensor).shape })), dtype, metadata);
  for (const name of names) {
    const { data } = tensors.get(name) as HostTensor;
    const buf = Buffer.alloc(data.length * width);
    if (dtype === 'F32' && LITTLE_ENDIAN) Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(buf);
    else if (dtype === 'F32') for (let i = 0; i < data.length; i++) buf.writeFloatLE(data[i], i * 4);
    else if (dtype === 'F16') for (let i = 0; i < data.length; i++) buf.writeUInt16LE(floatToHalf(data[i]), i * 2);
    else for (let i = 0; i < data.length; i++) buf.writeUInt16LE(floatToBf16(data[i]), i * 2);
    parts.push(buf);
  }
  return parts;
}

/** Writes tensors to `path` (F32 by default; F16/BF16 on request) atomically. */
export function writeSafetensors(path: string, tensors: Map<string, HostTensor>, opts: { dtype?: FloatDtype; metadata?: Record<string, string> } = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, opts), { fsync: true });
}
