import { isPlainObject, truthy, type Anchor, type RuleContext } from './context';
import { ATTN_SHORT_FORMS, CAUSAL_LM_METRICS, LEGACY_ATTENTION_FLAGS, PLUGIN_ADAPTERS, TORCH_COMPILE_OPTION_KEYS } from './schema/enums';
import { ATTN_FLASH_LIB, ATTN_PACKING, CANONICAL_ATTN, E, W, at, atValue, effectiveAttention } from './ruleKit';
import { checkDistributedRules } from './rulesDistributed';

/**
 * Axolotl's cross-field rules (axolotl-keys.md §4, read from Axolotl's validators), with Axolotl's
 * severity: an error where Axolotl refuses the config, a warning where it only logs one. Each
 * check follows Axolotl's semantics: `on(k)` is Python truthiness (0/false/""/[] are unset),
 * `has(k)` is "present and not null". Ids (AX-…) refer to the reference tables.
 */
export function checkRules(ctx: RuleContext): void {
  quantization(ctx);
  lora(ctx);
  datasetsAndEval(ctx);
  training(ctx);
  attention(ctx);
  checkDistributedRules(ctx);
}

function quantization(ctx: RuleContext): void {
  const adapter = ctx.str('adapter');
  // AX-Q1
  if ((ctx.on('load_in_8bit') || ctx.on('load_in_4bit')) && !ctx.on('adapter') && !ctx.on('inference')) {
    const k = ctx.on('load_in_4bit') ? 'load_in_4bit' : 'load_in_8bit';
    ctx.report('config-quantized-full-finetune', E, at(k), `${k} needs an adapter: a quantized model cannot be fully fine-tuned. Set adapter: ${k === 'load_in_4bit' ? 'qlora' : 'lora'}, or turn ${k} off for full fine-tuning.`, { addKey: { key: 'adapter', value: k === 'load_in_4bit' ? 'qlora' : 'lora' } });
  }
  if (adapter === 'qlora') {
    if (!ctx.on('merge_lora')) {
      // AX-Q2 … AX-Q4
      if (!ctx.on('load_in_4bit')) {
        ctx.report('config-qlora-needs-4bit', E, [...atValue('adapter')], 'adapter: qlora needs load_in_4bit: true (QLoRA trains LoRA on a 4-bit base model).', ctx.has('load_in_4bit') ? { replacePairWith: { key: 'load_in_4bit', value: true } } : { addKey: { key: 'load_in_4bit', value: true } });
      }
      if (ctx.on('load_in_8bit')) ctx.report('config-qlora-8bit', E, at('load_in_8bit'), "QLoRA can't load the model in 8 bits: remove load_in_8bit (QLoRA uses load_in_4bit), or use adapter: lora.");
      if (ctx.on('gptq')) ctx.report('config-qlora-gptq', E, at('gptq'), "QLoRA can't load a GPTQ model: use adapter: lora with gptq.");
    } else {
      // AX-Q5
      for (const k of ['load_in_8bit', 'load_in_4bit', 'gptq']) {
        if (ctx.on(k)) ctx.report('config-qlora-merge-quantized', E, at(k), `Can't merge a QLoRA adapter into a model loaded with ${k}: remove ${k} for merge_lora (the merge needs 16-bit weights).`);
      }
    }
  }
  // AX-Q6 is the adapter enumeration (structure.ts).
  // The trainer refuses both bit widths at once (trainer-invalid-setting); qlora has its own code above.
  if (adapter !== 'qlora' && ctx.on('load_in_8bit') && ctx.on('load_in_4bit')) {
    ctx.report('config-quantization-conflict', E, at('load_in_8bit'), 'load_in_8bit and load_in_4bit cannot both be on: choose one (load_in_4bit with adapter: qlora, load_in_8bit with adapter: lora).');
  }
  if (ctx.on('model_quantization_config') && (ctx.on('load_in_8bit') || ctx.on('load_in_4bit'))) {
    ctx.report('config-quantization-conflict', E, at('model_quantization_config'), 'model_quantization_config cannot be combined with load_in_8bit or load_in_4bit.');
  }
  if (ctx.on('gptq') && (ctx.on('model_revision') || ctx.on('revision_of_model'))) {
    ctx.report('config-gptq-revision', E, at('model_revision', 'revision_of_model'), 'model_revision is not supported for GPTQ models: download the branch you need and point base_model at it.');
  }
  if (ctx.on('qat') && (ctx.on('peft') || ctx.on('load_in_8bit') || ctx.on('load_in_4bit'))) {
    ctx.report('config-qat-incompatible', E, at('qat'), 'Quantization-aware training (qat) cannot be combined with peft settings or load_in_8bit/load_in_4bit.');
  }
  if (ctx.on('use_onebitllms') && (adapter === 'lora' || adapter === 'qlora')) {
    ctx.report('config-onebit-lora', E, at('use_onebitllms'), 'use_onebitllms does not support LoRA/QLoRA adapters.');
  }
  if (ctx.on('quantize_moe_experts')) {
    if (ctx.on('lora_target_linear')) ctx.report('config-moe-quant-target-linear', E, at('lora_target_linear'), 'lora_target_linear is not compatible with quantize_moe_experts: target expert weights with lora_target_parameters instead.');
    if (adapter !== 'lora' && adapter !== 'qlora') ctx.report('config-moe-quant-adapter', E, at('quantize_moe_experts'), 'quantize_moe_experts requires adapter: lora or qlora.');
    if (!ctx.on('load_in_4bit') && !ctx.on('load_in_8bit')) ctx.report('config-moe-quant-bits', E, at('quantize_moe_experts'), 'quantize_moe_experts requires load_in_4bit or load_in_8bit.');
  }
}

