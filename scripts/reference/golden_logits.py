#!/usr/bin/env python3
"""Golden logits for Tunelab's model tests, from an independent PyTorch implementation.

This re-implements, in plain PyTorch (no `transformers`), the forward maths that Hugging Face
documents for LlamaForCausalLM / MistralForCausalLM / Qwen2ForCausalLM (RMSNorm, rotate-half
rotary embeddings with rope_theta, grouped-query attention via repeat_kv, SwiGLU, optional q/k/v
biases, tied or untied LM head) and GPT2LMHeadModel (LayerNorm, learned positions, fused c_attn,
Conv1D weights stored [in, out], tanh-GELU "gelu_new", tied head). It writes small seeded random
checkpoints in Hugging Face layout (config.json + safetensors, written by hand with struct/json)
and, for fixed inputs, the logits in float64 to trainer/test/fixtures/<name>/golden.safetensors.

Also: a packed batch (two records in one row, position ids restarting, no cross-record attention)
whose golden logits are each record run alone, and a PEFT-format LoRA adapter with non-zero B plus
the logits of the adapted model.

Run once with Debian's python3-torch:  /usr/bin/python3 scripts/reference/golden_logits.py
"""
import json
import math
import os
import struct

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'trainer', 'test', 'fixtures')

# ---------------------------------------------------------------- safetensors (by hand)

DTYPES = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64', torch.int32: 'I32'}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype('<i2').tobytes()
    return t.numpy().astype(t.numpy().dtype.newbyteorder('<')).tobytes()


def write_safetensors(path, tensors, metadata=None):
    header = {}
    if metadata:
        header['__metadata__'] = metadata
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        b = tensor_bytes(t)
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


# ---------------------------------------------------------------- Llama family

def rms_norm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def llama_inv_freq(cfg):
    d = cfg.get('head_dim') or cfg['hidden_size'] // cfg['num_attention_heads']
    theta = cfg.get('rope_theta', 10000.0)
    inv = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    rs = cfg.get('rope_scaling')
    if rs and rs.get('rope_type', rs.get('type')) == 'llama3':
        factor, lo, hi, old = rs['factor'], rs['low_freq_factor'], rs['high_freq_factor'], rs['original_max_position_embeddings']
        low_wl, high_wl = old / lo, old / hi
        wl = 2 * math.pi / inv
        scaled = torch.where(wl > low_wl, inv / factor, inv)
        smooth = (old / wl - lo) / (hi - lo)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wl < high_wl) * ~(wl > low_wl)
        inv = torch.where(medium, smoothed, scaled)
    return inv.double()


def llama_forward(cfg, w, ids, pos):
    """ids, pos: [B, T] int64 -> logits [B, T, V] float64. w: name -> float64 tensor (HF layout)."""
    C = cfg['hidden_size']
    H = cfg['num_attention_heads']
    Hkv = cfg.get('num_key_value_heads', H)
    D = cfg.get('head_dim') or C // H
    eps = cfg['rms_norm_eps']
    B, T = ids.shape

    def lin(x, name):
        y = x @ w[name + '.weight'].T
        if name + '.bias' in w:
            y = y + w[name + '.bias']
        return y

    inv = llama_inv_freq(cfg)
    freqs = pos[:, :, None].double() * inv[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]  # [B, 1, T, D]
    mask = torch.full((T, T), float('-inf'), dtype=torch.float64).triu(1)

    h = w['model.embed_tokens.weight'][ids]
    for i in range(cfg['num_hidden_layers']):
        p = 'model.layers.%d' % i
        x = rms_norm(h, w[p + '.input_layernorm.weight'], eps)
        q = lin(x, p + '.self_attn.q_proj').view(B, T, H, D).transpose(1, 2)
        k = lin(x, p + '.self_attn.k_proj').view(B, T, Hkv, D).transpose(1, 2)
        v = lin(x, p + '.self_attn.v_proj').view(B, T, Hkv, D).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = H // Hkv
        k = k[:, :, None].expand(B, Hkv, rep, T, D).reshape(B, H, T, D)
        v = v[:, :, None].expand(B, Hkv, rep, T, D).reshape(B, H, T, D)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + mask, dim=-1)
        o = (att @ v).transpose(1, 2).reshape(B, T, H * D)
        h = h + lin(o, p + '.self_attn.o_proj')
        x = rms_norm(h, w[p + '.post_attention_layernorm.weight'], eps)
        gate = lin(x, p + '.mlp.gate_proj')
        up = lin(x, p + '.mlp.up_proj')
        h = h + lin(torch.nn.functional.silu(gate) * up, p + '.mlp.down_proj')
    h = rms_norm(h, w['model.norm.weight'], eps)
    head = w['model.embed_tokens.weight'] if cfg.get('tie_word_embeddings') else w['lm_head.weight']
    return h @ head.T


