#!/usr/bin/env python3
"""Writes common/runs/test/fixtures/tb-lora-replay/events.out.tfevents.* from a real run's numbers.

No TensorBoard event file of a Transformers run with a redistributable licence was found, so this
script writes one itself, independently of our TypeScript reader (standard library only): TFRecord
framing (u64 length, masked CRC-32C of the length, data, masked CRC-32C of the data) around Event
protobufs encoded by hand. The values are those of a real run, the log_history of
fixtures/hf-lora-output/trainer_state.json (CC BY 4.0, see PROVENANCE.md), laid out as
Transformers' TensorBoardCallback lays them out: one Event per scalar, tags `train/<key>`, float32
`simple_value`, the trainer's global step as the Event's step. Wall times are not in
trainer_state.json: the first record carries the run's process start as printed in its console log
(1748450196.78), and each logging step is placed at start + train_runtime * step / max_steps.

    python3 scripts/reference/make_tfevents_fixture.py
"""
import json
import os
import struct

FIX = os.path.join(os.path.dirname(__file__), '..', '..', 'common', 'runs', 'test', 'fixtures')
START = 1748450196.78
OUT = os.path.join(FIX, 'tb-lora-replay', 'events.out.tfevents.1748450196.tunelab-fixture.0')


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


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def length_delimited(field: int, payload: bytes) -> bytes:
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def event(wall: float, step: int = 0, file_version: str = None, tag: str = None, value: float = None) -> bytes:
    msg = varint(1 << 3 | 1) + struct.pack('<d', wall)
    if step:
        msg += varint(2 << 3 | 0) + varint(step)
    if file_version is not None:
        msg += length_delimited(3, file_version.encode())
    if tag is not None:
        summary_value = length_delimited(1, tag.encode()) + varint(2 << 3 | 5) + struct.pack('<f', value)
        msg += length_delimited(5, length_delimited(1, summary_value))
    return msg


def record(data: bytes) -> bytes:
    head = struct.pack('<Q', len(data))
    return head + struct.pack('<I', masked(head)) + data + struct.pack('<I', masked(data))


def main() -> None:
    state = json.load(open(os.path.join(FIX, 'hf-lora-output', 'trainer_state.json')))
    max_steps = state['max_steps']
    final = next(h for h in state['log_history'] if 'train_runtime' in h)
    runtime = final['train_runtime']
    out = [record(event(START, file_version='brain.Event:2'))]
    for h in state['log_history']:
        step = h['step']
        wall = START + runtime * step / max_steps
        # The order Transformers logs them in (loss, grad_norm, learning_rate, epoch; then the summary).
        keys = ['loss', 'grad_norm', 'learning_rate', 'epoch'] if 'loss' in h else \
            ['train_runtime', 'train_samples_per_second', 'train_steps_per_second', 'total_flos', 'train_loss', 'epoch']
        for k in keys:
            tag = 'train/' + k
            out.append(record(event(wall, step, tag=tag, value=h[k])))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    tmp = OUT + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(b''.join(out))
    os.replace(tmp, OUT)
    print(OUT, sum(len(r) for r in out), 'bytes,', len(out), 'records')


if __name__ == '__main__':
    main()
