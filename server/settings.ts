/**
 * The `tunelab.*` settings the server reads (declared by the extension's package.json). The client
 * answers `workspace/configuration` for section `tunelab`; editors without that capability pass
 * the same object as `initializationOptions.settings` (or send it with
 * `workspace/didChangeConfiguration`). Whatever arrives is normalised here: unknown or ill-typed
 * values fall back to the default, so a bad setting never breaks a feature.
 */
export interface ServerSettings {
  /** Glob patterns of YAML files that are always configs (`tunelab.configFiles`). */
  configFiles: string[];
  /** Most diagnostics published per file; the rest are summarised (`tunelab.maxDiagnostics`). */
  maxDiagnostics: number;
  /** Model (local directory or hub id) for token counts when no config names one (`tunelab.model`). */
  model: string;
  /** GPU memory in GB for the fits-in-memory warning; 0 = not set (`tunelab.gpuMemoryGb`). */
  gpuMemoryGb: number;
  /** GPUs the estimate shares model states over (`tunelab.gpus`). */
  gpus: number;
}

export const defaultSettings: Readonly<ServerSettings> = Object.freeze({
  configFiles: [],
  maxDiagnostics: 1000,
  model: '',
  gpuMemoryGb: 0,
  gpus: 1,
});

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function positiveInt(v: unknown, fallback: number, max: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 1 ? Math.min(Math.floor(v), max) : fallback;
}

/**
 * Normalises whatever the client sent for section `tunelab`. Accepts both the nested shape
 * (`{configFiles: [...]}`) and a whole settings object (`{tunelab: {...}}`) since editors differ.
 */
export function normaliseSettings(raw: unknown): ServerSettings {
  const r = isRecord(raw) && isRecord(raw.tunelab) ? raw.tunelab : raw;
  if (!isRecord(r)) return { ...defaultSettings, configFiles: [] };
  const configFiles = Array.isArray(r.configFiles) ? r.configFiles.filter((g): g is string => typeof g === 'string' && g.trim() !== '') : [];
  return {
    configFiles,
    maxDiagnostics: positiveInt(r.maxDiagnostics, defaultSettings.maxDiagnostics, 1_000_000),
    model: typeof r.model === 'string' ? r.model.trim() : '',
    gpuMemoryGb: typeof r.gpuMemoryGb === 'number' && Number.isFinite(r.gpuMemoryGb) && r.gpuMemoryGb > 0 ? r.gpuMemoryGb : 0,
    gpus: positiveInt(r.gpus, 1, 4096),
  };
}
