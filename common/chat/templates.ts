/**
 * Built-in chat templates by Axolotl `chat_template` name, written for Tunelab from the documented
 * prompt formats of each model family (what the rendered text looks like), and the control tokens
 * of each family. `templateFamilyOf` guesses a family from a model name or `model_type`.
 */

/** Model families whose prompt formats Tunelab knows. */
export type TemplateFamily =
  | 'chatml'
  | 'qwen'
  | 'llama3'
  | 'llama4'
  | 'llama2'
  | 'mistral'
  | 'gemma'
  | 'phi'
  | 'deepseek'
  | 'cohere'
  | 'alpaca';

// Jinja sources. Strings use Jinja escapes (\\n in this file is \n to Jinja).
const CHATML =
  "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

const QWEN_25 = [
  "{%- set default_system = 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' %}",
  "{%- if messages and messages[0]['role'] == 'system' %}{%- set system_text = messages[0]['content'] %}{%- set first = 1 %}{%- else %}{%- set system_text = default_system %}{%- set first = 0 %}{%- endif %}",
  "{{- '<|im_start|>system\\n' + system_text }}",
  '{%- if tools %}',
  "{{- '\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>' }}",
  "{%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{%- endfor %}",
  '{{- \'\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{"name": <function-name>, "arguments": <args-json-object>}\\n</tool_call>\' }}',
  '{%- endif %}',
  "{{- '<|im_end|>\\n' }}",
  '{%- for message in messages[first:] %}',
  "{%- if message['role'] == 'assistant' and message.tool_calls %}",
  "{{- '<|im_start|>assistant' }}{%- if message['content'] %}{{- '\\n' + message['content'] }}{%- endif %}",
  '{%- for call in message.tool_calls %}{%- if call.function is defined %}{%- set call = call.function %}{%- endif %}',
  '{{- \'\\n<tool_call>\\n{"name": "\' + call.name + \'", "arguments": \' + (call.arguments | tojson) + \'}\\n</tool_call>\' }}{%- endfor %}',
  "{{- '<|im_end|>\\n' }}",
  "{%- elif message['role'] == 'tool' %}",
  "{%- if loop.first or loop.previtem['role'] != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}",
  "{{- '\\n<tool_response>\\n' + message['content'] + '\\n</tool_response>' }}",
  "{%- if loop.last or loop.nextitem['role'] != 'tool' %}{{- '<|im_end|>\\n' }}{%- endif %}",
  '{%- else %}',
  "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}",
  '{%- endif %}{%- endfor %}',
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}",
].join('');

/**
 * Qwen 3: ChatML; assistant turns after the last user query carry a `<think>` block (from
 * `reasoning_content`, or split out of content written as `<think>...</think>answer`), earlier
 * ones lose their reasoning; `enable_thinking=false` pre-fills an empty think block when prompting.
 */
