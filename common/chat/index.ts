/**
 * Tokenisation, chat templates and loss masking: the one implementation that the loss-mask view
 * (server/, cli inspect, the inspector webview) and the trainer both use.
 *
 * CONTRACT (owned by the chat core; dataset/, trainer/ and server/ build on these names):
 * - loadChatModel(modelDir) -> Outcome<ChatModel>: tokenizer.json (@huggingface/tokenizers) and
 *   tokenizer_config.json (chat_template, bos/eos/pad, added tokens), chat_template.jinja,
 *   generation_config.json / config.json eos ids. `ChatModelCache` keeps them by directory.
 * - resolveChatTemplate(model, {chatTemplate, chatTemplateJinja}): the model's own template
 *   (`tokenizer_default`) or a built-in by Axolotl name (chatml, llama3, mistral_v1, ...).
 * - buildExample(model, conversation, options) -> Outcome<MaskedExample>: the rendered text, token
 *   ids, and for each token whether it is trained (labels), following train_on_inputs,
 *   roles_to_train, train_on_eos / train_on_eot and per-message weight; truncation to
 *   sequence_len reported, not hidden. buildAlpacaExample and buildCompletionExamples do the same
 *   for Alpaca prompts and plain text. See docs/loss-masking.md.
 * - special_tokens (config) reach every builder through their options (`specialTokens`, set by
 *   exampleOptionsFromConfig); `withSpecialTokens(model, tokens)` is the same view for other callers.
 * - countTokens / encode / decode, CONTROL_TOKENS by family, templateFamilyOf(name or model_type).
 * Errors are data (`Outcome`, codes in docs/diagnostics.md); nothing here throws.
 */
import type { ChatModel } from './model';

export * from './errors';
export * from './example';
export * from './model';
export * from './offsets';
export * from './render';
export * from './templates';
export * from './mask';
export * from './prompts';
export * from './load';
export * from './records';
export * from './summary';
export * from './setup';
export * from './specialTokens';

/** Token ids of `text` as a chat template's output is tokenised (no BOS/EOS added) unless `addSpecialTokens`. */
export function encode(model: ChatModel, text: string, addSpecialTokens = false): number[] {
  if (text.length === 0) return addSpecialTokens ? [...model.prefixIds, ...model.suffixIds] : [];
  return model.tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
}

/** Text of token ids (special tokens kept unless `skipSpecialTokens`). */
export function decode(model: ChatModel, ids: readonly number[], skipSpecialTokens = false): string {
  if (ids.length === 0) return '';
  return model.tokenizer.decode([...ids], { skip_special_tokens: skipSpecialTokens, clean_up_tokenization_spaces: false });
}

/** How many tokens `text` is (without special tokens added). */
export function countTokens(model: ChatModel, text: string): number {
  return encode(model, text).length;
}
