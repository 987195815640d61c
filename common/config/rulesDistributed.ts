import { isPlainObject, truthy, type RuleContext } from './context';
import { ATTN_FLASH_LIB, E, W, at, atValue, effectiveAttention, fsdpVersion } from './ruleKit';

/**
 * Axolotl's rules for distributed training (FSDP, DeepSpeed, tensor/context parallelism,
 * optimizers that depend on them), preference/RL training and model-specific limits, with
 * Axolotl's severities (axolotl-keys.md §4.4-4.6).
 */
export function checkDistributedRules(ctx: RuleContext): void {
  distributed(ctx);
  rl(ctx);
  modelSpecific(ctx);
}

function distributed(ctx: RuleContext): void {
  const optimizer = String(ctx.get('optimizer') ?? '');
  const fsdpOn = ctx.on('fsdp') || ctx.on('fsdp_config');
  const version = fsdpVersion(ctx);
  if (ctx.has('max_memory') && ctx.has('gpu_memory_limit')) ctx.report('config-memory-limits-both', E, at('gpu_memory_limit'), 'max_memory and gpu_memory_limit are mutually exclusive.');
  if (ctx.on('deepspeed') && ctx.on('fsdp')) ctx.report('config-deepspeed-fsdp', E, at('fsdp'), 'deepspeed and fsdp cannot be used together.');
  const fc = ctx.get('fsdp_config');
  if (isPlainObject(fc) && truthy(fc)) {
    if (String(ctx.get('fsdp_version') ?? fc.fsdp_version ?? fc.version) !== '2') {
      ctx.report('config-fsdp1-deprecated', W, at('fsdp_version', 'fsdp_config'), 'FSDP1 is deprecated: set fsdp_version: 2 (and migrate fsdp_config) for better performance and compatibility.', ctx.has('fsdp_version') ? { replacePairWith: { key: 'fsdp_version', value: 2 } } : { addKey: { key: 'fsdp_version', value: 2 } });
    }
    const prefixed = Object.keys(fc).filter((k) => k.startsWith('fsdp_') && k !== 'fsdp_version');
    if (prefixed.length > 0) {
      ctx.report(
        'config-fsdp-prefixed-key',
        W,
        at('fsdp_config'),
        `The fsdp_ prefix inside fsdp_config is deprecated (Axolotl strips it): ${prefixed.map((k) => `${k} → ${k.slice(5)}`).join(', ')}.`,
        { renameKeys: prefixed.map((k) => ({ path: ['fsdp_config', k], to: k.slice(5) })) },
      );
    }
    const get = (k: string) => fc[k] ?? fc[`fsdp_${k}`];
    if (get('auto_wrap_policy') === 'SIZE_BASED_WRAP' && !truthy(get('min_num_params'))) ctx.report('config-fsdp-size-wrap', E, at('fsdp_config'), 'fsdp_config.auto_wrap_policy: SIZE_BASED_WRAP requires min_num_params.');
    if (get('cpu_offload_pin_memory') === false) {
      if (String(ctx.get('fsdp_version')) !== '2') ctx.report('config-fsdp-pin-memory', E, at('fsdp_config'), 'Disabling cpu_offload_pin_memory needs fsdp_version: 2.');
      if (!truthy(get('offload_params'))) ctx.report('config-fsdp-pin-memory', E, at('fsdp_config'), 'Disabling cpu_offload_pin_memory requires offload_params: true.');
    }
    if (optimizer.includes('8bit') && truthy(get('offload_params')) && version !== '2') ctx.report('config-fsdp-offload-8bit', E, atValue('optimizer'), `FSDP offload is not compatible with the ${optimizer} optimizer.`);
    if (version === '2' && (optimizer === 'adamw_8bit' || optimizer === 'adamw_bnb_8bit')) ctx.report('config-fsdp2-bnb-optimizer', E, atValue('optimizer'), `FSDP2 is not compatible with ${optimizer}: use adamw_torch_8bit.`, { replaceValueWith: 'adamw_torch_8bit' });
    if (ctx.get('model_quantization_config') === 'Mxfp4Config' && get('cpu_ram_efficient_loading') === true) ctx.report('config-mxfp4-ram-efficient', E, at('fsdp_config'), 'fsdp_config.cpu_ram_efficient_loading is not supported with Mxfp4Config.');
  }
  if (ctx.on('fp32_norms')) {
    if (!ctx.has('fsdp_config')) ctx.report('config-fp32-norms-fsdp', E, at('fp32_norms'), 'fp32_norms requires FSDP (an fsdp_config block).');
    else if (version !== '2') ctx.report('config-fp32-norms-fsdp', E, at('fp32_norms'), 'fp32_norms requires fsdp_version: 2.');
  }
  if (optimizer === 'muon' || optimizer.startsWith('flash_')) {
    if (ctx.on('deepspeed')) ctx.report('config-optimizer-distributed', E, atValue('optimizer'), `The ${optimizer} optimizer is not compatible with DeepSpeed.`);
    else if (fsdpOn && version !== '2') ctx.report('config-optimizer-distributed', E, atValue('optimizer'), `The ${optimizer} optimizer only works with FSDP2: set fsdp_version: 2.`);
  }
  if (optimizer === 'q_galore_adamw8bit') {
    if (ctx.on('adapter')) ctx.report('config-optimizer-distributed', E, atValue('optimizer'), 'q_galore_adamw8bit works on full-precision weights and cannot be used with an adapter.');
    else if (ctx.on('deepspeed')) ctx.report('config-optimizer-distributed', E, atValue('optimizer'), 'q_galore_adamw8bit is not validated with DeepSpeed: use DDP or FSDP2.');
    else if (fsdpOn && version !== '2') ctx.report('config-optimizer-distributed', E, atValue('optimizer'), 'q_galore_adamw8bit requires FSDP2 (fsdp_version: 2).');
    else if (fsdpOn && !(isPlainObject(fc) && fc.use_orig_params === true)) ctx.report('config-optimizer-distributed', E, atValue('optimizer'), 'q_galore_adamw8bit requires fsdp_config.use_orig_params: true.');
  }
  const ce = ['cut_cross_entropy', 'chunked_cross_entropy', 'liger_cross_entropy', 'liger_fused_linear_cross_entropy'].filter((k) => ctx.on(k));
  if (ce.length > 1) ctx.report('config-cross-entropy-conflict', E, at(ce[1]!), `Only one cross-entropy optimisation can be enabled; found ${ce.join(', ')}.`);
  const tp = ctx.num('tensor_parallel_size') ?? 1;
  if (tp > 1 && ['paged_adamw_8bit', 'adamw_8bit', 'adamw_bnb_8bit'].includes(optimizer)) ctx.report('config-tensor-parallel-optimizer', E, atValue('optimizer'), `tensor_parallel_size > 1 does not support ${optimizer}.`);
  if (ctx.on('deepcompile') && !ctx.on('deepspeed')) ctx.report('config-deepcompile-needs-deepspeed', E, at('deepcompile'), 'deepcompile is only supported with DeepSpeed.');
  // AX-P6
  const cp = ctx.num('context_parallel_size') ?? ctx.num('sequence_parallel_degree') ?? 1;
  if (cp > 1 && !ctx.on('use_glm_dsa_kernels')) {
    const impl = effectiveAttention(ctx);
    if (!(impl && ATTN_FLASH_LIB.has(impl))) ctx.report('config-context-parallel-attention', E, at('context_parallel_size', 'sequence_parallel_degree'), 'context_parallel_size > 1 requires flash attention (attn_implementation: flash_attention_2 or flash_attention_3).');
    else if (ctx.on('sample_packing') && (ctx.num('micro_batch_size') ?? 1) > 1) ctx.report('config-context-parallel-batch', E, atValue('micro_batch_size'), 'With context parallelism and sample_packing, micro_batch_size must be 1 (ring-flash-attn requirement).', { replaceValueWith: 1 });
  }
  if (ctx.on('sample_packing') && ctx.on('rl')) ctx.report('config-packing-rl', E, at('sample_packing'), 'sample_packing does not work with RL training (rl).');
  // AX-L10: fused LoRA kernels with FSDP1 fail on more than one GPU (the GPU count is unknown here).
  const kernels = ['lora_mlp_kernel', 'lora_qkv_kernel', 'lora_o_kernel', 'lora_embedding_kernel'].filter((k) => ctx.on(k));
  if (kernels.length > 0 && ctx.has('fsdp_config') && String(ctx.get('fsdp_version')) !== '2') {
    ctx.report('config-lora-kernels-fsdp1', W, at(kernels[0]!), `${kernels.join(', ')} ${kernels.length > 1 ? 'are' : 'is'} not compatible with FSDP1: Axolotl refuses this on more than one GPU. Use fsdp_version: 2.`);
  }
}