const QWEN_3 = [
  "{%- if messages and messages[0]['role'] == 'system' %}{%- set first = 1 %}{%- else %}{%- set first = 0 %}{%- endif %}",
  '{%- if tools %}',
  "{{- '<|im_start|>system\\n' }}{%- if first %}{{- messages[0]['content'] + '\\n\\n' }}{%- endif %}",
  "{{- '# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>' }}",
  "{%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{%- endfor %}",
  '{{- \'\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{"name": <function-name>, "arguments": <args-json-object>}\\n</tool_call><|im_end|>\\n\' }}',
  "{%- elif first %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- endif %}",
  '{%- set ns = namespace(last_query=-1) %}',
  "{%- for message in messages %}{%- if message['role'] == 'user' and not (message['content'].startswith('<tool_response>') and message['content'].endswith('</tool_response>')) %}{%- set ns.last_query = loop.index0 %}{%- endif %}{%- endfor %}",
  '{%- for message in messages %}',
  "{%- set content = message['content'] if message['content'] is string else '' %}",
  "{%- if message['role'] == 'user' or (message['role'] == 'system' and not loop.first) %}",
  "{{- '<|im_start|>' + message['role'] + '\\n' + content + '<|im_end|>\\n' }}",
  "{%- elif message['role'] == 'assistant' %}",
  "{%- set reasoning = '' %}",
  '{%- if message.reasoning_content is string %}{%- set reasoning = message.reasoning_content %}',
  "{%- elif '</think>' in content %}{%- set reasoning = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}{%- set content = content.split('</think>')[-1].lstrip('\\n') %}{%- endif %}",
  '{%- if loop.index0 > ns.last_query and (loop.last or reasoning) %}',
  "{{- '<|im_start|>assistant\\n<think>\\n' + reasoning.strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n') }}",
  "{%- else %}{{- '<|im_start|>assistant\\n' + content }}{%- endif %}",
  '{%- for call in (message.tool_calls or []) %}{%- if call.function is defined %}{%- set call = call.function %}{%- endif %}',
  "{%- if content or not loop.first %}{{- '\\n' }}{%- endif %}",
  '{{- \'<tool_call>\\n{"name": "\' + call.name + \'", "arguments": \' + (call.arguments if call.arguments is string else call.arguments | tojson) + \'}\\n</tool_call>\' }}{%- endfor %}',
  "{{- '<|im_end|>\\n' }}",
  "{%- elif message['role'] == 'tool' %}",
  "{%- if loop.first or loop.previtem['role'] != 'tool' %}{{- '<|im_start|>user' }}{%- endif %}",
  "{{- '\\n<tool_response>\\n' + content + '\\n</tool_response>' }}",
  "{%- if loop.last or loop.nextitem['role'] != 'tool' %}{{- '<|im_end|>\\n' }}{%- endif %}",
  '{%- endif %}{%- endfor %}',
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}",
].join('');

const LLAMA3 =
  '{{- bos_token }}{%- for message in messages %}' +
  "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + (message['content'] | trim) + '<|eot_id|>' }}" +
  "{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

const LLAMA2 = [
  "{%- if messages and messages[0]['role'] == 'system' %}{%- set system_text = messages[0]['content'] %}{%- set turns = messages[1:] %}{%- else %}{%- set turns = messages %}{%- endif %}",
  '{%- for message in turns %}',
  "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{%- endif %}",
  "{%- if message['role'] == 'user' %}",
  "{%- if loop.first and system_text is defined %}{%- set text = '<<SYS>>\\n' + system_text + '\\n<</SYS>>\\n\\n' + message['content'] %}{%- else %}{%- set text = message['content'] %}{%- endif %}",
  "{{- bos_token + '[INST] ' + (text | trim) + ' [/INST]' }}",
  "{%- elif message['role'] == 'assistant' %}{{- ' ' + (message['content'] | trim) + ' ' + eos_token }}",
  "{%- else %}{{- raise_exception('Only system, user and assistant roles are supported') }}{%- endif %}",
  '{%- endfor %}',
].join('');

const MISTRAL_ALTERNATION =
  '{%- set ns = namespace(i=0) %}{%- for message in turns %}' +
  "{%- if message['role'] in ['user', 'assistant'] and not message.tool_calls %}" +
  "{%- if (message['role'] == 'user') != (ns.i % 2 == 0) %}{{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}{%- endif %}" +
  '{%- set ns.i = ns.i + 1 %}{%- endif %}{%- endfor %}';

const MISTRAL_SYSTEM =
  "{%- if messages and messages[0]['role'] == 'system' %}{%- set system_text = messages[0]['content'] %}{%- set turns = messages[1:] %}{%- else %}{%- set turns = messages %}{%- endif %}";

