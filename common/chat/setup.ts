/**
 * Checks of a masking setup before any record is read (Axolotl checks the same at start-up):
 * end-of-turn tokens that are not single tokens or that the template never writes, an EOS token
 * the template never writes, and, the trap behind "the model never stops", a template whose turns
 * end with a token that is neither the EOS token nor an `eot_tokens` entry.
 */
import type { MaskOptions } from './mask';
import { stopTokensFor } from './mask';
import type { ChatModel } from './model';
import { resolveChatTemplate } from './render';
import { templateFamilyOfSource, type TemplateFamily } from './templates';
import type { MaskFinding } from './summary';
import { withSpecialTokens } from './specialTokens';

/** The token that ends a turn in each family's format (what a chat model must learn to emit). */
export const END_OF_TURN_TOKENS: Readonly<Record<TemplateFamily, string | undefined>> = {
  chatml: '<|im_end|>',
  qwen: '<|im_end|>',
  llama3: '<|eot_id|>',
  llama4: '<|eot|>',
  llama2: undefined, // ends with eos_token
  mistral: undefined, // ends with eos_token
  gemma: '<end_of_turn>',
  phi: '<|end|>',
  deepseek: '<｜end▁of▁sentence｜>',
  cohere: '<|END_OF_TURN_TOKEN|>',
  alpaca: undefined, // ends with eos_token
};

/**
 * Findings about a model + options pair, without data. Empty when the setup trains a stop token
 * at the end of every trained turn.
 */
export function maskSetupFindings(loaded: ChatModel, options: MaskOptions = {}): MaskFinding[] {
  const out: MaskFinding[] = [];
  const view = withSpecialTokens(loaded, options.specialTokens);
  if (!view.ok) return [{ code: 'mask-setup-invalid', severity: 'error', message: view.error.message }];
  const model = view.value;
  const tpl = resolveChatTemplate(model, options);
  if (!tpl.ok) return [{ code: 'mask-setup-invalid', severity: 'error', message: tpl.error.message }];
  const source = tpl.value.source;
  const stops = stopTokensFor(model, options, source);
  if (!stops.ok) return [{ code: 'mask-setup-invalid', severity: 'error', message: stops.error.message }];
  const eos = model.eosToken;
  if (eos !== undefined && !source.includes(eos) && !source.includes('eos_token'))
    out.push({
      code: 'mask-eos-not-in-template',
      severity: 'warning',
      message: `the EOS token "${eos}" never appears in the chat template (${tpl.value.name}): check that the template and the tokenizer belong together`,
    });
  for (const t of options.eotTokens ?? [])
    if (!source.includes(t))
      out.push({ code: 'mask-eot-not-in-template', severity: 'warning', message: `end-of-turn token "${t}" never appears in the chat template, so it is ignored` });
  const family = templateFamilyOfSource(source);
  const end = family ? END_OF_TURN_TOKENS[family] : undefined;
  const eosOpt = options.trainOnEos ?? 'turn';
  const eotOpt = options.trainOnEot ?? eosOpt;
  if (end !== undefined && source.includes(end) && end !== eos) {
    const ids = model.tokenizer.encode(end, { add_special_tokens: false }).ids;
    const declared = ids.length === 1 && stops.value.eot.has(ids[0]!);
    if (!declared || eotOpt === 'none')
      out.push({
        code: 'mask-turn-end-not-trained',
        severity: 'warning',
        message: declared
          ? `turns end with "${end}" but train_on_eot is none: the model never learns to end its turn`
          : `turns end with "${end}" but the EOS token is "${eos ?? '(none)'}" and eot_tokens does not list "${end}": the model never learns to end its turn (set eot_tokens: ["${end}"], or use a tokenizer whose eos_token is "${end}")`,
      });
  } else if (eosOpt === 'none' && eotOpt === 'none') {
    out.push({ code: 'mask-turn-end-not-trained', severity: 'warning', message: 'train_on_eos and train_on_eot are none: the model never learns to stop' });
  }
  return out;
}
