/**
 * Whether a YAML text is a fine-tuning config, by the rule of `looksLikeConfig` in
 * common/config/index.ts (a top-level `base_model:` without mergekit's keys, or a `# tunelab` /
 * yaml-language-server schema marker). Repeated here because importing the config core would put
 * its schema tables in the extension bundle just for a context key; a unit test checks that both
 * agree.
 */
const MARKER = /^#\s*(tunelab\b|yaml-language-server:\s*\$schema=\S*(tunelab|axolotl-config\.schema\.json))/im;
const MERGEKIT = /^(?:(?:models|slices|experts|gate_mode|architecture)[ \t]*:|merge_method[ \t]*:[ \t]*(?!(?:legacy|memory_efficient)\b)\S)/m;

export function looksLikeConfigText(text: string): boolean {
  const head = text.length > 1 << 20 ? text.slice(0, 1 << 20) : text;
  if (MARKER.test(head.slice(0, 8192))) return true;
  return /^base_model[ \t]*:/m.test(head) && !MERGEKIT.test(head);
}