/** Mistral v1 (Mistral 7B v0.1): spaces around [INST]; the system prompt joins the first user turn. */
const MISTRAL_V1 =
  MISTRAL_SYSTEM +
  MISTRAL_ALTERNATION +
  '{{- bos_token }}{%- for message in turns %}' +
  "{%- if message['role'] == 'user' %}" +
  "{%- if loop.first and system_text is defined %}{{- ' [INST] ' + system_text + '\\n\\n' + message['content'] + ' [/INST]' }}" +
  "{%- else %}{{- ' [INST] ' + message['content'] + ' [/INST]' }}{%- endif %}" +
  "{%- elif message['role'] == 'assistant' %}{{- ' ' + message['content'] + eos_token }}" +
  "{%- else %}{{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message') }}{%- endif %}" +
  '{%- endfor %}';

/**
 * Mistral v2/v3 (and v3 "tekken" without the spaces): the system prompt joins the LAST user turn;
 * tools are listed before the last user turn; tool calls and results have their own markers.
 */
function mistralV3(space: string): string {
  return (
    MISTRAL_SYSTEM +
    MISTRAL_ALTERNATION +
    "{%- set last_user = namespace(i=-1) %}{%- for message in turns %}{%- if message['role'] == 'user' %}{%- set last_user.i = loop.index0 %}{%- endif %}{%- endfor %}" +
    '{{- bos_token }}{%- for message in turns %}' +
    "{%- if message['role'] == 'user' %}" +
    "{%- if tools and loop.index0 == last_user.i %}{{- '[AVAILABLE_TOOLS]" +
    space +
    "' + (tools | tojson) + '[/AVAILABLE_TOOLS]' }}{%- endif %}" +
    "{%- if loop.index0 == last_user.i and system_text is defined %}{{- '[INST]" +
    space +
    "' + system_text + '\\n\\n' + message['content'] + '[/INST]' }}" +
    "{%- else %}{{- '[INST]" +
    space +
    "' + message['content'] + '[/INST]' }}{%- endif %}" +
    "{%- elif message['role'] == 'assistant' and message.tool_calls %}{{- '[TOOL_CALLS]" +
    space +
    "' + (message.tool_calls | map(attribute='function') | list | tojson) + eos_token }}" +
    "{%- elif message['role'] == 'assistant' %}{{- '" +
    space +
    "' + (message['content'] | trim) + eos_token }}" +
    "{%- elif message['role'] == 'tool' %}{{- '[TOOL_RESULTS]" +
    space +
    "' + ({'content': message['content'], 'call_id': message.tool_call_id} | tojson) + '[/TOOL_RESULTS]' }}" +
    "{%- else %}{{- raise_exception('Only user, assistant and tool roles are supported, with the exception of an initial optional system message') }}{%- endif %}" +
    '{%- endfor %}'
  );
}

const GEMMA =
  "{{- bos_token }}{%- if messages and messages[0]['role'] == 'system' %}{{- raise_exception('System role not supported') }}{%- endif %}" +
  '{%- for message in messages %}' +
  "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{%- endif %}" +
  "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] %}" +
  "{{- '<start_of_turn>' + role + '\\n' + (message['content'] | trim) + '<end_of_turn>\\n' }}" +
  "{%- endfor %}{%- if add_generation_prompt %}{{- '<start_of_turn>model\\n' }}{%- endif %}";

/** Gemma 3: like Gemma, but a system prompt joins the first user turn. */
const GEMMA_3 =
  "{{- bos_token }}{%- if messages and messages[0]['role'] == 'system' %}{%- set prefix = messages[0]['content'] + '\\n\\n' %}{%- set turns = messages[1:] %}{%- else %}{%- set prefix = '' %}{%- set turns = messages %}{%- endif %}" +
  '{%- for message in turns %}' +
  "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{%- endif %}" +
  "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] %}" +
  "{{- '<start_of_turn>' + role + '\\n' + (prefix if loop.first else '') + (message['content'] | trim) + '<end_of_turn>\\n' }}" +
  "{%- endfor %}{%- if add_generation_prompt %}{{- '<start_of_turn>model\\n' }}{%- endif %}";

