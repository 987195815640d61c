/**
 * The environment probe: one Python call that prints a JSON object describing the interpreter and
 * the libraries an engine needs, parsed here, and turned into one clear message per kind of
 * problem (all missing packages together, with one command that installs them). Pure (the CLI runs the script).
 */

/** Engines Tunelab can train with. */
export type EngineName = 'builtin' | 'axolotl' | 'hf';
export const ENGINES: readonly EngineName[] = ['builtin', 'axolotl', 'hf'];

/**
 * Prints {"python": "3.11.7", "executable": ..., "torch": {...} | null, "packages": {name: version | null}}.
 * Importing torch is what reveals CUDA; other packages are looked up by distribution metadata
 * only (importing axolotl takes seconds and can fail for reasons the launch reports better).
 */
export const PROBE_SCRIPT = [
  'import json, sys, platform',
  'out = {"python": platform.python_version(), "executable": sys.executable, "torch": None, "packages": {}}',
  'try:',
  '    from importlib import metadata as md',
  'except Exception:',
  '    md = None',
  'for name in ("torch", "transformers", "peft", "accelerate", "axolotl", "deepspeed", "datasets", "bitsandbytes", "pyyaml"):',
  '    v = None',
  '    if md is not None:',
  '        try:',
  '            v = md.version(name)',
  '        except Exception:',
  '            v = None',
  '    out["packages"][name] = v',
  'if out["packages"]["torch"]:',
  '    try:',
  '        import torch',
  '        t = {"version": torch.__version__, "cuda": None, "devices": [], "mps": False}',
  '        if torch.cuda.is_available():',
  '            t["cuda"] = torch.version.cuda',
  '            for i in range(torch.cuda.device_count()):',
  '                p = torch.cuda.get_device_properties(i)',
  '                t["devices"].append({"name": p.name, "memory": int(p.total_memory)})',
  '        try:',
  '            t["mps"] = bool(torch.backends.mps.is_available())',
  '        except Exception:',
  '            pass',
  '        out["torch"] = t',
  '    except Exception as e:',
  '        out["torch"] = {"error": str(e)}',
  'print("TUNELAB_PROBE " + json.dumps(out))',
].join('\n');

export interface TorchInfo {
  version: string;
  /** CUDA runtime version, null when no CUDA device is usable. */
  cuda: string | null;
  devices: { name: string; memory: number }[];
  mps: boolean;
}

export interface EnvProbe {
  python: string;
  executable: string;
  /** null: torch is not installed; `{ error }`: installed but failed to import. */
  torch: TorchInfo | { error: string } | null;
  packages: Record<string, string | null>;
}

/** Parses the probe's stdout (the line starting with TUNELAB_PROBE; other output is ignored). */
export function parseProbe(stdout: string): EnvProbe | { error: string } {
  const line = stdout.split(/\r?\n/).find((l) => l.startsWith('TUNELAB_PROBE '));
  if (!line) return { error: 'the interpreter printed no probe result' };
  let v: unknown;
  try {
    v = JSON.parse(line.slice('TUNELAB_PROBE '.length));
  } catch (e) {
    return { error: `unreadable probe result: ${(e as Error).message}` };
  }
  const o = v as Partial<EnvProbe>;
  if (typeof o?.python !== 'string' || typeof o.packages !== 'object' || o.packages === null) return { error: 'unexpected probe result' };
  return { python: o.python, executable: String(o.executable ?? ''), torch: (o.torch as EnvProbe['torch']) ?? null, packages: o.packages as Record<string, string | null> };
}

/** One missing or unusable piece, with the command that fixes it. */
export interface MissingPiece {
  code: 'engine-python-too-old' | 'engine-package-missing' | 'engine-torch-broken' | 'engine-gpus-unavailable';
  message: string;
  install?: string;
}

export interface Requirements {
  engine: Exclude<EngineName, 'builtin'>;
  gpus: number;
  deepspeed: boolean;
  /** qlora / load_in_4bit / load_in_8bit need bitsandbytes. */
  quantized: boolean;
  /** The hf runner reads datasets from the Hub through `datasets`. */
  hubDatasets: boolean;
}

