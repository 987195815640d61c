/**
 * TensorBoard event files (`events.out.tfevents.*`): TFRecord framing around `Event` protocol
 * buffers. Each record is
 *
 *   u64 length (LE) · u32 masked CRC-32C of those 8 bytes · length bytes of data · u32 masked CRC-32C of the data
 *
 * and each data block an `Event` (wall_time = 1, step = 2, file_version = 3, summary = 5). Scalars
 * come either as `Summary.Value.simple_value` (field 2: tensorboardX, PyTorch's SummaryWriter, the
 * Hugging Face TensorBoard callback) or as a rank-0 `TensorProto` (field 8: TF2 `tf.summary.scalar`,
 * plugin "scalars"). Everything else (text, images, histograms, graphs) is skipped.
 */
import { maskedCrc32c } from './crc32c';
import { f32, f64, packedDoubles, packedFloats, packedVarints, ProtobufError, ProtoReader, utf8, type WireField } from './protobuf';

/** One scalar point. */
export interface ScalarPoint {
  tag: string;
  step: number;
  value: number;
  /** Seconds since the epoch (Event.wall_time). */
  wallTime: number;
}

/** A problem found while reading, located by byte offset in the file. */
export interface TfeventsProblem {
  code: 'run-import-crc-mismatch' | 'run-import-truncated' | 'run-import-bad-record';
  /** Byte offset of the record (its length field) in the file. */
  offset: number;
  /** 0-based record index. */
  record: number;
  message: string;
}

export interface TfeventsResult {
  scalars: ScalarPoint[];
  /** Records read (with a valid frame), including the file_version header. */
  records: number;
  /** The file_version header ("brain.Event:2"), when present. */
  fileVersion: string | null;
  /** wall_time of the first event (the writer's start). */
  startWallTime: number | null;
  problems: TfeventsProblem[];
}

const HEADER = 12;
const FOOTER = 4;

/**
 * Reads every record of an event file. A CRC mismatch in a length stops the read (the framing
 * can no longer be trusted); a CRC mismatch in the data skips that record; a final record cut
 * short (a run still writing, a copy interrupted) is reported as truncated. Never throws.
 */
export function readTfevents(data: Uint8Array): TfeventsResult {
  const out: TfeventsResult = { scalars: [], records: 0, fileVersion: null, startWallTime: null, problems: [] };
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  let index = 0;
  while (pos < data.length) {
    const at = pos;
    if (data.length - pos < HEADER) {
      out.problems.push({ code: 'run-import-truncated', offset: at, record: index, message: `record ${index} at byte ${at}: the file ends inside a record header (${data.length - pos} of 12 bytes)` });
      break;
    }
    const lenBig = dv.getBigUint64(pos, true);
    const lenCrc = dv.getUint32(pos + 8, true);
    if (maskedCrc32c(data, pos, pos + 8) !== lenCrc) {
      out.problems.push({ code: 'run-import-crc-mismatch', offset: at, record: index, message: `record ${index} at byte ${at}: the length's CRC does not match (not an event file, or damaged here); reading stops` });
      break;
    }
    if (lenBig > BigInt(data.length - pos - HEADER - FOOTER)) {
      out.problems.push({ code: 'run-import-truncated', offset: at, record: index, message: `record ${index} at byte ${at}: ${lenBig} bytes announced, ${Math.max(0, data.length - pos - HEADER - FOOTER)} left (a file still being written or cut short)` });
      break;
    }
    const len = Number(lenBig);
    const start = pos + HEADER;
    const end = start + len;
    const dataCrc = dv.getUint32(end, true);
    pos = end + FOOTER;
    out.records++;
    if (maskedCrc32c(data, start, end) !== dataCrc) {
      out.problems.push({ code: 'run-import-crc-mismatch', offset: at, record: index, message: `record ${index} at byte ${at}: the data's CRC does not match; the record is skipped` });
      index++;
      continue;
    }
    try {
      decodeEvent(data.subarray(start, end), out);
    } catch (e) {
      const where = e instanceof ProtobufError ? ` (byte ${start + e.offset})` : '';
      out.problems.push({ code: 'run-import-bad-record', offset: at, record: index, message: `record ${index} at byte ${at}: not a valid Event${where}: ${(e as Error).message}` });
    }
    index++;
  }
  return out;
}

