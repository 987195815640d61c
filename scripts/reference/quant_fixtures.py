#!/usr/bin/env python3
"""Quantiser fixtures for Tunelab's tests, from an independent PyTorch implementation.

This re-implements, in plain PyTorch (bitsandbytes itself needs a GPU build and is not installed),
the weight quantisation bitsandbytes documents and implements in its reference ("default") backend:

- 4-bit (quantize_4bit): the weight flattened row-major, blocks of 64, absmax per block,
  scaled = clamp(w * (1 / absmax), -1, 1) in float32 (a trailing partial block divides), code =
  torch.bucketize(scaled, midpoints of the sorted code values) for NF4; for FP4 the sign bit
  (0b1000) is the sign of w and the magnitude is bucketed among the 8 non-negative values (the
  CUDA kernel's convention). Two codes per byte, the first in the high nibble.
- Double quantisation (compress_statistics): offset = absmax.mean() (summed in float64); the centred absmax is
  quantised block-wise (256) against create_dynamic_map(signed=True) the same way.
- Dequantisation: code[q] * absmax (absmax = dyn[qa] * absmax2 + offset when nested), float32.
- 8-bit (int8_vectorwise_quant / dequant): row absmax, round(w * (127 / absmax)),
  dequant = q * absmax * (1/127).

Writes trainer/test/fixtures/quant/quant.safetensors: for each case the input weight, the codes
(one per value, U8/I8), the block constants and the dequantised weight, plus the dynamic map.

Run once with Debian's python3-torch:  /usr/bin/python3 scripts/reference/quant_fixtures.py
"""
import json
import os
import struct

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'trainer', 'test', 'fixtures', 'quant')

DTYPES = {torch.float32: 'F32', torch.uint8: 'U8', torch.int8: 'I8'}


def write_safetensors(path, tensors):
    header = {'__metadata__': {'format': 'pt', 'source': 'scripts/reference/quant_fixtures.py'}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        b = t.numpy().tobytes()
        header[name] = {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------- code tables

NF4 = torch.tensor([
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
    0.7229568362236023, 1.0], dtype=torch.float32)

FP4 = torch.tensor([0, 0.0625, 8.0, 12.0, 4.0, 6.0, 2.0, 3.0, -0.0, -0.0625, -8.0, -12.0, -4.0, -6.0, -2.0, -3.0], dtype=torch.float32)
FP4 = FP4 / FP4.abs().max()


def dynamic_map():
    """Signed dynamic 8-bit map: 2^i mantissa midpoints per decade 10^(i-6), both signs, 0 and 1."""
    data = []
    for i in range(7):
        b = torch.linspace(0.1, 1, 2 ** i + 1, dtype=torch.float32)
        means = (b[:-1] + b[1:]) / 2.0
        data += ((10 ** (i - 6)) * means).tolist()
        data += (-(10 ** (i - 6)) * means).tolist()
    data += [0.0, 1.0]
    data.sort()
    return torch.tensor(data, dtype=torch.float32)


DYN = dynamic_map()


def scale_blocks(flat, block):
    n = flat.numel()
    full = n - n % block
    absmax = flat[:full].reshape(-1, block).abs().max(dim=-1)[0]
    scaled = torch.clamp(flat[:full].reshape(-1, block) * (1.0 / absmax.clamp(min=1e-38).view(-1, 1)), -1, 1).reshape(-1)
    if n % block:
        am = flat[full:].abs().max().clamp(min=1e-38)
        absmax = torch.cat([absmax, flat[full:].abs().max().unsqueeze(0)])
        scaled = torch.cat([scaled, torch.clamp(flat[full:] / am, -1, 1)])
    return scaled, absmax


def bucket(values_sorted, x):
    bounds = (values_sorted[:-1] + values_sorted[1:]) / 2
    return torch.bucketize(x, bounds)


def codes4(scaled, qtype):
    if qtype == 'nf4':
        return bucket(NF4, scaled).to(torch.uint8)
    mag_codes = torch.tensor([0, 1, 6, 7, 4, 5, 2, 3])
    mag = mag_codes[bucket(FP4[mag_codes], scaled.abs())]
    return (mag + (scaled < 0).to(torch.int64) * 8).to(torch.uint8)


def quantize4(w, qtype, double):
    flat = w.reshape(-1).float()
    scaled, absmax = scale_blocks(flat, 64)
    q = codes4(scaled, qtype)
    out = {'codes': q, 'absmax': absmax}
    table = NF4 if qtype == 'nf4' else FP4
    if double:
        # bitsandbytes takes absmax.mean() in float32; the sum is done in float64 here (and in
        # Tunelab) so the result does not depend on torch's reduction order (at most 1 ulp apart).
        offset = absmax.double().mean().float()
        s2, absmax2 = scale_blocks(absmax - offset, 256)
        qa = bucket(DYN, s2).to(torch.uint8)
        out.update({'absmax_codes': qa, 'absmax2': absmax2, 'offset': offset.reshape(1)})
        n = qa.numel()
        deq_absmax = DYN[qa.long()] * absmax2.repeat_interleave(256)[:n] + offset
    else:
        deq_absmax = absmax
    n = flat.numel()
    out['dequant'] = (table[q.long()] * deq_absmax.repeat_interleave(64)[:n]).reshape(w.shape)
    # Packing: element 2j in the high nibble.
    padded = torch.cat([q, torch.zeros(n % 2, dtype=torch.uint8)])
    out['packed'] = (padded[0::2] << 4) | padded[1::2]
    return out


def quantize8(w):
    row = w.abs().max(dim=1).values.float()
    safe = torch.where(row == 0, torch.ones_like(row), row)
    q = torch.round(w * (127.0 / safe.unsqueeze(-1)))
    q = torch.where(row.unsqueeze(-1) == 0, torch.zeros_like(q), q).to(torch.int8)
    deq = q.float() * row.view(-1, 1) * 7.874015718698502e-3
    return {'codes': q, 'row_absmax': row, 'dequant': deq}


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(20260503)
    weights = {
        # 300 blocks of 64: two nested blocks of 256 constants, the second partial.
        'large': torch.randn(96, 200, generator=g) * 0.02,
        # 135 values: an odd count and a trailing partial block of 7.
        'odd': torch.randn(5, 27, generator=g),
        # Special values: an all-zero block and row, exact code values, heavy tails.
        'special': torch.cat([
            torch.zeros(1, 64),
            (NF4 * 0.5).repeat(4).reshape(1, 64),
            torch.randn(1, 64, generator=g) ** 3,
            torch.linspace(-1, 1, 64).reshape(1, 64),
        ]),
    }
    tensors = {'dynamic_map': DYN}
    for name, w in weights.items():
        w = w.float().contiguous()
        tensors[f'{name}.weight'] = w
        for qtype in ('nf4', 'fp4'):
            for double in (False, True):
                if qtype == 'fp4' and name == 'large' and not double:
                    continue
                r = quantize4(w, qtype, double)
                key = f'{name}.{qtype}{".dq" if double else ""}'
                for k, v in r.items():
                    tensors[f'{key}.{k}'] = v
        for k, v in quantize8(w).items():
            tensors[f'{name}.int8.{k}'] = v
    write_safetensors(os.path.join(OUT, 'quant.safetensors'), tensors)
    print(f'wrote {len(tensors)} tensors to {OUT}/quant.safetensors')


if __name__ == '__main__':
    main()
