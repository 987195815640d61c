#!/usr/bin/env python3
"""PyTorch peer of bench/merge.ts: the per-tensor operations mergekit runs on the CPU (torch.argsort
top-k for TIES, torch.bernoulli + L1 rescale for DARE, sum sign election, numpy slerp), streamed
tensor by tensor over the same BF16 safetensors files, float32 arithmetic, BF16 output. mergekit itself
needs transformers/pydantic from PyPI, which this machine cannot reach; this is its tensor path.

Usage: merge_torch.py --method linear|ties|dare_ties|slerp|passthrough --base DIR --models DIR DIR --out FILE
Prints one JSON object: wall_s, cpu_s, peak_rss_mb, bytes_in, torch version.
"""
import argparse
import json
import os
import struct
import time

import numpy as np
import torch


PAGE = os.sysconf('SC_PAGE_SIZE')


def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * PAGE


def header(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        h = json.loads(f.read(n))
    h.pop('__metadata__', None)
    return h, 8 + n


def read(path, start, info):
    b, e = info['data_offsets']
    with open(path, 'rb') as f:
        f.seek(start + b)
        raw = f.read(e - b)
    assert info['dtype'] == 'BF16'
    u = np.frombuffer(raw, dtype=np.int16).copy()
    return torch.from_numpy(u).view(torch.bfloat16).float().reshape(info['shape'])


def slerp(t, v0, v1, eps=1e-8):
    a = v0.numpy().astype(np.float32)
    b = v1.numpy().astype(np.float32)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    ua = a / na if na > eps else a
    ub = b / nb if nb > eps else b
    dot = np.sum(ua * ub)
    if abs(dot) > 0.9995:
        return torch.from_numpy((1 - t) * a + t * b)
    th = np.arccos(dot)
    return torch.from_numpy(np.sin(th * (1 - t)) / np.sin(th) * a + np.sin(th * t) / np.sin(th) * b)


def gta(base, xs, weights, densities, method):
    deltas = []
    for x, d in zip(xs, densities):
        delta = x - base
        if method == 'ties' and d < 1:
            k = int(d * delta.numel())
            mask = torch.zeros_like(delta)
            mask.view(-1)[torch.argsort(delta.abs().view(-1), descending=True)[:k]] = 1
            delta = delta * mask
        elif method == 'dare_ties' and d < 1:
            mask = torch.bernoulli(torch.full_like(delta, d))
            masked = delta * mask
            before, after = delta.abs().sum(), masked.abs().sum()
            delta = masked * (before / after) if before >= 1e-7 and after >= 1e-7 else masked
        deltas.append(delta)
    deltas = torch.stack(deltas)
    w = torch.tensor(weights).view(-1, *([1] * base.dim()))
    wd = deltas * w
    sign = wd.sign()
    majority = (wd.sum(dim=0) >= 0).float() * 2 - 1
    mask = sign == majority
    mixed = (wd * mask).sum(dim=0)
    if method == 'ties':
        divisor = (w * mask).sum(dim=0)
        divisor[divisor == 0] = 1
        mixed = mixed / divisor
    return base + mixed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--method', required=True)
    ap.add_argument('--base', required=True)
    ap.add_argument('--models', nargs='+', required=True)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    torch.manual_seed(42)
    t0, c0 = time.time(), time.process_time()
    files = [os.path.join(d, 'model.safetensors') for d in [a.base] + a.models]
    heads = [header(f) for f in files]
    names = list(heads[0][0].keys())
    # Headers first (shapes are known), then each tensor written as soon as it is merged.
    hdr, off = {}, 0
    for name in names:
        shape = heads[0][0][name]['shape']
        n = int(np.prod(shape)) * 2
        hdr[name] = {'dtype': 'BF16', 'shape': shape, 'data_offsets': [off, off + n]}
        off += n
    hb = json.dumps(hdr).encode()
    hb += b' ' * ((8 - len(hb) % 8) % 8)
    bytes_in = 0
    peak = rss()
    with open(a.out, 'wb') as f:
        f.write(struct.pack('<Q', len(hb)))
        f.write(hb)
        for name in names:
            ts = [read(p, start, h[name]) for p, (h, start) in zip(files, heads)]
            bytes_in += sum(t.numel() * 2 for t in ts)
            base, xs = ts[0], ts[1:]
            if a.method == 'passthrough':
                r = base
            elif a.method == 'linear':
                r = sum(0.5 * t for t in ts) / (0.5 * len(ts))
            elif a.method == 'slerp':
                r = slerp(0.5, base, xs[0])
            else:
                r = gta(base, xs, [0.6] * len(xs), [0.5] * len(xs), a.method)
            f.write(r.to(torch.bfloat16).view(torch.int16).numpy().tobytes())
            peak = max(peak, rss())  # sampled per tensor (ru_maxrss would include the parent's)
    print(json.dumps({'wall_s': time.time() - t0, 'cpu_s': time.process_time() - c0, 'peak_rss_mb': peak / 2 ** 20, 'bytes_in': bytes_in, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
