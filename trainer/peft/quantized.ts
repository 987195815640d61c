/**
 * Quantised bases (`load_in_4bit`, `load_in_8bit`) and QLoRA as registry pieces.
 *
 * Quantisation is orthogonal to the method: it turns the frozen base's linears into packed 4-bit
 * or 8-bit weights (trainer/model/quantLinear.ts) before any adapter is applied, so LoRA, DoRA,
 * IA3 and the hook-based methods all sit on it. Settings follow Axolotl's bitsandbytes config:
 * 4-bit is NF4 with double quantisation unless `bnb_config_kwargs` says otherwise
 * (`bnb_4bit_quant_type: fp4`, `bnb_4bit_use_double_quant: false`); 8-bit is LLM.int8's
 * vector-wise int8. Full fine-tuning of a quantised model is refused (as Axolotl refuses it).
 *
 * `adapter: qlora` is LoRA under its own name (run_start says `qlora`); it saves a LORA adapter,
 * which loads back through the LoRA entry.
 */
import { quantizeBase, type QuantizeOptions, type QuantizeReport } from '../model/quantLinear';
import type { CausalLM } from '../model/index';
import { loraMethod, type LoraSettings } from './lora';
import type { MethodName, PeftMethod, RawConfig, Refuse } from './types';

const on = (v: unknown) => v === true || v === 'true';

/**
 * The base quantisation a config asks for (null: float32). `method` is the chosen method: a
 * quantised base needs an adapter.
 */
export function readQuantSettings(cfg: RawConfig, method: MethodName, refuse: Refuse): QuantizeOptions | null {
  if (on(cfg.gptq)) refuse('trainer-unsupported-quantization', 'gptq', 'gptq (pre-quantised GPTQ checkpoints) is not supported by the Tunelab trainer; use load_in_4bit or load_in_8bit on a float checkpoint');
  const in4 = on(cfg.load_in_4bit);
  const in8 = on(cfg.load_in_8bit);
  if (method === 'qlora' && !in4) refuse('trainer-invalid-setting', 'adapter', 'adapter: qlora needs load_in_4bit: true (QLoRA trains LoRA on a 4-bit base model)');
  if (!in4 && !in8) return null;
  const key = in4 ? 'load_in_4bit' : 'load_in_8bit';
  if (in4 && in8) {
    refuse('trainer-invalid-setting', 'load_in_8bit', 'load_in_4bit and load_in_8bit cannot both be on; choose one');
    return null;
  }
  if (method === 'full') {
    refuse('trainer-quantized-full-finetune', key, `${key} needs an adapter: a quantised model cannot be fully fine-tuned (set adapter: ${in4 ? 'qlora' : 'lora'}, or turn ${key} off)`);
    return null;
  }
  if (in8) return { bits: 8 };
  const kw = cfg.bnb_config_kwargs && typeof cfg.bnb_config_kwargs === 'object' ? (cfg.bnb_config_kwargs as RawConfig) : {};
  const type = kw.bnb_4bit_quant_type ?? 'nf4';
  if (type !== 'nf4' && type !== 'fp4') {
    refuse('trainer-invalid-setting', 'bnb_config_kwargs', `bnb_4bit_quant_type ${JSON.stringify(type)} is not a 4-bit type bitsandbytes offers (nf4, fp4)`);
    return null;
  }
  const dq = kw.bnb_4bit_use_double_quant ?? true;
  if (typeof dq !== 'boolean') {
    refuse('trainer-invalid-setting', 'bnb_config_kwargs', 'bnb_4bit_use_double_quant must be true or false');
    return null;
  }
  return { bits: 4, quantType: type, doubleQuant: dq };
}

/** Quantises the base of `model` when `q` asks for it (before the method is applied). */
export function applyQuantization(model: CausalLM, q: QuantizeOptions | null): QuantizeReport | null {
  return q ? quantizeBase(model, q) : null;
}

/** One line for the run's log: what was quantised and the memory it takes. */
export function describeQuantization(q: QuantizeOptions, r: QuantizeReport): string {
  const kind = q.bits === 8 ? 'int8 (vector-wise)' : `${q.quantType.toUpperCase()}${q.doubleQuant ? ' + double quantisation' : ''}`;
  const mib = (b: number) => (b / 2 ** 20).toFixed(2);
  return `base quantised to ${kind}: ${r.modules.length} linears, ${r.params.toLocaleString('en-US')} weights in ${mib(r.bytes)} MiB (float32: ${mib(r.float32Bytes)} MiB, ${((8 * r.bytes) / r.params).toFixed(3)} bits per weight)`;
}

/** `adapter: qlora`: LoRA (on the 4-bit base that `readQuantSettings` requires). */
export const qloraMethod: PeftMethod<LoraSettings> = {
  name: 'qlora',
  adapterValues: ['qlora'],
  // Saved as a LORA adapter; loading goes through the LoRA entry.
  peftTypes: [],
  readSettings: loraMethod.readSettings,
  apply(model, settings, opts) {
    const applied = loraMethod.apply(model, settings, opts);
    return { ...applied, method: 'qlora' };
  },
};