function decodeEvent(buf: Uint8Array, out: TfeventsResult): void {
  const r = new ProtoReader(buf);
  let wallTime = 0;
  let step = 0;
  const summaries: Uint8Array[] = [];
  while (!r.done()) {
    const f = r.next();
    if (f.field === 1 && f.wire === 1) wallTime = f64(f.bytes);
    else if (f.field === 2 && f.wire === 0) step = Number(BigInt.asIntN(64, f.value));
    else if (f.field === 3 && f.wire === 2) out.fileVersion = utf8(f.bytes);
    else if (f.field === 5 && f.wire === 2) summaries.push(f.bytes);
  }
  if (out.startWallTime === null && wallTime > 0) out.startWallTime = wallTime;
  // wall_time and step may follow the summary on the wire: read the summary last.
  for (const s of summaries) {
    const sr = new ProtoReader(s);
    while (!sr.done()) {
      const f = sr.next();
      if (f.field === 1 && f.wire === 2) {
        const v = decodeValue(f.bytes);
        if (v) out.scalars.push({ tag: v.tag, step, value: v.value, wallTime });
      }
    }
  }
}

/** Summary.Value → a scalar, or null when it holds something else. */
function decodeValue(buf: Uint8Array): { tag: string; value: number } | null {
  const r = new ProtoReader(buf);
  let tag = '';
  let simple: number | null = null;
  let tensor: Uint8Array | null = null;
  let plugin = '';
  while (!r.done()) {
    const f = r.next();
    if (f.field === 1 && f.wire === 2) tag = utf8(f.bytes);
    else if (f.field === 2 && f.wire === 5) simple = f32(f.bytes);
    else if (f.field === 8 && f.wire === 2) tensor = f.bytes;
    else if (f.field === 9 && f.wire === 2) plugin = pluginName(f.bytes);
  }
  if (simple !== null) return { tag, value: simple };
  if (tensor && (plugin === 'scalars' || plugin === '')) {
    const v = tensorScalar(tensor);
    if (v !== null) return { tag, value: v };
  }
  return null;
}

function pluginName(metadata: Uint8Array): string {
  const r = new ProtoReader(metadata);
  while (!r.done()) {
    const f = r.next();
    if (f.field === 1 && f.wire === 2) {
      const pr = new ProtoReader(f.bytes);
      while (!pr.done()) {
        const g = pr.next();
        if (g.field === 1 && g.wire === 2) return utf8(g.bytes);
      }
    }
  }
  return '';
}

// TensorFlow DataType values that can hold a scalar metric.
const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_INT64 = 9;
const DT_BFLOAT16 = 14;
const DT_HALF = 19;

/** A rank-0 (or one-element) numeric TensorProto → its value; null for strings and larger tensors. */
export function tensorScalar(buf: Uint8Array): number | null {
  const r = new ProtoReader(buf);
  let dtype = 0;
  let content: Uint8Array | null = null;
  const fields: WireField[] = [];
  while (!r.done()) {
    const f = r.next();
    if (f.field === 1 && f.wire === 0) dtype = Number(f.value);
    else if (f.field === 4 && f.wire === 2) content = f.bytes;
    else fields.push(f);
  }
  const pick = (field: number) => fields.filter((f) => f.field === field);
  if (content && content.length > 0) {
    const dv = new DataView(content.buffer, content.byteOffset, content.byteLength);
    if (dtype === DT_FLOAT && content.length >= 4) return dv.getFloat32(0, true);
    if (dtype === DT_DOUBLE && content.length >= 8) return dv.getFloat64(0, true);
    if (dtype === DT_INT32 && content.length >= 4) return dv.getInt32(0, true);
    if (dtype === DT_INT64 && content.length >= 8) return Number(dv.getBigInt64(0, true));
    if (dtype === DT_HALF && content.length >= 2) return halfToFloat(dv.getUint16(0, true));
    if (dtype === DT_BFLOAT16 && content.length >= 2) return bf16ToFloat(dv.getUint16(0, true));
    return null;
  }
  const first = <T>(xs: T[]): T | undefined => xs[0];
  if (dtype === DT_FLOAT) return first(pick(5).flatMap(packedFloats)) ?? null;
  if (dtype === DT_DOUBLE) return first(pick(6).flatMap(packedDoubles)) ?? null;
  if (dtype === DT_INT32) {
    const v = first(pick(7).flatMap(packedVarints));
    return v === undefined ? null : Number(BigInt.asIntN(32, v));
  }
  if (dtype === DT_INT64) {
    const v = first(pick(10).flatMap(packedVarints));
    return v === undefined ? null : Number(BigInt.asIntN(64, v));
  }
  if (dtype === DT_HALF || dtype === DT_BFLOAT16) {
    const v = first(pick(13).flatMap(packedVarints));
    if (v === undefined) return null;
    return dtype === DT_HALF ? halfToFloat(Number(v) & 0xffff) : bf16ToFloat(Number(v) & 0xffff);
  }
  return null;
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function bf16ToFloat(b: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, b << 16, false);
  return dv.getFloat32(0, false);
}