function lora(ctx: RuleContext): void {
  const adapter = ctx.str('adapter');
  // AX-L2
  if (ctx.on('lora_target_parameters') && ctx.on('lora_dropout')) {
    ctx.report('config-lora-dropout-target-parameters', E, atValue('lora_dropout'), 'lora_dropout must be 0 when lora_target_parameters is set.', { replaceValueWith: 0 });
  }
  // AX-L3
  const tm = ctx.get('lora_target_modules');
  if (Array.isArray(tm)) {
    const bad = tm.filter((p): p is string => typeof p === 'string' && !pythonRegexCompiles(p));
    if (bad.length > 0) ctx.report('config-lora-target-regex', E, at('lora_target_modules'), `lora_target_modules has invalid regular expression(s): ${bad.map((b) => `'${b}'`).join(', ')}. Use plain module names or valid Python regexes.`);
  }
  if (ctx.on('peft_layers_pattern') && !ctx.on('peft_layers_to_transform')) ctx.report('config-peft-layers-pattern', E, at('peft_layers_pattern'), 'peft_layers_pattern requires peft_layers_to_transform.');
  if (ctx.on('adapter') && ctx.on('peft_layers_to_transform') && ctx.on('unfrozen_parameters')) {
    ctx.report('config-peft-layers-unfrozen', E, at('unfrozen_parameters'), 'unfrozen_parameters together with an adapter and peft_layers_to_transform has unexpected behaviour: use one or the other.');
  }
  if (ctx.on('lr_groups') && ctx.on('loraplus_lr_ratio')) ctx.report('config-lr-groups-loraplus', E, at('loraplus_lr_ratio'), 'lr_groups and loraplus_lr_ratio cannot be used together.');
  if ((adapter === 'lora' || adapter === 'qlora') && ctx.on('flash_attn_fuse_mlp')) ctx.report('config-fused-mlp-lora', E, at('flash_attn_fuse_mlp'), 'flash_attn_fuse_mlp (fused modules) is not supported with LoRA/QLoRA.');
  const kernels = ['lora_mlp_kernel', 'lora_qkv_kernel', 'lora_o_kernel'].filter((k) => ctx.on(k));
  if (kernels.length > 0) {
    if (adapter === 'lora' && ctx.on('load_in_8bit')) ctx.report('config-lora-kernels-8bit', E, at(kernels[0]!), `${kernels.join(', ')} ${kernels.length > 1 ? 'are' : 'is'} not compatible with 8-bit LoRA (load_in_8bit).`);
    if (ctx.on('trust_remote_code')) ctx.report('config-lora-kernels-remote-code', E, at(kernels[0]!), 'LoRA kernels (lora_*_kernel) are not compatible with trust_remote_code: disable one of them.');
  }
  // AX-L12
  const gck = ctx.get('gradient_checkpointing_kwargs');
  const ds = ctx.get('deepspeed');
  if (adapter === 'qlora' && isPlainObject(gck) && gck.use_reentrant === false && typeof ds === 'string' && ds.includes('zero3')) {
    ctx.report('config-qlora-zero3-reentrant', W, at('gradient_checkpointing_kwargs'), 'QLoRA with ZeRO-3 and use_reentrant: false may raise a CheckpointError about recomputed values.');
  }
  // AX-L15
  const tti = ctx.get('peft_trainable_token_indices');
  const fut = ctx.get('fix_untrained_tokens');
  if (truthy(tti) && truthy(fut) && Array.isArray(tti)) {
    const ids = Array.isArray(fut) ? fut : [fut];
    const missing = ids.filter((i) => !tti.includes(i));
    if (missing.length > 0) ctx.report('config-untrained-token-not-trainable', W, at('fix_untrained_tokens'), `Token id(s) ${missing.join(', ')} are fixed by fix_untrained_tokens but not in peft_trainable_token_indices, so they will not be trained.`);
  }
  if (ctx.on('relora')) relora(ctx, adapter);
}

