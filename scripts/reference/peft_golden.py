#!/usr/bin/env python3
"""Golden logits for prefix tuning, prompt tuning and bottleneck adapters, from an independent
PyTorch implementation of what Hugging Face transformers + PEFT compute.

For llama-tiny and gpt2-tiny (the fixtures written by golden_logits.py), this writes, under
trainer/test/fixtures/<name>/peft/<method>/, an adapter directory in PEFT's layout with seeded
random weights, and golden.safetensors with fixed input ids and the logits of the adapted model:

- prefix (PEFT PREFIX_TUNING): `prompt_embeddings` [P, L*2*token_dim] is viewed as
  (P, 2L, Hkv, D) and permuted to (2L, Hkv, P, D); layer l's past keys are entry 2l and its values
  2l+1 (PEFT's get_prompt). They are the past_key_values of the model: used as given (no rotary),
  visible to every query, and the real tokens take positions P..P+T-1 (transformers derives
  positions from the cache length).
- prompt (PEFT PROMPT_TUNING): `prompt_embeddings` [P, C] are concatenated in front of the token
  embeddings (inputs_embeds), positions 0..P+T-1; logits of the real tokens only.
- bottleneck (Tunelab's BOTTLENECK, Houlsby placement): out + up(act(down(out))) on the attention
  and MLP block outputs before each residual add.

Run once with Debian's python3-torch:  /usr/bin/python3 scripts/reference/peft_golden.py
"""
import json
import math
import os
import struct

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
FIX = os.path.join(ROOT, 'trainer', 'test', 'fixtures')
DT = {'F32': torch.float32, 'F64': torch.float64, 'I32': torch.int32, 'F16': torch.float16, 'BF16': torch.bfloat16}


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        a, b = v['data_offsets']
        buf = bytearray(data[a:b])
        if v['dtype'] == 'BF16':
            t = torch.frombuffer(buf, dtype=torch.int16).to(torch.int32) << 16
            t = t.view(torch.float32)
        else:
            t = torch.frombuffer(buf, dtype=DT[v['dtype']])
        out[k] = t.reshape(v['shape']).clone()
    return out


def write_safetensors(path, tensors, metadata=None):
    names = {torch.float32: 'F32', torch.float64: 'F64', torch.int32: 'I32'}
    header, blobs, off = {}, [], 0
    for k in sorted(tensors):
        t = tensors[k].contiguous()
        b = t.numpy().tobytes()
        header[k] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header['__metadata__'] = metadata
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * w + b


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def attention(q, k, v, n_past):
    """q [B, H, T, D]; k, v [B, H, n_past + T, D]: causal over the T new tokens, all past visible."""
    T, S = q.shape[2], k.shape[2]
    mask = torch.zeros(T, S, dtype=torch.float64)
    mask[:, n_past:] = torch.full((T, T), float('-inf'), dtype=torch.float64).triu(1)
    att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + mask, dim=-1)
    return att @ v


def bottleneck(x, a, act):
    if a is None:
        return x
    h = x @ a['down.weight'].T + a['down.bias']
    h = {'swish': torch.nn.functional.silu, 'relu': torch.relu, 'tanh': torch.tanh}[act](h)
    return x + h @ a['up.weight'].T + a['up.bias']


