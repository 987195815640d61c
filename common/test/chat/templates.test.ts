/** Built-in templates render the documented prompt formats exactly; families and control tokens. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALL_CONTROL_TOKENS,
  BUILTIN_TEMPLATES,
  CONTROL_TOKENS,
  renderTemplate,
  templateFamilyOf,
  templateFamilyOfSource,
  type TemplateMessage,
} from '../../chat/index';
import { fixtureModel } from './helpers';

const tokens = { bosToken: '<s>', eosToken: '</s>' } as Parameters<typeof renderTemplate>[0];
const render = (name: string, messages: TemplateMessage[], addGenerationPrompt = false, tools?: unknown[]) => {
  const r = renderTemplate(tokens, BUILTIN_TEMPLATES[name]!, messages, { addGenerationPrompt, ...(tools ? { tools } : {}) });
  return r.ok ? r.value : `ERROR ${r.error.code}: ${r.error.message}`;
};
const withSystem: TemplateMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hi' },
  { role: 'assistant', content: 'Hello there' },
];
const twoTurns: TemplateMessage[] = [
  { role: 'user', content: 'Hi' },
  { role: 'assistant', content: 'Hello there' },
  { role: 'user', content: 'Q2' },
  { role: 'assistant', content: 'A2' },
];

describe('built-in templates', () => {
  const expected: Record<string, [string, string]> = {
    chatml: [
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|im_end|>\n',
      '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\nA2<|im_end|>\n',
    ],
    qwen_25: [
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|im_end|>\n',
      '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\nA2<|im_end|>\n',
    ],
    qwen3: [
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nHello there<|im_end|>\n',
      '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nA2<|im_end|>\n',
    ],
    llama3: [
      '<s><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello there<|eot_id|>',
      '<s><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ2<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nA2<|eot_id|>',
    ],
    llama2: ['<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello there </s>', '<s>[INST] Hi [/INST] Hello there </s><s>[INST] Q2 [/INST] A2 </s>'],
    mistral_v1: ['<s> [INST] Be brief.\n\nHi [/INST] Hello there</s>', '<s> [INST] Hi [/INST] Hello there</s> [INST] Q2 [/INST] A2</s>'],
    mistral_v2v3: ['<s>[INST] Be brief.\n\nHi[/INST] Hello there</s>', '<s>[INST] Hi[/INST] Hello there</s>[INST] Q2[/INST] A2</s>'],
    mistral_v3_tekken: ['<s>[INST]Be brief.\n\nHi[/INST]Hello there</s>', '<s>[INST]Hi[/INST]Hello there</s>[INST]Q2[/INST]A2</s>'],
    gemma: [
      'ERROR chat-template-raised: the chat template rejected the conversation: System role not supported',
      '<s><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello there<end_of_turn>\n<start_of_turn>user\nQ2<end_of_turn>\n<start_of_turn>model\nA2<end_of_turn>\n',
    ],
    gemma3: [
      '<s><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello there<end_of_turn>\n',
      '<s><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello there<end_of_turn>\n<start_of_turn>user\nQ2<end_of_turn>\n<start_of_turn>model\nA2<end_of_turn>\n',
    ],
    phi_3: [
      '<s><|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello there<|end|>\n',
      '<s><|user|>\nHi<|end|>\n<|assistant|>\nHello there<|end|>\n<|user|>\nQ2<|end|>\n<|assistant|>\nA2<|end|>\n',
    ],
    phi_35: [
      '<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello there<|end|>\n',
      '<|user|>\nHi<|end|>\n<|assistant|>\nHello there<|end|>\n<|user|>\nQ2<|end|>\n<|assistant|>\nA2<|end|>\n',
    ],
    llama4: [
      '<s><|header_start|>system<|header_end|>\n\nBe brief.<|eot|><|header_start|>user<|header_end|>\n\nHi<|eot|><|header_start|>assistant<|header_end|>\n\nHello there<|eot|>',
      '<s><|header_start|>user<|header_end|>\n\nHi<|eot|><|header_start|>assistant<|header_end|>\n\nHello there<|eot|><|header_start|>user<|header_end|>\n\nQ2<|eot|><|header_start|>assistant<|header_end|>\n\nA2<|eot|>',
    ],
    cohere: [
      '<s><|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>Be brief.<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|USER_TOKEN|>Hi<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>Hello there<|END_OF_TURN_TOKEN|>',
      '<s><|START_OF_TURN_TOKEN|><|USER_TOKEN|>Hi<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>Hello there<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|USER_TOKEN|>Q2<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>A2<|END_OF_TURN_TOKEN|>',
    ],
    deepseek_v2: ['<s>Be brief.\n\n<｜User｜>Hi<｜Assistant｜>Hello there</s>', '<s><｜User｜>Hi<｜Assistant｜>Hello there</s><｜User｜>Q2<｜Assistant｜>A2</s>'],
    falcon_h1: [
      '<s><|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|im_end|>\n',
      '<s><|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\nA2<|im_end|>\n',
    ],
    qwen2_vl: [
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|im_end|>\n',
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\nA2<|im_end|>\n',
    ],
    gemma3n: [
      '<s><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello there<end_of_turn>\n',
      '<s><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello there<end_of_turn>\n<start_of_turn>user\nQ2<end_of_turn>\n<start_of_turn>model\nA2<end_of_turn>\n',
    ],
    alpaca: ['<s>Be brief.\n\n### Instruction:\nHi\n\n### Response:\nHello there</s>', '<s>### Instruction:\nHi\n\n### Response:\nHello there</s>\n\n### Instruction:\nQ2\n\n### Response:\nA2</s>'],
  };

  it('covers every built-in', () => assert.deepEqual(Object.keys(expected).sort(), Object.keys(BUILTIN_TEMPLATES).sort()));
  for (const [name, [a, b]] of Object.entries(expected)) {
    it(`${name} renders a system + one exchange and two exchanges`, () => {
      assert.equal(render(name, withSystem), a);
      assert.equal(render(name, twoTurns), b);
    });
  }

  it('generation prompts', () => {
    const q = [{ role: 'user', content: 'Hi' }];
    assert.equal(render('chatml', q, true), '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    assert.equal(render('llama3', q, true), '<s><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
    assert.equal(render('gemma', q, true), '<s><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n');
    assert.equal(render('phi_35', q, true), '<|user|>\nHi<|end|>\n<|assistant|>\n');
    assert.equal(render('alpaca', q, true), '<s>### Instruction:\nHi\n\n### Response:\n');
  });

  it('tools, tool calls and tool results (Qwen 2.5, Mistral v3)', () => {
    const msgs: TemplateMessage[] = [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: '', tool_calls: [{ id: 'abcdefghi', type: 'function', function: { name: 'w', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'abcdefghi', content: '20' },
      { role: 'assistant', content: '20C' },
    ];
    const tools = [{ type: 'function', function: { name: 'w' } }];
    assert.equal(
      render('qwen_25', msgs, false, tools),
      '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n' +
        'You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{"type": "function", "function": {"name": "w"}}\n</tools>\n\n' +
        'For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' +
        '<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{"name": "w", "arguments": "{}"}\n</tool_call><|im_end|>\n' +
        '<|im_start|>user\n<tool_response>\n20\n</tool_response><|im_end|>\n<|im_start|>assistant\n20C<|im_end|>\n',
    );
    assert.equal(
      render('mistral_v2v3', msgs, false, tools),
      '<s>[AVAILABLE_TOOLS] [{"type": "function", "function": {"name": "w"}}][/AVAILABLE_TOOLS][INST] Weather?[/INST][TOOL_CALLS] [{"name": "w", "arguments": "{}"}]</s>' +
        '[TOOL_RESULTS] {"content": "20", "call_id": "abcdefghi"}[/TOOL_RESULTS] 20C</s>',
    );
  });

  it('Qwen 3 reasoning: kept after the last user query, dropped before; enable_thinking=false', () => {
    const msgs: TemplateMessage[] = [
      { role: 'user', content: 'Q1' },
      { role: 'assistant', content: '<think>\nr1\n</think>\n\nA1' },
      { role: 'user', content: 'Q2' },
      { role: 'assistant', content: 'A2', reasoning_content: 'r2' },
    ];
    assert.equal(
      render('qwen3', msgs),
      '<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n<think>\nr2\n</think>\n\nA2<|im_end|>\n',
    );
    const r = renderTemplate(tokens, BUILTIN_TEMPLATES.qwen3!, [{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true, kwargs: { enable_thinking: false } });
    assert.deepEqual(r, { ok: true, value: '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n' });
  });

  it('renders with a model: its special tokens, extra kwargs, {% generation %} tags, strftime_now and range', () => {
    const model = fixtureModel('llama3');
    const src = '{{ bos_token }}|{{ eos_token }}|{{ pad_token }}|{% generation %}{{ who }}{% endgeneration %}|{% for i in range(1, 7, 2) %}{{ i }}{% endfor %}|{{ strftime_now("%Y") | length }}';
    const r = renderTemplate(model, src, [], { kwargs: { who: 'me' } });
    assert.deepEqual(r, { ok: true, value: '<|begin_of_text|>|<|eot_id|>||me|135|4' });
  });

  it('template runtime errors are coded', () => {
    const r = renderTemplate(tokens, '{{ messages | nofilter }}', [{ role: 'user', content: 'x' }]);
    assert.deepEqual(r, { ok: false, error: { code: 'chat-template-failed', message: 'the chat template failed to render: Unknown ArrayValue filter: nofilter' } });
  });
});

describe('template families', () => {
  const cases: [string, string | undefined][] = [
    ['meta-llama/Meta-Llama-3-8B-Instruct', 'llama3'],
    ['meta-llama/Llama-3.2-1B', 'llama3'],
    ['meta-llama/Llama-4-Scout-17B-16E-Instruct', 'llama4'],
    ['NousResearch/Llama-2-7b-hf', 'llama2'],
    ['mistralai/Mistral-7B-Instruct-v0.3', 'mistral'],
    ['mistral', 'mistral'],
    ['mixtral', 'mistral'],
    ['Qwen/Qwen2.5-0.5B-Instruct', 'qwen'],
    ['qwen2', 'qwen'],
    ['google/gemma-2-2b-it', 'gemma'],
    ['gemma3', 'gemma'],
    ['microsoft/Phi-3-mini-4k-instruct', 'phi'],
    ['phi3', 'phi'],
    ['deepseek-ai/DeepSeek-R1-Distill-Qwen-7B', 'deepseek'],
    ['deepseek-ai/deepseek-llm-7b-chat', 'deepseek'],
    ['CohereForAI/c4ai-command-r-v01', 'cohere'],
    ['HuggingFaceTB/SmolLM2-135M-Instruct', 'chatml'],
    ['teknium/OpenHermes-2.5-Mistral-7B', 'chatml'],
    ['cognitivecomputations/dolphin-2.9-llama3-8b', 'chatml'],
    ['llama', undefined],
    ['gpt2', undefined],
    ['', undefined],
  ];
  for (const [name, family] of cases) it(`${name || '(empty)'} -> ${family}`, () => assert.equal(templateFamilyOf(name), family));

  it('families of template sources', () => {
    const fam = Object.fromEntries(Object.entries(BUILTIN_TEMPLATES).map(([k, v]) => [k, templateFamilyOfSource(v)]));
    assert.deepEqual(fam, {
      chatml: 'chatml',
      qwen_25: 'qwen',
      qwen3: 'qwen',
      llama3: 'llama3',
      llama2: 'llama2',
      mistral_v1: 'mistral',
      mistral_v2v3: 'mistral',
      mistral_v3_tekken: 'mistral',
      gemma: 'gemma',
      gemma3: 'gemma',
      phi_3: 'phi',
      phi_35: 'phi',
      alpaca: 'alpaca',
      llama4: 'llama4',
      cohere: 'cohere',
      deepseek_v2: 'deepseek',
      falcon_h1: 'chatml',
      qwen2_vl: 'chatml',
      gemma3n: 'gemma',
    });
    assert.equal(templateFamilyOfSource('{{ messages }}'), undefined);
  });

  it('control tokens', () => {
    assert.deepEqual(CONTROL_TOKENS.chatml, ['<|im_start|>', '<|im_end|>', '<|endoftext|>']);
    assert.deepEqual(CONTROL_TOKENS.llama3.slice(0, 5), ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>']);
    assert.ok(CONTROL_TOKENS.mistral.includes('[INST]') && CONTROL_TOKENS.gemma.includes('<start_of_turn>'));
    // Longest first, each once.
    assert.equal(ALL_CONTROL_TOKENS[0], '<|START_OF_TURN_TOKEN|>');
    assert.equal(new Set(ALL_CONTROL_TOKENS).size, ALL_CONTROL_TOKENS.length);
    for (let i = 1; i < ALL_CONTROL_TOKENS.length; i++) assert.ok(ALL_CONTROL_TOKENS[i - 1]!.length >= ALL_CONTROL_TOKENS[i]!.length);
  });
});