function relora(ctx: RuleContext, adapter: string | undefined): void {
  const a: Anchor[] = at('relora');
  if (!ctx.on('jagged_restart_steps')) ctx.report('config-relora-invalid', E, a, 'ReLoRA needs jagged_restart_steps.', { addKey: { key: 'jagged_restart_steps', value: 150 } });
  if (adapter !== 'lora' && adapter !== 'qlora' && !(adapter && PLUGIN_ADAPTERS[adapter])) ctx.report('config-relora-invalid', E, a, 'ReLoRA needs adapter: lora or qlora.');
  if (ctx.on('fsdp') || ctx.on('fsdp_config')) ctx.report('config-relora-invalid', E, a, 'ReLoRA does not support FSDP.');
  if (ctx.on('deepspeed')) ctx.report('config-relora-invalid', E, a, 'ReLoRA does not support DeepSpeed.');
  if (ctx.get('lr_scheduler') === 'one_cycle') ctx.report('config-relora-invalid', E, a, 'ReLoRA is not compatible with the one_cycle scheduler.');
  if (ctx.on('flash_attn_fuse_mlp')) ctx.report('config-relora-invalid', E, a, 'ReLoRA does not support fused modules (flash_attn_fuse_mlp).');
}

function datasetsAndEval(ctx: RuleContext): void {
  if (ctx.on('test_datasets') && ctx.on('val_set_size')) ctx.report('config-val-set-with-test-datasets', E, atValue('val_set_size'), 'A non-zero val_set_size cannot be used with test_datasets: evaluation uses test_datasets, so set val_set_size: 0 or remove it.', { replaceValueWith: 0 });
  if (ctx.on('push_dataset_to_hub') && ctx.get('hf_use_auth_token') !== true) ctx.report('config-push-needs-auth', E, at('push_dataset_to_hub'), 'push_dataset_to_hub requires hf_use_auth_token: true.', { addKey: { key: 'hf_use_auth_token', value: true } });
  if (ctx.get('chat_template') === 'jinja' && !ctx.on('chat_template_jinja')) ctx.report('config-jinja-template-missing', E, atValue('chat_template'), 'chat_template: jinja requires chat_template_jinja (the template text or a path to a .jinja file).', { addKey: { key: 'chat_template_jinja', value: '' } });
  if (ctx.on('dataset_exact_deduplication') && (ctx.on('streaming') || ctx.on('pretraining_dataset'))) ctx.report('config-dedup-streaming', E, at('dataset_exact_deduplication'), 'dataset_exact_deduplication is not available for streaming datasets.');
  if (ctx.on('dataset_exact_deduplication') && ctx.on('skip_prepare_dataset')) ctx.report('config-dedup-skip-prepare', E, at('dataset_exact_deduplication'), 'dataset_exact_deduplication has no effect with skip_prepare_dataset: true (deduplication runs while preparing).');
  if (ctx.on('dataset_processes') && ctx.on('dataset_num_proc')) ctx.report('config-deprecated-key', W, at('dataset_processes'), 'Both dataset_processes (deprecated) and dataset_num_proc are set: remove dataset_processes.');

  // AX-E1 … AX-E5
  const es = ctx.get('eval_strategy');
  if (truthy(es) && ctx.on('eval_steps') && es !== 'steps') ctx.report('config-eval-strategy-mismatch', E, atValue('eval_strategy'), `eval_strategy '${String(es)}' contradicts eval_steps: set eval_strategy: steps or remove eval_steps.`, { replaceValueWith: 'steps' });
  const vss = ctx.get('val_set_size');
  if (vss !== undefined && vss !== null && Number(vss) === 0 && (ctx.on('eval_steps') || truthy(es)) && !ctx.on('test_datasets') && es !== 'no') {
    ctx.report('config-eval-without-eval-set', E, [...at('eval_steps', 'eval_strategy')], 'eval_steps/eval_strategy are set but val_set_size is 0 and there are no test_datasets: there is nothing to evaluate.');
  }
  if (ctx.on('evals_per_epoch') && ctx.on('eval_steps')) ctx.report('config-evals-per-epoch-and-steps', E, at('evals_per_epoch'), 'eval_steps and evals_per_epoch are mutually exclusive: keep one.');
  if (ctx.on('evals_per_epoch') && truthy(es) && es !== 'steps') ctx.report('config-evals-per-epoch-strategy', E, atValue('eval_strategy'), 'eval_strategy must be empty or steps when evals_per_epoch is set.');
  if (ctx.on('do_bench_eval') && !(ctx.on('evals_per_epoch') || ctx.on('eval_steps'))) ctx.report('config-bench-eval-schedule', E, at('do_bench_eval'), 'do_bench_eval requires evals_per_epoch or eval_steps.');
  // AX-E6, AX-E9, AX-E10, AX-E11
  if (ctx.on('sample_packing') && ctx.on('eval_table_size') && ctx.get('eval_sample_packing') !== false) ctx.report('config-eval-table-packing', E, at('eval_table_size'), 'eval_table_size is not supported with sample_packing unless eval_sample_packing: false.', { addKey: { key: 'eval_sample_packing', value: false } });
  const evalPacking = ctx.has('eval_sample_packing') ? ctx.on('eval_sample_packing') : ctx.on('sample_packing') && !ctx.on('eval_table_size');
  if (ctx.on('do_causal_lm_eval') && evalPacking) ctx.report('config-causal-lm-eval-packing', E, at('do_causal_lm_eval'), 'do_causal_lm_eval needs eval_sample_packing: false.', { addKey: { key: 'eval_sample_packing', value: false } });
  const metrics = ctx.get('eval_causal_lm_metrics');
  if (truthy(metrics)) {
    const allowed: readonly string[] = CAUSAL_LM_METRICS;
    const bad = Array.isArray(metrics) ? metrics.filter((m) => !allowed.includes(String(m))) : [];
    if (!Array.isArray(metrics) || bad.length > 0) ctx.report('config-causal-lm-metrics', E, atValue('eval_causal_lm_metrics'), `eval_causal_lm_metrics must be a list drawn from ${allowed.join(', ')}${bad.length ? `; not: ${bad.join(', ')}` : ''}.`);
  }
  if (ctx.on('eval_batch_size') && ctx.on('micro_batch_size') && ctx.num('eval_batch_size') !== ctx.num('micro_batch_size')) ctx.report('config-eval-batch-size', W, at('eval_batch_size'), 'eval_batch_size differs from micro_batch_size, which can make GPU memory use unstable.');
}