def forward(cfg, w, ids, past=None, prompt=None, adapters=None, act='swish'):
    """ids [1, T] -> logits [T, V] (float64) with optional PEFT prefix past, prompt embeddings or bottleneck adapters."""
    gpt2 = cfg['architectures'][0] == 'GPT2LMHeadModel'
    T = ids.shape[1]
    n_past = past[0][0].shape[2] if past is not None else 0
    n_prompt = prompt.shape[0] if prompt is not None else 0
    emb = w['transformer.wte.weight' if gpt2 else 'model.embed_tokens.weight'][ids]  # [1, T, C]
    if prompt is not None:
        emb = torch.cat([prompt[None], emb], dim=1)
    N = emb.shape[1]
    pos = torch.arange(n_past, n_past + N)[None]
    adapters = adapters or {}
    if gpt2:
        C, H, eps = cfg['n_embd'], cfg['n_head'], cfg['layer_norm_epsilon']
        D, Hkv, L, pre = C // H, cfg['n_head'], cfg['n_layer'], 'transformer.h'
        h = emb + w['transformer.wpe.weight'][pos]
    else:
        C, H, eps = cfg['hidden_size'], cfg['num_attention_heads'], cfg['rms_norm_eps']
        Hkv, L, pre = cfg.get('num_key_value_heads', H), cfg['num_hidden_layers'], 'model.layers'
        D = cfg.get('head_dim') or C // H
        d = D
        inv = 1.0 / (cfg.get('rope_theta', 10000.0) ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
        freqs = pos[:, :, None].double() * inv.double()[None, None, :]
        e = torch.cat((freqs, freqs), dim=-1)
        cos, sin = e.cos()[:, None], e.sin()[:, None]
        h = emb
    for i in range(L):
        p = '%s.%d' % (pre, i)
        lin = lambda x, n: x @ w[p + n + '.weight'].T + (w[p + n + '.bias'] if p + n + '.bias' in w else 0)  # noqa: E731
        conv = lambda x, n: x @ w[p + n + '.weight'] + w[p + n + '.bias']  # noqa: E731
        if gpt2:
            x = layer_norm(h, w[p + '.ln_1.weight'], w[p + '.ln_1.bias'], eps)
            q, k, v = conv(x, '.attn.c_attn').split(C, dim=2)
            q, k, v = (t.view(1, N, H, D).transpose(1, 2) for t in (q, k, v))
        else:
            x = rms_norm(h, w[p + '.input_layernorm.weight'], eps)
            q = lin(x, '.self_attn.q_proj').view(1, N, H, D).transpose(1, 2)
            k = lin(x, '.self_attn.k_proj').view(1, N, Hkv, D).transpose(1, 2)
            v = lin(x, '.self_attn.v_proj').view(1, N, Hkv, D).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        if past is not None:
            k = torch.cat([past[i][0], k], dim=2)
            v = torch.cat([past[i][1], v], dim=2)
        rep = H // Hkv
        S = k.shape[2]
        k = k[:, :, None].expand(1, Hkv, rep, S, D).reshape(1, H, S, D)
        v = v[:, :, None].expand(1, Hkv, rep, S, D).reshape(1, H, S, D)
        o = attention(q, k, v, n_past).transpose(1, 2).reshape(1, N, H * D)
        a = conv(o, '.attn.c_proj') if gpt2 else lin(o, '.self_attn.o_proj')
        h = h + bottleneck(a, adapters.get((i, 'attn')), act)
        if gpt2:
            x = layer_norm(h, w[p + '.ln_2.weight'], w[p + '.ln_2.bias'], eps)
            m = conv(gelu_new(conv(x, '.mlp.c_fc')), '.mlp.c_proj')
        else:
            x = rms_norm(h, w[p + '.post_attention_layernorm.weight'], eps)
            m = lin(torch.nn.functional.silu(lin(x, '.mlp.gate_proj')) * lin(x, '.mlp.up_proj'), '.mlp.down_proj')
        h = h + bottleneck(m, adapters.get((i, 'mlp')), act)
    if gpt2:
        h = layer_norm(h, w['transformer.ln_f.weight'], w['transformer.ln_f.bias'], eps)
        logits = h @ w['transformer.wte.weight'].T
    else:
        h = rms_norm(h, w['model.norm.weight'], eps)
        logits = h @ (w['model.embed_tokens.weight'] if cfg.get('tie_word_embeddings') else w['lm_head.weight']).T
    return logits[0, n_prompt:]


def write_adapter(d, config, tensors, golden):
    os.makedirs(d, exist_ok=True)
    write_safetensors(os.path.join(d, 'adapter_model.safetensors'), tensors, {'format': 'pt'})
    with open(os.path.join(d, 'adapter_config.json'), 'w') as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write('\n')
    write_safetensors(os.path.join(d, 'golden.safetensors'), golden, {'generator': 'scripts/reference/peft_golden.py', 'torch': torch.__version__})


def main():
    for seed, name in enumerate(['llama-tiny', 'gpt2-tiny']):
        gen = torch.Generator().manual_seed(2000 + seed)
        d = os.path.join(FIX, name)
        cfg = json.load(open(os.path.join(d, 'config.json')))
        gpt2 = cfg['architectures'][0] == 'GPT2LMHeadModel'
        w = {(('transformer.' + k) if gpt2 and not k.startswith('transformer.') else k): v.double() for k, v in read_safetensors(os.path.join(d, 'model.safetensors')).items()}
        C = cfg['n_embd'] if gpt2 else cfg['hidden_size']
        H = cfg['n_head'] if gpt2 else cfg['num_attention_heads']
        Hkv = H if gpt2 else cfg.get('num_key_value_heads', H)
        D = C // H if gpt2 else (cfg.get('head_dim') or C // H)
        L = cfg['n_layer'] if gpt2 else cfg['num_hidden_layers']
        V = cfg['vocab_size']
        ids = torch.randint(0, V, (1, 9), generator=gen)
        base = {'input_ids': ids.to(torch.int32)}
        P = 5

        # Prefix tuning: PEFT's layout of the past key/values.
        emb = (torch.randn(P, L * 2 * Hkv * D, generator=gen) * 0.5).float()
        pkv = emb.double().view(P, 2 * L, Hkv, D).permute(1, 2, 0, 3)  # [2L, Hkv, P, D]
        past = [(pkv[2 * i][None], pkv[2 * i + 1][None]) for i in range(L)]
        write_adapter(os.path.join(d, 'peft', 'prefix'), {
            'peft_type': 'PREFIX_TUNING', 'task_type': 'CAUSAL_LM', 'num_virtual_tokens': P, 'token_dim': Hkv * D,
            'num_transformer_submodules': 1, 'num_attention_heads': Hkv, 'num_layers': L, 'encoder_hidden_size': Hkv * D,
            'prefix_projection': False, 'inference_mode': True, 'base_model_name_or_path': name, 'revision': None,
            'auto_mapping': None, 'modules_to_save': None,
        }, {'prompt_embeddings': emb}, {**base, 'logits': forward(cfg, w, ids, past=past)})

        # Prompt tuning.
        prompt = (torch.randn(P, C, generator=gen) * 0.5).float()
        write_adapter(os.path.join(d, 'peft', 'prompt'), {
            'peft_type': 'PROMPT_TUNING', 'task_type': 'CAUSAL_LM', 'num_virtual_tokens': P, 'token_dim': C,
            'num_transformer_submodules': 1, 'num_attention_heads': H, 'num_layers': L, 'prompt_tuning_init': 'RANDOM',
            'prompt_tuning_init_text': None, 'tokenizer_name_or_path': None, 'tokenizer_kwargs': None,
            'inference_mode': True, 'base_model_name_or_path': name, 'revision': None, 'auto_mapping': None, 'modules_to_save': None,
        }, {'prompt_embeddings': prompt}, {**base, 'logits': forward(cfg, w, ids, prompt=prompt.double())})

        # Bottleneck adapters, Houlsby placement, non-zero up projections.
        m = 3
        tensors, adapters = {}, {}
        layers = 'transformer.h' if gpt2 else 'model.layers'
        for i in range(L):
            for slot in ('attn', 'mlp'):
                a = {'down.weight': torch.randn(m, C, generator=gen) * 0.3, 'down.bias': torch.randn(m, generator=gen) * 0.1,
                     'up.weight': torch.randn(C, m, generator=gen) * 0.3, 'up.bias': torch.randn(C, generator=gen) * 0.1}
                for k, t in a.items():
                    tensors['base_model.model.%s.%d.adapter_%s.%s' % (layers, i, slot, k)] = t.float()
                adapters[(i, slot)] = {k: t.float().double() for k, t in a.items()}
        write_adapter(os.path.join(d, 'peft', 'bottleneck'), {
            'peft_type': 'BOTTLENECK', 'task_type': 'CAUSAL_LM', 'adapter_size': m, 'placement': 'houlsby',
            'non_linearity': 'swish', 'inference_mode': True, 'base_model_name_or_path': name, 'tunelab_format': 1,
        }, tensors, {**base, 'logits': forward(cfg, w, ids, adapters=adapters, act='swish')})
        print('%s: prefix, prompt and bottleneck fixtures written' % name)


if __name__ == '__main__':
    torch.set_grad_enabled(False)
    main()
