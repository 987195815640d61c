/**
 * Reading setting values from the raw config, one rule for the methods (peft/) and the training
 * settings (train/): YAML may give numbers as strings ("2e-4"), which count; anything else that is
 * not the expected type reads as unset.
 */
import type { RawConfig, Refuse } from './types';

/** A finite number, or a numeric string as that number; otherwise null. */
export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
/** A non-empty string, otherwise null. */
export const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
/** A boolean, otherwise null. */
export const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

/** Reads a positive integer key; refuses other values (returns the fallback then, as when the key is unset). */
export function positiveInt<F extends number | null>(cfg: RawConfig, key: string, fallback: F, refuse: Refuse): number | F {
  const v = num(cfg[key]);
  if (v === null) return fallback;
  if (!Number.isInteger(v) || v < 1) {
    refuse('trainer-invalid-setting', key, `${key} must be a positive integer`);
    return fallback;
  }
  return v;
}
