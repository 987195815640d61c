/**
 * A minimal protocol-buffers wire-format reader: enough to walk TensorBoard's Event, Summary and
 * TensorProto messages without a generated schema. Every read is bounds-checked and throws a
 * {@link ProtobufError} carrying the byte offset, so a damaged record is reported where it breaks.
 */
export class ProtobufError extends Error {
  constructor(
    message: string,
    /** Offset inside the message being decoded. */
    readonly offset: number,
  ) {
    super(message);
  }
}

/** One field as it appears on the wire; `bytes` for length-delimited fields, `value` otherwise. */
export type WireField =
  | { field: number; wire: 0; value: bigint }
  | { field: number; wire: 1; bytes: Uint8Array }
  | { field: number; wire: 2; bytes: Uint8Array; start: number }
  | { field: number; wire: 5; bytes: Uint8Array };

export class ProtoReader {
  private pos: number;
  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint', this.pos);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new ProtobufError('varint longer than 10 bytes', this.pos);
  }

  private take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.end) throw new ProtobufError(`field of ${n} bytes runs past the end of its message`, this.pos);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The next field, or throws on a malformed or unsupported (group) wire type. */
  next(): WireField {
    const at = this.pos;
    const key = this.varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new ProtobufError('field number 0', at);
    switch (wire) {
      case 0:
        return { field, wire, value: this.varint() };
      case 1:
        return { field, wire, bytes: this.take(8) };
      case 2: {
        const len = Number(this.varint());
        const start = this.pos;
        return { field, wire, bytes: this.take(len), start };
      }
      case 5:
        return { field, wire, bytes: this.take(4) };
      default:
        throw new ProtobufError(`unsupported wire type ${wire} (field ${field})`, at);
    }
  }
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
export const f32 = (b: Uint8Array): number => view(b).getFloat32(0, true);
export const f64 = (b: Uint8Array): number => view(b).getFloat64(0, true);
export const utf8 = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Reads a packed (or single, unpacked) repeated scalar field into numbers. */
export function packedFloats(f: WireField): number[] {
  if (f.wire === 5) return [f32(f.bytes)];
  if (f.wire !== 2) return [];
  const out: number[] = [];
  for (let i = 0; i + 4 <= f.bytes.length; i += 4) out.push(f32(f.bytes.subarray(i, i + 4)));
  return out;
}

export function packedDoubles(f: WireField): number[] {
  if (f.wire === 1) return [f64(f.bytes)];
  if (f.wire !== 2) return [];
  const out: number[] = [];
  for (let i = 0; i + 8 <= f.bytes.length; i += 8) out.push(f64(f.bytes.subarray(i, i + 8)));
  return out;
}

export function packedVarints(f: WireField): bigint[] {
  if (f.wire === 0) return [f.value];
  if (f.wire !== 2) return [];
  const r = new ProtoReader(f.bytes);
  const out: bigint[] = [];
  while (!r.done()) out.push(r.varint());
  return out;
}