/** Preference/RL rules (axolotl-keys.md §4.6). */
function rl(ctx: RuleContext): void {
  const method = ctx.get('rl');
  if (method === 'kto') {
    if (ctx.on('sample_packing') || ctx.on('eval_sample_packing')) ctx.report('config-rl-kto', E, at('sample_packing', 'eval_sample_packing'), 'sample_packing is not supported with rl: kto.');
    if (ctx.get('remove_unused_columns') !== false) ctx.report('config-rl-kto', E, atValue('rl'), 'rl: kto requires remove_unused_columns: false.', { addKey: { key: 'remove_unused_columns', value: false } });
  }
  const lossType = ctx.get('dpo_loss_type');
  const lossWeights = ctx.get('dpo_loss_weights');
  if (method === 'dpo') {
    if (lossWeights !== undefined && lossWeights !== null && (lossType === undefined || lossType === null)) ctx.report('config-rl-dpo-loss', E, at('dpo_loss_weights'), 'dpo_loss_weights requires dpo_loss_type.');
    else if (Array.isArray(lossType) && Array.isArray(lossWeights) && lossType.length !== lossWeights.length) ctx.report('config-rl-dpo-loss', E, at('dpo_loss_weights'), `dpo_loss_type and dpo_loss_weights must have the same length (${lossType.length} losses, ${lossWeights.length} weights).`);
  } else if ((lossType !== undefined && lossType !== null) || (lossWeights !== undefined && lossWeights !== null)) {
    ctx.report('config-rl-dpo-loss', E, at('dpo_loss_type', 'dpo_loss_weights'), 'dpo_loss_type and dpo_loss_weights are for rl: dpo only.');
  }
  if (method === 'ipo') ctx.report('config-rl-ipo-deprecated', W, atValue('rl'), "rl: ipo will be deprecated: use rl: dpo with dpo_loss_type: ['ipo'].");
  if (method === 'simpo' && ctx.on('warmup_ratio')) ctx.report('config-rl-simpo-warmup', E, at('warmup_ratio'), 'warmup_ratio is not supported with rl: simpo: use warmup_steps.');
  if (method === 'ebft' && !ctx.has('ebft')) ctx.report('config-rl-ebft-block', E, atValue('rl'), 'rl: ebft requires an ebft: block.');
  const trl = isPlainObject(ctx.get('trl')) ? (ctx.get('trl') as Record<string, unknown>) : {};
  if (method === 'grpo' && typeof trl.num_generations === 'number') {
    const n = trl.num_generations;
    const gbs = typeof trl.generation_batch_size === 'number' ? trl.generation_batch_size : (ctx.num('micro_batch_size') || 1) * (ctx.num('gradient_accumulation_steps') || 1);
    if (n < 2) ctx.report('config-rl-grpo-generations', E, at('trl'), `GRPO needs trl.num_generations >= 2 (got ${n}): with one generation every advantage is zero.`);
    else if (gbs % n !== 0) ctx.report('config-rl-grpo-generations', E, at('trl'), `GRPO: the generation batch size (${gbs}) must be divisible by trl.num_generations (${n}).`);
  }
  if (ctx.has('beta') && trl.beta !== undefined && trl.beta !== null && trl.beta !== ctx.get('beta')) ctx.report('config-rl-beta-mismatch', E, at('beta'), 'beta and trl.beta must match, or remove one.');
  if (String(ctx.get('fsdp_version')) === '2' && ['dpo', 'kto', 'orpo', 'ipo'].includes(String(method)) && (ctx.on('load_in_8bit') || ctx.on('load_in_4bit'))) {
    ctx.report('config-rl-fsdp2-quantized', E, atValue('rl'), `FSDP2 does not support load_in_8bit/load_in_4bit with rl: ${String(method)}: use DeepSpeed or fsdp_version: 1.`);
  }
}

