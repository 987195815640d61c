/**
 * The contract every fine-tuning method implements (full, LoRA, prefix, prompt, bottleneck, and
 * those added later in their own files). The trainer, eval, generate and merge-lora reach methods
 * only through this contract and the registry (index.ts), so a new method needs no edit there.
 */
import type { RunStartEvent } from '../../common/protocol/events';
import type { CausalLM, ForwardHooks, HostTensor, ModelConfig } from '../model/index';

/** A method's name, as `run_start` reports it (the protocol is the one list). */
export type MethodName = RunStartEvent['method'];

/** The config as the trainer reads it (Axolotl keys, defaults filled). */
export type RawConfig = Record<string, unknown>;

/** Records a setting the trainer refuses: a stable code, the config key, a sentence. */
export type Refuse = (code: string, key: string, message: string) => void;

/** What `apply` needs besides the model and the settings. */
export interface ApplyOptions {
  /** Seed for the method's initialisation (the run's seed). */
  seed: number;
  /** Weights read from a saved adapter (`load`): the method starts from them, frozen for inference. */
  weights?: Map<string, HostTensor>;
  /** The tokenizer with special tokens added (as PEFT's tokenizer call), for methods that initialise from text (prompt tuning's TEXT init). */
  encode?: (text: string) => number[];
}

/** A method applied to one model: what is needed afterwards to save it. */
export interface AppliedMethod {
  readonly method: MethodName;
  /** `adapter`: save writes adapter_config.json + adapter_model.safetensors; `model`: a whole model directory. */
  readonly output: 'adapter' | 'model';
  /** Writes the trained state into `dir` (created); returns the file names written. */
  save(dir: string, opts: SaveOptions): string[];
  /**
   * The hooks the method attached to the model (prefix, prompt, bottleneck); absent for methods
   * that only wrap linears. A server holding several adapters on one base can `detach` them and
   * pass `hooks` per forward instead (`ForwardOptions.hooks`).
   */
  readonly hooks?: ForwardHooks;
  /** Removes `hooks` from the model's attached hooks (the variables stay until the model is disposed). */
  detach?(): void;
}

export interface SaveOptions {
  /** `base_model_name_or_path` in adapter_config.json. */
  baseModel?: string;
  /** The base model directory (full fine-tuning copies its tokenizer files). */
  modelDir?: string;
}

/** An adapter directory read from disk: which method, its settings, its weights (method names). */
export interface LoadedAdapter<S = unknown> {
  dir: string;
  method: MethodName;
  /** adapter_config.json's peft_type. */
  peftType: string;
  settings: S;
  /** Tensors keyed as the method's `apply` expects them. */
  weights: Map<string, HostTensor>;
  baseModel: string | null;
}

/** One fine-tuning method. `S` is its settings object. */
export interface PeftMethod<S = unknown> {
  readonly name: MethodName;
  /** The config's `adapter:` values that select this method (none for full fine-tuning). */
  readonly adapterValues: readonly string[];
  /** adapter_config.json `peft_type` values this method loads (PEFT's spelling). */
  readonly peftTypes: readonly string[];
  /** Reads the method's keys from the config; bad values are refused through `refuse`, with the key. */
  readSettings(cfg: RawConfig, refuse: Refuse): S;
  /**
   * Changes `model` for the method (wraps linears, attaches ForwardHooks, freezes the base) and
   * registers the new variables in `model.params`. Throws with a one-line reason on a mismatch.
   */
  apply(model: CausalLM, settings: S, opts: ApplyOptions): AppliedMethod;
  /** From a parsed adapter_config.json and the adapter's tensors: settings and weights for `apply`. Throws with a reason. */
  fromSaved?(config: RawConfig, tensors: Map<string, HostTensor>, where: string): { settings: S; weights: Map<string, HostTensor> };
  /** Host-side merge into base tensors (methods whose update is a weight change: LoRA, IA3). */
  merge?(config: ModelConfig, base: Map<string, HostTensor>, loaded: LoadedAdapter<S>): { tensors: Map<string, HostTensor>; modules: string[]; scaling?: number };
}
