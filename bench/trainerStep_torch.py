#!/usr/bin/env python3
"""PyTorch peer of bench/trainerStep.ts: the same Llama-shaped model, batch and step (forward,
masked cross-entropy, backward, AdamW) on the CPU, so tokens/s can be compared in one run.

Usage: trainerStep_torch.py --shape tiny|smollm135m --method full|lora --batch B --seq T
                            --warmup W --steps S --threads N
Prints one JSON object: tokens_per_s (wall), tokens_per_cpu_s (per CPU-second, robust on a shared
machine), step_s, peak_rss_mb, matmul_gflops (1024^3 per CPU-second x threads), torch version.
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {
    'tiny': dict(vocab=256, hidden=128, layers=2, heads=4, kv=2, inter=384, tied=True),
    'smollm135m': dict(vocab=49152, hidden=576, layers=30, heads=9, kv=3, inter=1536, tied=True),
}


class LoraLinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.a = nn.Parameter(torch.empty(r, base.in_features).uniform_(-1 / math.sqrt(base.in_features), 1 / math.sqrt(base.in_features)))
        self.b = nn.Parameter(torch.zeros(base.out_features, r))
        self.scale = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.a.t() @ self.b.t()) * self.scale


class RMSNorm(nn.Module):
    def __init__(self, n, eps=1e-5):
        super().__init__()
        self.w = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return self.w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Block(nn.Module):
    def __init__(self, s):
        super().__init__()
        C, H, KV, I = s['hidden'], s['heads'], s['kv'], s['inter']
        D = C // H
        self.H, self.KV, self.D = H, KV, D
        self.n1, self.n2 = RMSNorm(C), RMSNorm(C)
        self.q, self.k, self.v, self.o = nn.Linear(C, H * D, bias=False), nn.Linear(C, KV * D, bias=False), nn.Linear(C, KV * D, bias=False), nn.Linear(H * D, C, bias=False)
        self.g, self.u, self.d = nn.Linear(C, I, bias=False), nn.Linear(C, I, bias=False), nn.Linear(I, C, bias=False)

    def forward(self, h, cos, sin, mask):
        B, T, _ = h.shape
        x = self.n1(h)
        q = self.q(x).view(B, T, self.H, self.D).transpose(1, 2)
        k = self.k(x).view(B, T, self.KV, self.D).transpose(1, 2)
        v = self.v(x).view(B, T, self.KV, self.D).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        rep = self.H // self.KV
        k = k[:, :, None].expand(B, self.KV, rep, T, self.D).reshape(B, self.H, T, self.D)
        v = v[:, :, None].expand(B, self.KV, rep, T, self.D).reshape(B, self.H, T, self.D)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.D) + mask, dim=-1)
        h = h + self.o((att @ v).transpose(1, 2).reshape(B, T, -1))
        x = self.n2(h)
        return h + self.d(F.silu(self.g(x)) * self.u(x))


class Llama(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.emb = nn.Embedding(s['vocab'], s['hidden'])
        self.blocks = nn.ModuleList(Block(s) for _ in range(s['layers']))
        self.norm = RMSNorm(s['hidden'])
        D = s['hidden'] // s['heads']
        self.inv = 1.0 / (10000.0 ** (torch.arange(0, D, 2).float() / D))

    def forward(self, ids):
        B, T = ids.shape
        f = torch.arange(T).float()[:, None] * self.inv[None]
        e = torch.cat((f, f), -1)
        cos, sin = e.cos()[None, None], e.sin()[None, None]
        mask = torch.full((T, T), float('-inf')).triu(1)
        h = self.emb(ids)
        for b in self.blocks:
            h = b(h, cos, sin, mask)
        return self.norm(h) @ self.emb.weight.t()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--shape', default='tiny')
    p.add_argument('--method', default='lora')
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--seq', type=int, default=128)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--threads', type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    s = SHAPES[a.shape]
    model = Llama(s)
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
    nn.init.normal_(model.emb.weight, std=0.02)
    if a.method == 'lora':
        for p_ in model.parameters():
            p_.requires_grad_(False)
        for b in model.blocks:
            for name in ('q', 'k', 'v', 'o', 'g', 'u', 'd'):
                setattr(b, name, LoraLinear(getattr(b, name), 16, 32))
    params = [p_ for p_ in model.parameters() if p_.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, s['vocab'], (a.batch, a.seq), generator=g)
    labels = ids.clone()
    labels[:, : a.seq // 2] = -100  # loss on the second half, as an instruction mask would

    def step():
        logits = model(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, s['vocab']), labels[:, 1:].reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    c0 = time.process_time()
    for _ in range(a.steps):
        step()
    dt = (time.perf_counter() - t0) / a.steps
    cpu = (time.process_time() - c0) / a.steps

    x = torch.randn(1024, 1024)
    torch.mm(x, x)
    t1 = time.process_time()
    for _ in range(10):
        torch.mm(x, x)
    gflops = 2 * 1024 ** 3 * 10 / (time.process_time() - t1) / 1e9 * a.threads
    print(json.dumps({
        'tokens_per_s': a.batch * a.seq / dt, 'tokens_per_cpu_s': a.batch * a.seq / cpu, 'step_s': dt,
        'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'matmul_gflops': gflops, 'threads': a.threads, 'torch': torch.__version__,
    }))


if __name__ == '__main__':
    main()