def llama_weights(cfg, gen):
    C = cfg['hidden_size']
    H = cfg['num_attention_heads']
    Hkv = cfg.get('num_key_value_heads', H)
    D = cfg.get('head_dim') or C // H
    I = cfg['intermediate_size']
    V = cfg['vocab_size']
    qwen = cfg['architectures'][0] == 'Qwen2ForCausalLM'
    w = {}

    def rnd(*shape, std=0.2):
        return torch.randn(*shape, generator=gen) * std

    w['model.embed_tokens.weight'] = rnd(V, C, std=0.5)
    for i in range(cfg['num_hidden_layers']):
        p = 'model.layers.%d' % i
        w[p + '.input_layernorm.weight'] = 1 + rnd(C, std=0.1)
        w[p + '.post_attention_layernorm.weight'] = 1 + rnd(C, std=0.1)
        for name, o, n in (('q_proj', H * D, C), ('k_proj', Hkv * D, C), ('v_proj', Hkv * D, C), ('o_proj', C, H * D)):
            w['%s.self_attn.%s.weight' % (p, name)] = rnd(o, n)
            if qwen and name != 'o_proj':
                w['%s.self_attn.%s.bias' % (p, name)] = rnd(o, std=0.1)
        w[p + '.mlp.gate_proj.weight'] = rnd(I, C)
        w[p + '.mlp.up_proj.weight'] = rnd(I, C)
        w[p + '.mlp.down_proj.weight'] = rnd(C, I)
    w['model.norm.weight'] = 1 + rnd(C, std=0.1)
    if not cfg.get('tie_word_embeddings'):
        w['lm_head.weight'] = rnd(V, C)
    return w


# ---------------------------------------------------------------- GPT-2

def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * w + b


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_forward(cfg, w, ids, pos):
    C = cfg['n_embd']
    H = cfg['n_head']
    D = C // H
    eps = cfg['layer_norm_epsilon']
    B, T = ids.shape
    mask = torch.full((T, T), float('-inf'), dtype=torch.float64).triu(1)

    def conv1d(x, name):  # Conv1D: x @ W[in, out] + b
        return x @ w[name + '.weight'] + w[name + '.bias']

    h = w['transformer.wte.weight'][ids] + w['transformer.wpe.weight'][pos]
    for i in range(cfg['n_layer']):
        p = 'transformer.h.%d' % i
        x = layer_norm(h, w[p + '.ln_1.weight'], w[p + '.ln_1.bias'], eps)
        q, k, v = conv1d(x, p + '.attn.c_attn').split(C, dim=2)
        q, k, v = (t.view(B, T, H, D).transpose(1, 2) for t in (q, k, v))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + mask, dim=-1)
        o = (att @ v).transpose(1, 2).reshape(B, T, C)
        h = h + conv1d(o, p + '.attn.c_proj')
        x = layer_norm(h, w[p + '.ln_2.weight'], w[p + '.ln_2.bias'], eps)
        h = h + conv1d(gelu_new(conv1d(x, p + '.mlp.c_fc')), p + '.mlp.c_proj')
    h = layer_norm(h, w['transformer.ln_f.weight'], w['transformer.ln_f.bias'], eps)
    return h @ w['transformer.wte.weight'].T