const versionTuple = (v: string) => v.split('.').map((x) => Number.parseInt(x, 10) || 0);

/** What is missing for a launch, in the order a user should fix it (empty: ready). */
export function missingPieces(p: EnvProbe, req: Requirements): MissingPiece[] {
  const out: MissingPiece[] = [];
  const [maj = 0, min = 0] = versionTuple(p.python);
  if (maj < 3 || (maj === 3 && min < 9)) {
    out.push({ code: 'engine-python-too-old', message: `Python ${p.python} at ${p.executable} is too old: transformers needs Python 3.9 or newer. Point tunelab.python / --python at a newer interpreter.` });
    return out;
  }
  const pip = `${p.executable || 'python'} -m pip install`;
  // Every missing package goes into one message with one command: a user fixes it in one step.
  const missing: { name: string; why: string; install: string }[] = [];
  const need = (name: string, why: string, install = name) => {
    if (!p.packages[name]) missing.push({ name, why, install });
  };
  need('torch', 'every Python engine trains with PyTorch', 'torch');
  if (req.engine === 'axolotl') need('axolotl', '--engine axolotl runs Axolotl itself', "'axolotl[flash-attn,deepspeed]'");
  need('transformers', 'the Trainer and the Tunelab callback need it');
  need('peft', 'LoRA and QLoRA adapters need it');
  need('accelerate', 'the Trainer and multi-GPU launches need it');
  if (req.engine === 'hf' && req.hubDatasets) need('datasets', 'datasets that are not local files are loaded from the Hugging Face Hub');
  if (req.engine === 'hf') need('pyyaml', 'the runner reads the YAML config', 'pyyaml');
  if (req.deepspeed) need('deepspeed', 'the config names a deepspeed: file');
  if (req.quantized) need('bitsandbytes', 'QLoRA and 4/8-bit loading need it');
  if (missing.length > 0) {
    const names = missing.map((m) => m.name);
    const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
    const why = missing.map((m) => `${m.name}: ${m.why}`).join('; ');
    // torch goes in first on its own: axolotl's flash-attn and deepspeed extras build against it.
    const torchFirst = missing[0].name === 'torch' && missing.length > 1;
    const rest = (torchFirst ? missing.slice(1) : missing).map((m) => m.install).join(' ');
    const install = torchFirst ? `${pip} torch && ${pip} ${rest}` : `${pip} ${rest}`;
    out.push({ code: 'engine-package-missing', message: `${list} ${names.length === 1 ? 'is' : 'are'} not installed in ${p.executable} (${why})`, install });
  }
  const t = p.torch;
  if (t && 'error' in t) out.push({ code: 'engine-torch-broken', message: `torch is installed but fails to import: ${t.error}`, install: `${pip} --force-reinstall torch` });
  else if (t && req.gpus > 1 && t.devices.length < req.gpus) {
    out.push({ code: 'engine-gpus-unavailable', message: `--gpus ${req.gpus} asked for ${req.gpus} CUDA devices; torch sees ${t.devices.length}${t.cuda === null ? ' (no CUDA: a CPU-only torch build, or no driver)' : ''}` });
  }
  return out;
}

/** One line describing the environment, for the run's log. */
export function describeProbe(p: EnvProbe): string {
  const t = p.torch;
  const torch = !t ? 'no torch' : 'error' in t ? `torch (broken: ${t.error})` : `torch ${t.version}${t.cuda ? ` CUDA ${t.cuda}` : ''}; ${t.devices.length ? t.devices.map((d) => `${d.name} ${(d.memory / 2 ** 30).toFixed(0)} GiB`).join(', ') : t.mps ? 'Apple MPS' : 'CPU only'}`;
  const libs = ['transformers', 'peft', 'accelerate', 'axolotl', 'deepspeed'].filter((n) => p.packages[n]).map((n) => `${n} ${p.packages[n]}`);
  return `Python ${p.python} (${p.executable}); ${torch}${libs.length ? '; ' + libs.join(', ') : ''}`;
}
