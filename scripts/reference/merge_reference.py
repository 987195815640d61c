#!/usr/bin/env python3
"""Expected merges for Tunelab's model-merging tests, from an independent numpy implementation.

Written from the method definitions (Ilharco et al. task arithmetic; Yadav et al. TIES with
mergekit's "sum" sign election; Yu et al. DARE with mergekit's L1-norm rescale; Model Breadcrumbs;
SLERP as in mergekit's slerp.py; mergekit's evaluate_setting for gradients) in float64 numpy, with
no code shared with the TypeScript side. Random masks (DARE, DELLA) are drawn here and written into
the fixture, so both sides apply the same masks and the comparison is exact up to float32 rounding.

Run once:  python3 scripts/reference/merge_reference.py
Writes:    trainer/test/merge/fixtures/merge_reference.json
"""
import json
import os

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'trainer', 'test', 'merge', 'fixtures', 'merge_reference.json')

rng = np.random.default_rng(20240607)
SHAPE = (4, 6)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def tensor():
    return f32(rng.normal(0, 1, SHAPE))


def as_list(a):
    return [float(x) for x in np.asarray(a, dtype=np.float64).ravel()]


# ------------------------------------------------------------------ methods


def linear(xs, ws, normalize):
    ws = np.asarray(ws, dtype=np.float64)
    total = sum(w * x for w, x in zip(ws, xs))
    return total / ws.sum() if normalize else total


def topk_mask(delta, density):
    """Keep floor(density * n) largest |delta|; equal magnitudes: earlier position first."""
    if density >= 1:
        return np.ones(delta.size, dtype=np.uint8)
    flat = np.abs(delta.ravel())
    k = int(density * flat.size)
    order = np.argsort(-flat, kind='stable')
    mask = np.zeros(flat.size, dtype=np.uint8)
    mask[order[:k]] = 1
    return mask


def breadcrumbs_mask(delta, density, gamma):
    flat = np.abs(delta.ravel())
    n = flat.size
    target = int(density * n)
    n_top = int(gamma * n)
    n_bot = n - target - n_top
    if n_bot < 0:
        n_top += n_bot
        n_bot = 0
    order = np.argsort(flat, kind='stable')
    mask = np.zeros(n, dtype=np.uint8)
    if n_top > 0:
        mask[order[n_bot:n - n_top]] = 1
    return mask


def masked(delta, mask, rescale):
    out = delta.ravel() * mask
    if rescale:
        before = np.abs(delta).sum()
        after = np.abs(out).sum()
        if before >= 1e-7 and after >= 1e-7:
            out = out * (before / after)
    return out.reshape(delta.shape)


def gta(base, xs, ws, masks, consensus, normalize, lam, rescale):
    deltas = [masked(x - base, m, rescale) for x, m in zip(xs, masks)]
    weighted = np.stack([w * d for w, d in zip(ws, deltas)])
    wvec = np.asarray(ws, dtype=np.float64).reshape(-1, 1, 1) * np.ones_like(weighted)
    if consensus:
        elected = np.where(weighted.sum(axis=0) >= 0, 1.0, -1.0)
        agree = (np.sign(weighted) == elected).astype(np.float64)
        mixed = (weighted * agree).sum(axis=0)
        divisor = (wvec * agree).sum(axis=0)
        divisor[divisor == 0] = 1
    else:
        mixed = weighted.sum(axis=0)
        divisor = np.sum(ws)
        if abs(divisor) < 1e-8:
            divisor = 1
    if normalize:
        mixed = mixed / divisor
    return base + lam * mixed


def slerp(t, v0, v1):
    a = v0.ravel()
    b = v1.ravel()
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    ua = a / na if na > 1e-8 else a
    ub = b / nb if nb > 1e-8 else b
    dot = float(np.dot(ua, ub))
    if abs(dot) > 0.9995:
        return ((1 - t) * a + t * b).reshape(v0.shape)
    theta = np.arccos(dot)
    s0 = np.sin(theta * (1 - t)) / np.sin(theta)
    s1 = np.sin(theta * t) / np.sin(theta)
    return (s0 * a + s1 * b).reshape(v0.shape)


def evaluate(setting, name, t):
    if not isinstance(setting, list):
        return setting
    if all(isinstance(e, (int, float)) and not isinstance(e, bool) for e in setting):
        pos = t * (len(setting) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(setting) - 1)
        return setting[lo] + (pos - lo) * (setting[hi] - setting[lo])
    for cond in setting:
        f = cond.get('filter')
        if f is None or f == '*' or f in name:
            return evaluate(cond['value'], name, t)
    return None


# ------------------------------------------------------------------ cases

