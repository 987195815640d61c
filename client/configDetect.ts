/**
 * Whether a YAML text is a fine-tuning config: the config core's own rule (common/config/detect.ts:
 * a marker, a top-level `base_model:`, or at least three Axolotl-only top-level keys; never a
 * mergekit config). detect.ts imports nothing, so the extension bundle does not carry the schema
 * tables just for a context key.
 */
export { looksLikeConfig as looksLikeConfigText } from '../common/config/detect';