/** Llama 4: `<|header_start|>role<|header_end|>`, turns end with `<|eot|>`; the system prompt is trimmed. */
const LLAMA4 =
  "{{- bos_token }}{%- for message in messages %}" +
  "{%- set text = (message['content'] | trim) if message['role'] == 'system' else message['content'] %}" +
  "{{- '<|header_start|>' + message['role'] + '<|header_end|>\\n\\n' + text + '<|eot|>' }}" +
  "{%- endfor %}{%- if add_generation_prompt %}{{- '<|header_start|>assistant<|header_end|>\\n\\n' }}{%- endif %}";

/** Command-R (Cohere): turn tokens, content stripped, roles alternate. */
const COHERE =
  "{{- bos_token }}{%- if messages and messages[0]['role'] == 'system' %}{{- '<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>' + messages[0]['content'] + '<|END_OF_TURN_TOKEN|>' }}{%- set turns = messages[1:] %}{%- else %}{%- set turns = messages %}{%- endif %}" +
  '{%- for message in turns %}' +
  "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{%- endif %}" +
  "{%- if message['role'] == 'user' %}{{- '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>' + message['content'].strip() + '<|END_OF_TURN_TOKEN|>' }}" +
  "{%- elif message['role'] == 'assistant' %}{{- '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' + message['content'].strip() + '<|END_OF_TURN_TOKEN|>' }}{%- endif %}" +
  "{%- endfor %}{%- if add_generation_prompt %}{{- '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' }}{%- endif %}";

/** DeepSeek V2: `<｜User｜>` / `<｜Assistant｜>` markers, the assistant turn ends with EOS, a system prompt is plain text. */
const DEEPSEEK_V2 =
  "{{- bos_token }}{%- for message in messages %}" +
  "{%- if message['role'] == 'user' %}{{- '<｜User｜>' + message['content'] }}" +
  "{%- elif message['role'] == 'assistant' %}{{- '<｜Assistant｜>' + message['content'] + eos_token }}" +
  "{%- elif message['role'] == 'system' %}{{- message['content'] + '\\n\\n' }}{%- endif %}" +
  "{%- endfor %}{%- if add_generation_prompt %}{{- '<｜Assistant｜>' }}{%- endif %}";

/** Falcon-H1 (text only): ChatML after the BOS token. */
const FALCON_H1 = '{{- bos_token }}' + CHATML;

/** Qwen2-VL (text only): ChatML with a default system prompt. */
const QWEN2_VL =
  "{%- for message in messages %}{%- if loop.first and message['role'] != 'system' %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}" +
  "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

/** Phi-3: the user turn already opens the assistant's. */
const PHI_3 =
  '{{- bos_token }}{%- for message in messages %}' +
  "{%- if message['role'] == 'system' %}{{- '<|system|>\\n' + message['content'] + '<|end|>\\n' }}" +
  "{%- elif message['role'] == 'user' %}{{- '<|user|>\\n' + message['content'] + '<|end|>\\n<|assistant|>\\n' }}" +
  "{%- elif message['role'] == 'assistant' %}{{- message['content'] + '<|end|>\\n' }}{%- endif %}" +
  '{%- endfor %}';

const PHI_35 =
  '{%- for message in messages %}' +
  "{%- if message['role'] == 'system' and message['content'] %}{{- '<|system|>\\n' + message['content'] + '<|end|>\\n' }}" +
  "{%- elif message['role'] == 'user' %}{{- '<|user|>\\n' + message['content'] + '<|end|>\\n' }}" +
  "{%- elif message['role'] == 'assistant' %}{{- '<|assistant|>\\n' + message['content'] + '<|end|>\\n' }}{%- endif %}" +
  "{%- endfor %}{%- if add_generation_prompt %}{{- '<|assistant|>\\n' }}{%- endif %}";