/** Python's float() of a string, as Axolotl's converters call it. */
function pythonFloat(s: string): number | undefined {
  const t = s.trim().replace(/(\d)_(?=\d)/g, '$1');
  if (/^[-+]?(inf(inity)?|nan)$/i.test(t)) return t.toLowerCase().includes('nan') ? NaN : t.startsWith('-') ? -Infinity : Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

function training(ctx: RuleContext): void {
  // learning_rate / loraplus_lr_embedding accept strings that Axolotl converts with float().
  for (const k of ['learning_rate', 'loraplus_lr_embedding']) {
    const v = ctx.get(k);
    if (typeof v === 'string' && v !== '' && pythonFloat(v) === undefined) {
      ctx.report('config-type-mismatch', E, atValue(k), `'${k}' must be a number; Axolotl cannot convert the string '${v}' (write e.g. 2e-4).`);
    }
  }
  // AX-T1 … AX-T3
  const bs = ['micro_batch_size', 'gradient_accumulation_steps', 'batch_size'];
  if (bs.filter((k) => ctx.on(k)).length < 2) {
    const missing = bs.filter((k) => !ctx.on(k));
    ctx.report('config-batch-size-fields', E, [...at('micro_batch_size', 'gradient_accumulation_steps', 'batch_size')], `At least two of micro_batch_size, gradient_accumulation_steps and batch_size must be set (missing or zero: ${missing.join(', ')}).`, ctx.on('micro_batch_size') && !ctx.has('gradient_accumulation_steps') ? { addKey: { key: 'gradient_accumulation_steps', value: 1 } } : !ctx.has('micro_batch_size') ? { addKey: { key: 'micro_batch_size', value: 1 } } : undefined, true);
  }
  if (ctx.on('gradient_accumulation_steps') && ctx.on('batch_size')) ctx.report('config-batch-size-and-accumulation', E, at('batch_size'), 'Set only one of gradient_accumulation_steps and batch_size.');
  else if (ctx.on('batch_size')) ctx.report('config-batch-size-set', W, at('batch_size'), 'Setting batch_size is not recommended: set micro_batch_size and gradient_accumulation_steps instead.');
  if (ctx.on('warmup_steps') && ctx.on('warmup_ratio')) ctx.report('config-warmup-both', E, at('warmup_ratio'), 'warmup_steps and warmup_ratio are mutually exclusive: keep one.');
  const ss = ctx.get('save_strategy');
  if (truthy(ss) && ctx.on('save_steps') && ss !== 'steps') ctx.report('config-save-strategy-mismatch', E, atValue('save_strategy'), `save_strategy '${String(ss)}' contradicts save_steps: set save_strategy: steps or remove save_steps.`, { replaceValueWith: 'steps' });
  if (ctx.on('saves_per_epoch') && ctx.on('save_steps')) ctx.report('config-saves-per-epoch-and-steps', E, at('saves_per_epoch'), 'save_steps and saves_per_epoch are mutually exclusive: keep one.');
  if (ss === 'best' && !ctx.on('metric_for_best_model')) ctx.report('config-save-best-metric', E, atValue('save_strategy'), "save_strategy: best requires metric_for_best_model (e.g. eval_loss).", { addKey: { key: 'metric_for_best_model', value: 'eval_loss' } });
  if (ctx.on('hub_model_id') && ss !== undefined && ss !== null && ss !== 'steps' && ss !== 'epoch') ctx.report('config-hub-no-saves', W, at('hub_model_id'), 'hub_model_id is set but save_strategy saves no models to push.');
  // AX-T9 / AX-T10 (after-validators: schema values, saves_per_epoch does not count)
  if (ctx.on('early_stopping_patience')) {
    const save = ctx.num('save_steps');
    const evalSteps = ctx.num('eval_steps');
    if (!save || !evalSteps) {
      ctx.report('config-early-stopping-steps', E, at('early_stopping_patience'), `early_stopping_patience requires save_steps and eval_steps (with eval_steps dividing save_steps); ${!save && !evalSteps ? 'neither is' : !save ? 'save_steps is not' : 'eval_steps is not'} set. saves_per_epoch/evals_per_epoch do not count.`);
    } else if (save % evalSteps !== 0) {
      ctx.report('config-early-stopping-steps', E, at('early_stopping_patience'), `early_stopping_patience requires eval_steps (${evalSteps}) to divide save_steps (${save}) evenly.`);
    }
  }
  // AX-T11
  if (ctx.on('sample_packing') && ctx.get('pad_to_sequence_len') === false) ctx.report('config-packing-no-pad', W, atValue('pad_to_sequence_len'), 'pad_to_sequence_len: true is recommended with sample_packing (it avoids memory growth from changing shapes).', { replaceValueWith: true });
  // AX-T15
  if ((ctx.on('adam_beta1') || ctx.on('adam_beta2') || ctx.on('adam_epsilon')) && !String(ctx.get('optimizer') ?? 'adamw_torch_fused').toLowerCase().includes('adamw')) {
    ctx.report('config-adam-params-unused', W, at('adam_beta1', 'adam_beta2', 'adam_epsilon'), `adam_beta1/adam_beta2/adam_epsilon are set but the optimizer '${String(ctx.get('optimizer'))}' is not an AdamW variant, so they may be ignored.`);
  }
  if (ctx.on('noisy_embedding_alpha') && ctx.on('neftune_noise_alpha')) ctx.report('config-neftune-both', E, at('noisy_embedding_alpha'), 'noisy_embedding_alpha (deprecated) and neftune_noise_alpha are both set: remove noisy_embedding_alpha.');
  if (ctx.on('pretrain_multipack_buffer_size') && ctx.on('streaming_multipack_buffer_size')) ctx.report('config-multipack-buffer-both', E, at('pretrain_multipack_buffer_size'), 'pretrain_multipack_buffer_size (deprecated) and streaming_multipack_buffer_size are both set: remove the deprecated one.');
  // AX-T18 … AX-T21
  const gck = ctx.get('gradient_checkpointing_kwargs');
  const reentrant = isPlainObject(gck) ? gck.use_reentrant : undefined;
  if (ctx.on('unfrozen_parameters') && reentrant === true) ctx.report('config-reentrant-partial-freeze', E, at('gradient_checkpointing_kwargs'), 'use_reentrant must be false with a partially frozen model (unfrozen_parameters).');
  const gc = ctx.get('gradient_checkpointing');
  if (gc === 'offload' || gc === 'offload_disk') {
    ctx.report('config-gc-offload-deprecated', W, atValue('gradient_checkpointing'), `gradient_checkpointing: ${gc} is deprecated: use gradient_checkpointing: true with activation_offloading: ${gc === 'offload' ? 'true' : 'disk'}.`, { replaceValueWith: true });
  }
  const gcOn = truthy(gc);
  const ao = ctx.get('activation_offloading');
  if (truthy(ao) && !gcOn) ctx.report('config-offloading-needs-gc', E, at('activation_offloading'), 'activation_offloading requires gradient_checkpointing.', { addKey: { key: 'gradient_checkpointing', value: true } });
  if (ctx.on('selective_checkpointing')) {
    if (!gcOn) ctx.report('config-selective-checkpointing', E, at('selective_checkpointing'), 'selective_checkpointing requires gradient_checkpointing.');
    else if (truthy(reentrant)) ctx.report('config-selective-checkpointing', E, at('selective_checkpointing'), 'selective_checkpointing requires non-reentrant checkpointing (gradient_checkpointing_kwargs.use_reentrant: false).');
    if (truthy(ao) && ao !== 'hidden_states' && gc !== 'offload' && gc !== 'offload_disk') ctx.report('config-selective-checkpointing', E, at('selective_checkpointing'), 'selective_checkpointing only works with activation_offloading: hidden_states (or off).');
  }
  // AX-T23
  const tco = ctx.get('torch_compile_options');
  if (tco !== undefined && tco !== null) {
    if (!ctx.on('torch_compile')) ctx.report('config-compile-options-without-compile', E, at('torch_compile_options'), 'torch_compile_options is set but torch_compile is not enabled (set torch_compile: true or auto).', { addKey: { key: 'torch_compile', value: true } });
    if (isPlainObject(tco)) {
      const bad = Object.keys(tco).filter((k) => !TORCH_COMPILE_OPTION_KEYS.includes(k));
      if (bad.length > 0) ctx.report('config-compile-options-disallowed', E, at('torch_compile_options'), `torch_compile_options has flags Axolotl does not allow: ${bad.join(', ')}. Allowed: ${TORCH_COMPILE_OPTION_KEYS.join(', ')}.`);
    }
  }
  // AX-T25 … AX-T27
  if (ctx.on('pretraining_dataset') && !ctx.on('max_steps')) ctx.report('config-streaming-needs-max-steps', E, at('pretraining_dataset'), 'pretraining_dataset is streamed, so max_steps is required (the trainer cannot know the dataset length).', { addKey: { key: 'max_steps', value: 1000 } });
  if (ctx.on('streaming') && !ctx.on('max_steps')) ctx.report('config-streaming-needs-max-steps', E, at('streaming'), 'streaming: true requires max_steps (the trainer cannot know the dataset length).', { addKey: { key: 'max_steps', value: 1000 } });
  if ((ctx.on('pretraining_dataset') || ctx.on('streaming')) && ctx.on('val_set_size')) ctx.report('config-streaming-val-set', E, atValue('val_set_size'), 'val_set_size is not supported with streamed data: use test_datasets for evaluation.');
  if (ctx.on('pretraining_dataset') && ctx.on('include_tokens_per_second')) ctx.report('config-pretraining-tps', E, at('include_tokens_per_second'), 'include_tokens_per_second cannot be used with pretraining_dataset.');
  const datasets = ctx.get('datasets');
  if (ctx.on('streaming') && ctx.on('sample_packing') && Array.isArray(datasets) && datasets.length > 1) ctx.report('config-streaming-packing-multi', E, at('sample_packing'), 'Sample packing with several streaming datasets is not supported yet.');
  if (ctx.on('fp8') && !ctx.on('torch_compile')) ctx.report('config-fp8-without-compile', W, at('fp8'), 'FP8 training is only faster with torch_compile: true.', { addKey: { key: 'torch_compile', value: true } });
  if (ctx.on('fp8_enable_fsdp_float8_all_gather') && String(ctx.get('fsdp_version')) !== '2') ctx.report('config-fp8-all-gather-fsdp2', E, at('fp8_enable_fsdp_float8_all_gather'), 'fp8_enable_fsdp_float8_all_gather requires fsdp_version: 2.');
  // Mistral-common tokenizer (AX-M3): only when explicitly enabled.
  if (ctx.on('tokenizer_use_mistral_common')) {
    for (const k of ['added_tokens_overrides', 'special_tokens', 'tokens', 'chat_template', 'processor_kwargs']) {
      if (ctx.on(k)) ctx.report('config-mistral-common-conflict', E, at(k), `${k} is not supported with the mistral-common tokenizer (tokenizer_use_mistral_common).`);
    }
  }
  const pk = ctx.get('processor_kwargs');
  if (isPlainObject(pk)) for (const k of ['revision', 'trust_remote_code']) if (k in pk) ctx.report('config-processor-kwargs-reserved', E, at('processor_kwargs'), `processor_kwargs must not contain ${k}: use the top-level key.`);
  if (ctx.get('save_safetensors') === false) ctx.report('config-safetensors-required', E, atValue('save_safetensors'), 'save_safetensors: false is not supported (Transformers v5 saves safetensors only).', { replaceValueWith: true });
  if (ctx.on('trust_remote_code')) ctx.report('config-trust-remote-code', W, atValue('trust_remote_code'), "trust_remote_code runs Python code from the model's repository on this machine. Review it (and pin model_revision) before training.");
}

function attention(ctx: RuleContext): void {
  const explicit = ctx.get('attn_implementation');
  const legacy = Object.keys(LEGACY_ATTENTION_FLAGS).filter((f) => ctx.on(f));
  if (typeof explicit === 'string' && explicit && legacy.length > 0) {
    ctx.report('config-attention-conflict', E, at(legacy[0]!), `attn_implementation cannot be combined with the legacy flag(s) ${legacy.join(', ')}: keep only attn_implementation.`);
  }
  if (ctx.on('gemma4_hybrid_attn_impl') && typeof explicit === 'string' && explicit && explicit !== 'flash_attention_2') {
    ctx.report('config-gemma4-hybrid-attention', E, atValue('attn_implementation'), 'gemma4_hybrid_attn_impl requires attn_implementation: flash_attention_2.', { replaceValueWith: 'flash_attention_2' });
  }
  if (typeof explicit === 'string' && explicit && !CANONICAL_ATTN.has(explicit) && !explicit.includes('/')) {
    const canonical = ATTN_SHORT_FORMS[explicit];
    ctx.report(
      'config-invalid-value',
      E,
      atValue('attn_implementation'),
      canonical ? `attn_implementation '${explicit}' is not accepted: use the canonical name '${canonical}'.` : `attn_implementation '${explicit}' is not a recognised backend: use one of ${[...CANONICAL_ATTN].join(', ')}, or a Hub kernel path containing '/'.`,
      canonical ? { replaceValueWith: canonical } : undefined,
    );
  }
  const impl = effectiveAttention(ctx);
  if (ctx.on('scaling_softmax') && impl !== 'flex_attention') ctx.report('config-scaling-softmax-flex', E, at('scaling_softmax'), 'scaling_softmax requires attn_implementation: flex_attention.');
  if (ctx.on('sample_packing')) {
    const safe = impl !== undefined && (ATTN_PACKING.has(impl) || impl === 'sdpa' || impl === 'eager');
    if (!safe) {
      ctx.report(
        'config-packing-attention',
        W,
        at('sample_packing'),
        impl
          ? `sample_packing with attn_implementation '${impl}' does not keep packed samples apart (they can attend to each other). Use flash_attention_2, flex_attention or sdpa.`
          : 'sample_packing without attn_implementation does not keep packed samples apart (they can attend to each other). Set attn_implementation: flash_attention_2 (or sdpa).',
        impl ? undefined : { addKey: { key: 'attn_implementation', value: 'flash_attention_2' } },
      );
    }
    // AX-T14
    const bf16 = ctx.has('bf16') ? ctx.get('bf16') : 'auto';
    if (!truthy(bf16) && !ctx.on('bfloat16') && (ctx.on('fp16') || ctx.on('float16')) && !ctx.on('adapter') && !(impl && ATTN_FLASH_LIB.has(impl))) {
      ctx.report('config-fft-fp16-packing', W, at('sample_packing'), 'Full fine-tuning with fp16 and sample packing without FlashAttention is likely to fail; try LoRA or flash_attention_2.');
    }
  }
  if (ctx.on('batch_flattening') && ctx.get('batch_flattening') !== 'auto') {
    if (!(impl && ATTN_PACKING.has(impl))) ctx.report('config-batch-flattening-attention', E, at('batch_flattening'), 'batch_flattening requires a varlen attention backend (e.g. attn_implementation: flash_attention_2).');
    if (ctx.on('sample_packing')) ctx.report('config-batch-flattening-packing', E, at('batch_flattening'), 'batch_flattening is not compatible with sample_packing.');
  }
  if (impl === 'sage') {
    if (!ctx.on('sample_packing') && !ctx.on('pad_to_sequence_len')) ctx.report('config-sage-padding', W, atValue('attn_implementation'), 'SageAttention without packing: set pad_to_sequence_len: true, the loss has been seen to explode otherwise.');
    if (!ctx.on('adapter')) ctx.report('config-sage-full-finetune', W, atValue('attn_implementation'), 'SageAttention with full fine-tuning has been seen to drop the loss to 0: monitor it, or use LoRA/QLoRA.');
  }
  const lha = ctx.get('large_head_attention');
  if (lha !== undefined && lha !== null && !['auto', 'sdpa', 'triton_flash'].includes(String(lha).toLowerCase())) {
    ctx.report('config-invalid-value', E, atValue('large_head_attention'), `large_head_attention must be one of auto, sdpa, triton_flash; got '${String(lha)}'.`);
  }
}

/**
 * Whether a pattern compiles as a Python regex, approximated with JavaScript's engine in unicode
 * mode (stricter about stray escapes) and translating the Python-only constructs configs use.
 */
function pythonRegexCompiles(p: string): boolean {
  const js = p.replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>').replace(/\\[AZ]/g, '');
  try {
    new RegExp(js);
    return true;
  } catch {
    return false;
  }
}