base = tensor()
models = [base + 0.3 * tensor() for _ in range(3)]
cases = []


def case(name, method, inputs, params, expected, **extra):
    c = {'name': name, 'method': method, 'shape': list(SHAPE), 'inputs': [as_list(x) for x in inputs], 'params': params, 'expected': as_list(expected)}
    c.update(extra)
    cases.append(c)


for normalize in (True, False):
    ws = [1.0, 0.3, 0.5]
    case(f'linear normalize={normalize}', 'linear', models, {'weights': ws, 'normalize': normalize}, linear(models, ws, normalize))

ws = [0.7, -0.4, 1.2]
ones = [np.ones(base.size, dtype=np.uint8)] * 3
case('task_arithmetic lambda=0.8', 'task_arithmetic', [base] + models, {'weights': ws, 'normalize': False, 'lambda': 0.8},
     gta(base, models, ws, ones, False, False, 0.8, False))

for normalize in (True, False):
    dens = [0.5, 0.7, 0.3]
    ws = [1.0, 0.6, 0.8]
    masks = [topk_mask(x - base, d) for x, d in zip(models, dens)]
    case(f'ties normalize={normalize}', 'ties', [base] + models, {'weights': ws, 'densities': dens, 'normalize': normalize, 'lambda': 1.0},
         gta(base, models, ws, masks, True, normalize, 1.0, False), masks=[[int(v) for v in m] for m in masks])

for method, consensus in (('dare_linear', False), ('dare_ties', True)):
    for rescale in (True, False):
        dens = [0.6, 0.4, 0.8]
        ws = [0.5, 0.9, 0.4]
        masks = [(rng.random(base.size) < d).astype(np.uint8) for d in dens]
        case(f'{method} rescale={rescale}', method, [base] + models, {'weights': ws, 'densities': dens, 'normalize': False, 'rescale': rescale, 'lambda': 1.0},
             gta(base, models, ws, masks, consensus, False, 1.0, rescale), masks=[[int(v) for v in m] for m in masks])

dens = [0.6, 0.5, 0.7]
ws = [1.0, 0.5, 0.5]
gamma = 0.1
masks = [breadcrumbs_mask(x - base, d, gamma) for x, d in zip(models, dens)]
case('breadcrumbs gamma=0.1', 'breadcrumbs', [base] + models, {'weights': ws, 'densities': dens, 'gamma': gamma, 'normalize': False, 'lambda': 1.0},
     gta(base, models, ws, masks, False, False, 1.0, False), masks=[[int(v) for v in m] for m in masks])

for t in (0.0, 0.25, 0.5, 1.0):
    case(f'slerp t={t}', 'slerp', [base, models[0]], {'t': t}, slerp(t, base, models[0]))
case('slerp colinear t=0.3', 'slerp', [base, 2.0 * base], {'t': 0.3}, slerp(0.3, base, 2.0 * base))

# Sign election, by hand: 3 entries, two models; weighted deltas (+2, -1), (-1, -3), (0, +1).
sign_base = np.zeros((1, 3))
sign_models = [np.array([[2.0, -1.0, 0.0]]), np.array([[-1.0, -3.0, 1.0]])]
sign_cases = {
    'base': as_list(sign_base),
    'models': [as_list(m) for m in sign_models],
    # entry 0: sum +1 -> keep +2 / weight 1 -> 2; entry 1: all negative -> (-1-3)/2 = -2; entry 2: sum +1 -> 1/1 = 1
    'expected_normalized': [2.0, -2.0, 1.0],
    'expected_sum': [2.0, -4.0, 1.0],
}

gradients = []
for setting, name, t in [
    ([0, 0.5, 0.3, 0.7, 1], 'model.layers.3.self_attn.q_proj.weight', 0.4),
    ([1, 0.7, 0.1], 'x', 0.75),
    ([{'filter': 'self_attn', 'value': [0, 1]}, {'filter': 'mlp', 'value': 0.25}, {'value': 0.5}], 'model.layers.0.mlp.up_proj.weight', 0.9),
    ([{'filter': 'self_attn', 'value': [0, 1]}, {'value': 0.5}], 'model.layers.0.self_attn.v_proj.weight', 0.3),
    ([{'filter': 'mlp', 'value': 0.5}], 'model.norm.weight', 0.0),
]:
    gradients.append({'setting': setting, 'tensor': name, 't': t, 'expected': evaluate(setting, name, t)})

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, 'w') as f:
    json.dump({'generator': 'scripts/reference/merge_reference.py', 'cases': cases, 'sign_election': sign_cases, 'gradients': gradients}, f, indent=1)
    f.write('\n')
print(f'wrote {len(cases)} cases to {OUT}')
