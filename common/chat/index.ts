/**
 * Tokenisation, chat templates and loss masking: the one implementation that the loss-mask view
 * (server/, cli inspect, the inspector webview) and the trainer both use.
 *
 * CONTRACT (owned by the chat core; dataset/, trainer/ and server/ build on these names):
 * - loadChatModel(modelDir) -> ChatModel: tokenizer.json (@huggingface/tokenizers) and
 *   tokenizer_config.json (chat_template, bos/eos/pad, added tokens), or a built-in template by
 *   Axolotl name (chatml, llama3, mistral_v1, ...).
 * - buildExample(model, conversation, options) -> MaskedExample: the rendered text, token ids, and
 *   for each token whether it is trained (labels), following train_on_inputs, roles_to_train,
 *   train_on_eos and per-message weight; truncation to sequence_len reported, not hidden.
 */
export {};
