import { Severity } from '../diagnostics';
import { isPlainObject, truthy, type Anchor, type RuleContext } from './context';
import { LEGACY_ATTENTION_FLAGS } from './schema/enums';

/** Shared vocabulary of the rule modules (rules.ts, rulesDistributed.ts). */
export const E = Severity.Error;
export const W = Severity.Warning;
/** Anchors on the keys, first present wins. */
export const at = (...keys: string[]): Anchor[] => keys.map((k) => ({ path: [k] }));
/** Anchor on a key's value, falling back to the key. */
export const atValue = (k: string): Anchor[] => [{ path: [k], on: 'value' }, { path: [k] }];

export const CANONICAL_ATTN = new Set(['eager', 'sdpa', 'flash_attention_2', 'flash_attention_3', 'flex_attention', 'xformers', 'sage', 'fp8']);
/** Backends that keep packed samples apart through varlen position ids (Axolotl's list). */
export const ATTN_PACKING = new Set(['flash_attention_2', 'flash_attention_3', 'flex_attention', 'xformers', 'sage', 'kernels-community/flash-attn2', 'kernels-community/flash-attn3', 'kernels-community/sage-attention']);
export const ATTN_FLASH_LIB = new Set(['flash_attention_2', 'flash_attention_3', 'kernels-community/flash-attn2', 'kernels-community/flash-attn3']);

/** attn_implementation after Axolotl maps the legacy boolean flags (first set flag in Axolotl's order). */
export function effectiveAttention(ctx: RuleContext): string | undefined {
  const explicit = ctx.str('attn_implementation');
  if (explicit) return explicit;
  for (const [flag, impl] of Object.entries(LEGACY_ATTENTION_FLAGS)) if (ctx.on(flag)) return impl;
  if (ctx.on('gemma4_hybrid_attn_impl')) return 'flash_attention_2';
  return undefined;
}

/** FSDP version as Axolotl resolves it (top level, then fsdp_config.fsdp_version / version, else 1). */
export function fsdpVersion(ctx: RuleContext): string | undefined {
  const fc = isPlainObject(ctx.get('fsdp_config')) ? (ctx.get('fsdp_config') as Record<string, unknown>) : undefined;
  const v = ctx.get('fsdp_version') ?? fc?.fsdp_version ?? fc?.version;
  if (truthy(v)) return String(v);
  return truthy(fc) || ctx.on('fsdp') ? '1' : undefined;
}