def gpt2_weights(cfg, gen):
    C, V, P = cfg['n_embd'], cfg['vocab_size'], cfg['n_positions']
    I = cfg.get('n_inner') or 4 * C
    w = {}

    def rnd(*shape, std=0.2):
        return torch.randn(*shape, generator=gen) * std

    w['transformer.wte.weight'] = rnd(V, C, std=0.5)
    w['transformer.wpe.weight'] = rnd(P, C, std=0.3)
    for i in range(cfg['n_layer']):
        p = 'transformer.h.%d' % i
        for ln in ('ln_1', 'ln_2'):
            w['%s.%s.weight' % (p, ln)] = 1 + rnd(C, std=0.1)
            w['%s.%s.bias' % (p, ln)] = rnd(C, std=0.1)
        for name, n, o in (('attn.c_attn', C, 3 * C), ('attn.c_proj', C, C), ('mlp.c_fc', C, I), ('mlp.c_proj', I, C)):
            w['%s.%s.weight' % (p, name)] = rnd(n, o)
            w['%s.%s.bias' % (p, name)] = rnd(o, std=0.1)
    w['transformer.ln_f.weight'] = 1 + rnd(C, std=0.1)
    w['transformer.ln_f.bias'] = rnd(C, std=0.1)
    return w


# ---------------------------------------------------------------- fixtures

MODELS = {
    # Llama: GQA 4 query heads / 2 kv heads, tied embeddings, F32 on disk.
    'llama-tiny': {
        'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'hidden_size': 32, 'intermediate_size': 64,
        'num_attention_heads': 4, 'num_key_value_heads': 2, 'num_hidden_layers': 2, 'vocab_size': 64,
        'rms_norm_eps': 1e-5, 'rope_theta': 10000.0, 'max_position_embeddings': 128, 'tie_word_embeddings': True,
        'hidden_act': 'silu', 'bos_token_id': 1, 'eos_token_id': 2, 'torch_dtype': 'float32',
    },
    # Qwen2: q/k/v biases, untied head, rope_theta 1e6, BF16 on disk, sharded in two files.
    'qwen2-tiny': {
        'architectures': ['Qwen2ForCausalLM'], 'model_type': 'qwen2', 'hidden_size': 48, 'intermediate_size': 96,
        'num_attention_heads': 6, 'num_key_value_heads': 2, 'num_hidden_layers': 2, 'vocab_size': 80,
        'rms_norm_eps': 1e-6, 'rope_theta': 1000000.0, 'max_position_embeddings': 256, 'tie_word_embeddings': False,
        'hidden_act': 'silu', 'bos_token_id': None, 'eos_token_id': 3, 'torch_dtype': 'bfloat16',
    },
    # Mistral with llama3 rope scaling, F16 on disk, no GQA.
    'mistral-tiny': {
        'architectures': ['MistralForCausalLM'], 'model_type': 'mistral', 'hidden_size': 32, 'intermediate_size': 48,
        'num_attention_heads': 2, 'num_key_value_heads': 2, 'num_hidden_layers': 1, 'vocab_size': 50,
        'rms_norm_eps': 1e-6, 'rope_theta': 500000.0, 'max_position_embeddings': 128, 'tie_word_embeddings': False,
        'rope_scaling': {'rope_type': 'llama3', 'factor': 8.0, 'low_freq_factor': 1.0, 'high_freq_factor': 4.0, 'original_max_position_embeddings': 16},
        'hidden_act': 'silu', 'eos_token_id': 2, 'torch_dtype': 'float16',
    },
    # GPT-2: names without the transformer. prefix (as the original gpt2 checkpoint).
    'gpt2-tiny': {
        'architectures': ['GPT2LMHeadModel'], 'model_type': 'gpt2', 'n_embd': 32, 'n_head': 4, 'n_layer': 2,
        'vocab_size': 70, 'n_positions': 64, 'n_inner': None, 'layer_norm_epsilon': 1e-5,
        'activation_function': 'gelu_new', 'bos_token_id': 0, 'eos_token_id': 0, 'torch_dtype': 'float32',
    },
}