function modelSpecific(ctx: RuleContext): void {
  const base = (ctx.str('base_model') ?? '').toLowerCase();
  if (base.includes('falcon') && ctx.on('fsdp')) ctx.report('config-model-incompatible', E, at('fsdp'), 'FSDP is not supported for Falcon models.');
  if (base.includes('mpt') && ctx.on('gradient_checkpointing')) ctx.report('config-model-incompatible', E, atValue('gradient_checkpointing'), 'gradient_checkpointing is not supported for MPT models.', { replaceValueWith: false });
  if (base.includes('nemotron-h') && ctx.on('gradient_checkpointing') && !ctx.on('sample_packing')) ctx.report('config-model-incompatible', E, atValue('gradient_checkpointing'), 'gradient_checkpointing for Nemotron-H requires sample_packing: true.');
  if (ctx.get('flash_optimum') === true) {
    if (ctx.on('fp16') || (ctx.on('bf16') && ctx.get('bf16') !== 'auto')) ctx.report('config-flash-optimum-amp', E, at('flash_optimum'), 'Mixed precision (fp16/bf16) is not supported with flash_optimum (BetterTransformer).');
    if (ctx.on('adapter')) ctx.report('config-flash-optimum-adapter', W, at('flash_optimum'), 'BetterTransformer (flash_optimum) probably does not work with PEFT adapters.');
  }
}