/** Alpaca as a chat template (Axolotl's `chat_template: alpaca`). */
const ALPACA =
  '{{- bos_token }}{%- for message in messages %}' +
  "{%- if message['role'] == 'system' and loop.first %}{{- message['content'] }}" +
  "{%- elif message['role'] == 'user' %}{{- '### Instruction:\\n' + message['content'] }}" +
  "{%- elif message['role'] == 'assistant' %}{{- '### Response:\\n' + message['content'] + eos_token }}{%- endif %}" +
  "{%- if not loop.last %}{{- '\\n\\n' }}{%- endif %}" +
  "{%- endfor %}{%- if add_generation_prompt %}{{- '\\n\\n### Response:\\n' }}{%- endif %}";

/** Templates by Axolotl `chat_template` name. */
export const BUILTIN_TEMPLATES: Readonly<Record<string, string>> = {
  chatml: CHATML,
  qwen_25: QWEN_25,
  qwen3: QWEN_3,
  llama3: LLAMA3,
  llama4: LLAMA4,
  llama2: LLAMA2,
  mistral_v1: MISTRAL_V1,
  mistral_v2v3: mistralV3(' '),
  mistral_v3_tekken: mistralV3(''),
  gemma: GEMMA,
  gemma3: GEMMA_3,
  gemma3n: GEMMA_3,
  phi_3: PHI_3,
  phi_35: PHI_35,
  alpaca: ALPACA,
  cohere: COHERE,
  deepseek_v2: DEEPSEEK_V2,
  falcon_h1: FALCON_H1,
  qwen2_vl: QWEN2_VL,
};

/** The family each built-in belongs to. */
export const BUILTIN_TEMPLATE_FAMILY: Readonly<Record<string, TemplateFamily>> = {
  chatml: 'chatml',
  qwen_25: 'qwen',
  qwen3: 'qwen',
  llama3: 'llama3',
  llama4: 'llama4',
  llama2: 'llama2',
  mistral_v1: 'mistral',
  mistral_v2v3: 'mistral',
  mistral_v3_tekken: 'mistral',
  gemma: 'gemma',
  gemma3: 'gemma',
  gemma3n: 'gemma',
  phi_3: 'phi',
  phi_35: 'phi',
  alpaca: 'alpaca',
  cohere: 'cohere',
  deepseek_v2: 'deepseek',
  falcon_h1: 'chatml',
  qwen2_vl: 'qwen',
};

/** The built-in Axolotl template name that suits a family. */
export const TEMPLATE_FOR_FAMILY: Readonly<Record<TemplateFamily, string | undefined>> = {
  chatml: 'chatml',
  qwen: 'qwen_25',
  llama3: 'llama3',
  llama4: 'llama4',
  llama2: 'llama2',
  mistral: 'mistral_v2v3',
  gemma: 'gemma',
  phi: 'phi_3',
  deepseek: 'deepseek_v2',
  cohere: 'cohere',
  alpaca: 'alpaca',
};

/**
 * Chat-template control tokens by family. A record whose text contains one of these is wrapped
 * twice at training time (the template adds its own), and the tokenizer turns the literal into
 * the control token. `<s>`/`</s>` double as HTML strikethrough tags: match them with care.
 */