STORAGE = {'llama-tiny': torch.float32, 'qwen2-tiny': torch.bfloat16, 'mistral-tiny': torch.float16, 'gpt2-tiny': torch.float32}


def write_tokenizer(d):
    """A 64-token character-level tokenizer (BPE without merges, Metaspace) and a ChatML template,
    so generation and chat rendering can run against llama-tiny (vocab 64)."""
    specials = ['<unk>', '<s>', '</s>', '<|im_start|>', '<|im_end|>']
    chars = ['\u2581', '\n'] + [chr(c) for c in range(ord('a'), ord('z') + 1)] + [chr(c) for c in range(ord('A'), ord('Z') + 1)] + ['.', ',', '?', '!', "'"]
    vocab = {t: i for i, t in enumerate(specials + chars)}
    assert len(vocab) == 64
    tok = {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [{'id': i, 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True} for i, t in enumerate(specials)],
        'normalizer': None,
        'pre_tokenizer': {'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'first', 'split': False},
        'post_processor': {'type': 'TemplateProcessing', 'single': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}],
                           'pair': [{'Sequence': {'id': 'A', 'type_id': 0}}, {'Sequence': {'id': 'B', 'type_id': 1}}],
                           'special_tokens': {'<s>': {'id': '<s>', 'ids': [1], 'tokens': ['<s>']}}},
        'decoder': {'type': 'Metaspace', 'replacement': '\u2581', 'prepend_scheme': 'first', 'split': False},
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': '<unk>', 'continuing_subword_prefix': None, 'end_of_word_suffix': None,
                  'fuse_unk': True, 'byte_fallback': False, 'ignore_merges': False, 'vocab': vocab, 'merges': []},
    }
    with open(os.path.join(d, 'tokenizer.json'), 'w') as f:
        json.dump(tok, f, indent=1, ensure_ascii=False)
        f.write('\n')
    template = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
                "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
    with open(os.path.join(d, 'tokenizer_config.json'), 'w') as f:
        json.dump({'bos_token': '<s>', 'eos_token': '</s>', 'unk_token': '<unk>', 'pad_token': None, 'model_max_length': 128,
                   'add_bos_token': True, 'chat_template': template, 'tokenizer_class': 'PreTrainedTokenizerFast'}, f, indent=2)
        f.write('\n')


def inputs(cfg, gen):
    V = cfg['vocab_size']
    ids = torch.randint(0, V, (2, 12), generator=gen)
    pos = torch.arange(12)[None].expand(2, 12)
    return ids, pos


