#!/usr/bin/env python3
"""Independent facts about the run-import fixtures (common/runs/test/fixtures).

The expectations in common/runs/test/runs.test.ts and cli/test/runsCommand.test.ts are read
from this script's output, not from what our TypeScript readers print: it decodes the
TensorBoard file with `struct` alone (TFRecord framing, masked CRC-32C, the few Event/Summary
protobuf fields that carry scalars), reads trainer_state.json with `json`, and the console log's
Python dicts with `ast.literal_eval`. Standard library only; CI runs no Python.

    python3 scripts/reference/runs_fixture_facts.py
"""
import ast
import json
import os
import re
import struct

FIX = os.path.join(os.path.dirname(__file__), '..', '..', 'common', 'runs', 'test', 'fixtures')


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(data: bytes) -> int:
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf: bytes, i: int):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def fields(buf: bytes):
    """(field number, wire type, value) for each field of one protobuf message."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 2:
            n, i = varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f'wire type {wt}')
        yield num, wt, v


def tfevents(path: str):
    data = open(path, 'rb').read()
    off = 0
    records = []
    while off < len(data):
        (length,) = struct.unpack_from('<Q', data, off)
        (len_crc,) = struct.unpack_from('<I', data, off + 8)
        assert len_crc == masked(data[off:off + 8]), f'length crc at {off}'
        body = data[off + 12:off + 12 + length]
        (body_crc,) = struct.unpack_from('<I', data, off + 12 + length)
        assert body_crc == masked(body), f'data crc at {off}'
        records.append(body)
        off += 12 + length + 4
    wall0 = None
    version = None
    scalars = []
    for rec in records:
        wall = step = None
        summary = None
        for num, wt, v in fields(rec):
            if num == 1 and wt == 1:
                (wall,) = struct.unpack('<d', v)
            elif num == 2 and wt == 0:
                step = v
            elif num == 3 and wt == 2:
                version = v.decode()
            elif num == 5 and wt == 2:
                summary = v
        if wall0 is None:
            wall0 = wall
        if summary is None:
            continue
        for num, wt, value in fields(summary):
            if num != 1:
                continue
            tag = None
            simple = None
            for vn, vwt, vv in fields(value):
                if vn == 1 and vwt == 2:
                    tag = vv.decode()
                elif vn == 2 and vwt == 5:
                    (simple,) = struct.unpack('<f', vv)
            if simple is not None:
                scalars.append((tag, step, simple, wall))
    return {'bytes': len(data), 'records': len(records), 'fileVersion': version, 'firstWallTime': wall0, 'scalars': scalars}


def trainer_state(path: str):
    state = json.load(open(path))
    hist = state['log_history']
    steps = [h for h in hist if 'loss' in h]
    evals = [h for h in hist if 'eval_loss' in h]
    final = [h for h in hist if 'train_runtime' in h]
    return {
        'max_steps': state.get('max_steps'), 'global_step': state.get('global_step'),
        'steps': len(steps), 'first': steps[0], 'last': steps[-1],
        'evalSteps': [e['step'] for e in evals], 'lastEvalLoss': evals[-1]['eval_loss'] if evals else None,
        'final': final[0] if final else None,
    }


def console_log(path: str):
    text = open(path, encoding='utf-8').read()
    dicts = [ast.literal_eval(m.group(0)) for m in re.finditer(r"\{'(?:loss|eval_loss|train_runtime)'[^{}]*\}", text)]
    bars = [(m.start(), int(m.group(1)), int(m.group(2))) for m in re.finditer(r'(\d+)/(\d+)\s*\[', text)]
    total = max(b[2] for b in bars)
    train = [b for b in bars if b[2] == total]
    # tqdm redraws the bar at the same count when Transformers writes a log line through it.
    redraws = [train[i][1] for i in range(1, len(train)) if train[i][1] == train[i - 1][1]]
    first_dict_at = text.index(str(dicts[0]))
    return {
        'totalSteps': total, 'dicts': len(dicts), 'lossDicts': sum('loss' in d for d in dicts),
        'first': dicts[0], 'last_loss': [d for d in dicts if 'loss' in d][-1], 'final': dicts[-1],
        'dictsAfterLastBar': first_dict_at > train[-1][0], 'redraws': redraws,
    }


if __name__ == '__main__':
    tb = tfevents(os.path.join(FIX, 'tb-summarywriter', 'events.out.tfevents.1622543341.janoshs-mbp.lan.86862.0'))
    s = tb['scalars']
    print('tfevents:', {k: v for k, v in tb.items() if k != 'scalars'})
    print('  scalars', len(s), 'tags', sorted({t for t, *_ in s}), 'steps', s[0][1], '..', s[-1][1])
    print('  first', s[0], 'repr(float32→double)', repr(s[0][2]))
    print('  last', s[-1], repr(s[-1][2]))
    print('  last wall - first wall', s[-1][3] - tb['firstWallTime'])
    for name in ('hf-lora-output', 'hf-asr-checkpoint'):
        print(name, trainer_state(os.path.join(FIX, name, 'trainer_state.json')))
    print('console', console_log(os.path.join(FIX, 'llamafactory-console', 'training_v3.log')))