export const CONTROL_TOKENS: Readonly<Record<TemplateFamily, readonly string[]>> = {
  chatml: ['<|im_start|>', '<|im_end|>', '<|endoftext|>'],
  qwen: ['<|im_start|>', '<|im_end|>', '<|endoftext|>', '<|vision_start|>', '<|vision_end|>'],
  llama3: ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>', '<|eom_id|>', '<|python_tag|>'],
  llama4: ['<|begin_of_text|>', '<|end_of_text|>', '<|header_start|>', '<|header_end|>', '<|eot|>', '<|eom|>', '<|python_start|>', '<|python_end|>'],
  llama2: ['[INST]', '[/INST]', '<<SYS>>', '<</SYS>>', '<s>', '</s>'],
  mistral: ['[INST]', '[/INST]', '[AVAILABLE_TOOLS]', '[/AVAILABLE_TOOLS]', '[TOOL_CALLS]', '[TOOL_RESULTS]', '[/TOOL_RESULTS]', '[SYSTEM_PROMPT]', '[/SYSTEM_PROMPT]', '<s>', '</s>'],
  gemma: ['<start_of_turn>', '<end_of_turn>', '<bos>', '<eos>'],
  phi: ['<|system|>', '<|user|>', '<|assistant|>', '<|end|>', '<|endoftext|>'],
  deepseek: ['<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>', '<｜User｜>', '<｜Assistant｜>'],
  cohere: ['<|START_OF_TURN_TOKEN|>', '<|END_OF_TURN_TOKEN|>', '<|USER_TOKEN|>', '<|CHATBOT_TOKEN|>', '<|SYSTEM_TOKEN|>'],
  alpaca: [],
};

/** Every family's control tokens once, longest first (so a scanner matches `[/INST]` before `[INST]`'s prefix). */
export const ALL_CONTROL_TOKENS: readonly string[] = [...new Set(Object.values(CONTROL_TOKENS).flat())].sort(
  (a, b) => b.length - a.length || a.localeCompare(b),
);

/**
 * The family of a model from its name or `model_type` (`meta-llama/Meta-Llama-3-8B-Instruct`,
 * `qwen2`, `mistralai/Mistral-7B-v0.3`, `google/gemma-2b`, ...); undefined when unsure (plain
 * `llama` covers Llama 2, Llama 3 and many others).
 */
export function templateFamilyOf(nameOrType: string | undefined): TemplateFamily | undefined {
  if (!nameOrType) return undefined;
  const s = nameOrType.toLowerCase();
  // Fine-tunes first: they keep the base's name but bring their own format.
  if (/deepseek/.test(s)) return 'deepseek';
  if (/hermes|dolphin|smollm|chatml|openchat|internlm/.test(s)) return 'chatml';
  if (/llama[-_ ]?4/.test(s)) return 'llama4';
  if (/llama[-_ ]?3/.test(s)) return 'llama3';
  if (/llama[-_ ]?2|codellama|code-llama/.test(s)) return 'llama2';
  if (/mistral|mixtral|ministral|codestral|pixtral|magistral|devstral/.test(s)) return 'mistral';
  if (/qwen/.test(s)) return 'qwen';
  if (/gemma/.test(s)) return 'gemma';
  if (/(^|[^a-z])phi[-_ ]?\d|^phi3|^phi$|\/phi/.test(s)) return 'phi';
  if (/command-r|command-a|cohere|aya/.test(s)) return 'cohere';
  if (/(^|\/)yi-/.test(s)) return 'chatml';
  return undefined;
}

/** The family whose control tokens a template's source uses; undefined for unrecognised templates. */
export function templateFamilyOfSource(source: string): TemplateFamily | undefined {
  if (source.includes('<|start_header_id|>')) return 'llama3';
  if (source.includes('<|header_start|>')) return 'llama4';
  if (source.includes('<start_of_turn>')) return 'gemma';
  if (source.includes('<|im_start|>')) return /Qwen|tool_response/.test(source) ? 'qwen' : 'chatml';
  if (source.includes('<|user|>') && source.includes('<|end|>')) return 'phi';
  if (source.includes('<<SYS>>')) return 'llama2';
  if (source.includes('[INST]')) return 'mistral';
  if (source.includes('<｜User｜>') || source.includes('<｜Assistant｜>')) return 'deepseek';
  if (source.includes('<|START_OF_TURN_TOKEN|>')) return 'cohere';
  if (source.includes('### Instruction:')) return 'alpaca';
  return undefined;
}