def main():
    for seed, (name, cfg) in enumerate(MODELS.items()):
        gen = torch.Generator().manual_seed(1000 + seed)
        gpt2 = cfg['architectures'][0] == 'GPT2LMHeadModel'
        w32 = gpt2_weights(cfg, gen) if gpt2 else llama_weights(cfg, gen)
        stored = {k: v.to(STORAGE[name]) for k, v in w32.items()}
        # The model computes with exactly what the file holds.
        w = {k: v.double() for k, v in stored.items()}
        fwd = gpt2_forward if gpt2 else llama_forward
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, 'config.json'), 'w') as f:
            json.dump(cfg, f, indent=2)
            f.write('\n')
        if name == 'qwen2-tiny':
            names = sorted(stored)
            shards = [names[: len(names) // 2], names[len(names) // 2:]]
            weight_map = {}
            for i, part in enumerate(shards):
                fname = 'model-%05d-of-%05d.safetensors' % (i + 1, len(shards))
                write_safetensors(os.path.join(d, fname), {k: stored[k] for k in part}, {'format': 'pt'})
                weight_map.update({k: fname for k in part})
            total = sum(v.numel() * v.element_size() for v in stored.values())
            with open(os.path.join(d, 'model.safetensors.index.json'), 'w') as f:
                json.dump({'metadata': {'total_size': total}, 'weight_map': weight_map}, f, indent=2)
                f.write('\n')
        else:
            on_disk = {(k[len('transformer.'):] if gpt2 else k): v for k, v in stored.items()}
            write_safetensors(os.path.join(d, 'model.safetensors'), on_disk, {'format': 'pt'})

        if name == 'llama-tiny':
            write_tokenizer(d)
        ids, pos = inputs(cfg, gen)
        golden = {'input_ids': ids.to(torch.int32), 'logits': fwd(cfg, w, ids, pos)}

        # Packed row: records of 5 and 7 tokens in one row of 12; positions restart; each
        # record's logits must equal running it alone.
        packed_ids = ids[0:1]
        seg = torch.tensor([[1] * 5 + [2] * 7])
        ppos = torch.tensor([list(range(5)) + list(range(7))])
        alone = torch.cat([fwd(cfg, w, packed_ids[:, :5], ppos[:, :5]), fwd(cfg, w, packed_ids[:, 5:], ppos[:, 5:])], dim=1)
        golden.update({'packed_ids': packed_ids.to(torch.int32), 'packed_segments': seg.to(torch.int32), 'packed_positions': ppos.to(torch.int32), 'packed_logits': alone})

        if name in ('llama-tiny', 'gpt2-tiny'):
            # A PEFT LoRA adapter with non-zero B on every targeted module; logits of W0 + (alpha/r)·B·A.
            r, alpha = 4, 8
            targets = ['c_attn', 'c_fc'] if gpt2 else ['q_proj', 'v_proj', 'down_proj']
            adapter = {}
            wa = dict(w)
            for key in list(w):
                mod = key[: -len('.weight')]
                if not key.endswith('.weight') or mod.split('.')[-1] not in targets:
                    continue
                W = w[key]
                in_f, out_f = (W.shape[0], W.shape[1]) if gpt2 else (W.shape[1], W.shape[0])
                A = torch.randn(r, in_f, generator=gen) * 0.3
                Bm = torch.randn(out_f, r, generator=gen) * 0.3
                adapter['base_model.model.%s.lora_A.weight' % mod] = A.float()
                adapter['base_model.model.%s.lora_B.weight' % mod] = Bm.float()
                delta = (alpha / r) * (Bm.float().double() @ A.float().double())  # [out, in]
                wa[key] = W + (delta.T if gpt2 else delta)
            ad = os.path.join(d, 'adapter')
            os.makedirs(ad, exist_ok=True)
            write_safetensors(os.path.join(ad, 'adapter_model.safetensors'), adapter, {'format': 'pt'})
            with open(os.path.join(ad, 'adapter_config.json'), 'w') as f:
                json.dump({'peft_type': 'LORA', 'task_type': 'CAUSAL_LM', 'r': r, 'lora_alpha': alpha, 'lora_dropout': 0.0,
                           'target_modules': targets, 'bias': 'none', 'fan_in_fan_out': gpt2, 'use_rslora': False,
                           'base_model_name_or_path': name}, f, indent=2)
                f.write('\n')
            golden['adapter_logits'] = fwd(cfg, wa, ids, pos)

        write_safetensors(os.path.join(d, 'golden.safetensors'), golden, {'generator': 'scripts/reference/golden_logits.py', 'torch': torch.__version__})
        print('%s: logits %s, max |logit| %.3f' % (name, tuple(golden['logits'].shape), golden['logits'].abs().max().item()))


if __name__ == '__main__':
    torch.set_grad_enabled(False)
    main()
