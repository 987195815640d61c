import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import oniguruma from 'vscode-oniguruma';
import textmate, { type IGrammar, type IRawGrammar, type Registry as RegistryType } from 'vscode-textmate';

// Both packages are CommonJS: take their exports from the default import.
const { loadWASM, OnigScanner, OnigString } = oniguruma;
const { INITIAL, parseRawGrammar, Registry } = textmate;

const root = join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const ours = {
  'source.tunelab.jinja-in-yaml': join(root, 'syntaxes', 'jinjaInYaml.tmLanguage.json'),
  'source.tunelab.chat-tokens': join(root, 'syntaxes', 'chatTokens.tmLanguage.json'),
};
/** Where package.json injects each grammar (the same lists the editor uses). */
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { grammars: { scopeName: string; injectTo?: string[] }[] } };

/**
 * Host grammars that stand in for VS Code's YAML and JSON grammars, with the scopes those give
 * the parts we inject into (a key, a block scalar, a double-quoted string). The real grammars
 * are used too when code-server is installed (`npm run test:e2e` installs it).
 */
const fixtureHosts: Record<string, object> = {
  'source.yaml': {
    scopeName: 'source.yaml',
    patterns: [
      { name: 'comment.line.number-sign.yaml', match: '#.*$' },
      { begin: '^([ \\t]*)([\\w.-]+)\\s*(:)\\s*[|>][-+0-9]*\\s*$', beginCaptures: { 2: { name: 'entity.name.tag.yaml' } }, end: '^(?![ \\t]*$)(?!\\1[ \\t])', contentName: 'string.unquoted.block.yaml' },
      { match: '^\\s*([\\w.-]+)\\s*(:)', captures: { 1: { name: 'entity.name.tag.yaml' } } },
      { name: 'string.quoted.double.yaml', begin: '"', end: '"' },
    ],
  },
  'source.json': {
    scopeName: 'source.json',
    patterns: [{ name: 'string.quoted.double.json', begin: '"', end: '"', patterns: [{ name: 'constant.character.escape.json', match: '\\\\.' }] }],
  },
};

const vscodeExtensions = join(root, '.code-server', 'node_modules', 'code-server', 'lib', 'vscode', 'extensions');
function realHosts(): Record<string, string> | undefined {
  const files = {
    'source.yaml': join(vscodeExtensions, 'yaml', 'syntaxes', 'yaml.tmLanguage.json'),
    'source.yaml.1.2': join(vscodeExtensions, 'yaml', 'syntaxes', 'yaml-1.2.tmLanguage.json'),
    'source.yaml.1.3': join(vscodeExtensions, 'yaml', 'syntaxes', 'yaml-1.3.tmLanguage.json'),
    'source.yaml.1.1': join(vscodeExtensions, 'yaml', 'syntaxes', 'yaml-1.1.tmLanguage.json'),
    'source.yaml.1.0': join(vscodeExtensions, 'yaml', 'syntaxes', 'yaml-1.0.tmLanguage.json'),
    'source.yaml.embedded': join(vscodeExtensions, 'yaml', 'syntaxes', 'yaml-embedded.tmLanguage.json'),
    'source.json': join(vscodeExtensions, 'json', 'syntaxes', 'JSON.tmLanguage.json'),
    'source.json.lines': join(vscodeExtensions, 'json', 'syntaxes', 'JSONL.tmLanguage.json'),
  };
  return Object.values(files).every(existsSync) ? files : undefined;
}

let wasm: Promise<void> | undefined;
async function registry(hosts: Record<string, string | object>): Promise<RegistryType> {
  wasm ??= loadWASM(readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')).buffer as ArrayBuffer);
  await wasm;
  const all: Record<string, string | object> = { ...hosts, ...ours };
  return new Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new OnigScanner(p), createOnigString: (s: string) => new OnigString(s) }),
    loadGrammar: async (scope: string): Promise<IRawGrammar | null> => {
      const g = all[scope];
      if (g === undefined) return null;
      return typeof g === 'string' ? parseRawGrammar(readFileSync(g, 'utf8'), g) : parseRawGrammar(JSON.stringify(g), `${scope}.json`);
    },
    getInjections: (scope: string) => manifest.contributes.grammars.filter((g) => g.injectTo?.some((t) => scope === t)).map((g) => g.scopeName),
  });
}

/**
 * Each token's text with the scope we care about: the innermost Tunelab or Jinja scope, else "-".
 * Neighbouring tokens outside our scopes, and the pieces of one Jinja string, are merged and
 * whitespace is collapsed, so that expectations read as text.
 */
function tokens(grammar: IGrammar, text: string): [string, string][] {
  const out: [string, string][] = [];
  let stack = INITIAL;
  for (const line of text.split('\n')) {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    for (const t of r.tokens) {
      const s = t.scopes.filter((x) => x.endsWith('.jinja') || x.endsWith('.tunelab')).at(-1) ?? '-';
      const piece = line.slice(t.startIndex, t.endIndex);
      const prev = out.at(-1);
      if (prev && prev[1] === s && (s === '-' || s.startsWith('string.'))) prev[0] += piece;
      else if (piece.trim() !== '' || s === '-') out.push([piece, s]);
    }
    const prev = out.at(-1);
    if (prev?.[1] === '-') prev[0] += ' ';
    else out.push([' ', '-']);
  }
  return out.map(([t, s]): [string, string] => [t.replace(/\s+/g, ' ').trim(), s]).filter(([t]) => t !== '');
}

const CONFIG = [
  'base_model: tiny',
  'chat_template_jinja: |-',
  "  {%- for m in messages %}{{ '<|im_start|>' + m['role'] }}",
  '',
  '  {{ m.content | trim }}{# note #}',
  '  {%- endfor %}',
  'datasets:',
  '  - path: data.jsonl',
].join('\n');

const JINJA_TOKENS: [string, string][] = [
  ['base_model: tiny chat_template_jinja: |-', '-'],
  ['{%-', 'punctuation.section.embedded.begin.jinja'],
  ['for', 'keyword.control.jinja'],
  ['m', 'variable.other.jinja'],
  ['in', 'keyword.control.jinja'],
  ['messages', 'variable.other.jinja'],
  ['%}', 'punctuation.section.embedded.end.jinja'],
  ['{{', 'punctuation.section.embedded.begin.jinja'],
  ["'", 'string.quoted.single.jinja'],
  ['<|im_start|>', 'keyword.control.chat-token.tunelab'],
  ["'", 'string.quoted.single.jinja'],
  ['+', 'keyword.operator.jinja'],
  ['m', 'variable.other.jinja'],
  ['[', 'punctuation.separator.jinja'],
  ["'role'", 'string.quoted.single.jinja'],
  [']', 'punctuation.separator.jinja'],
  ['}}', 'punctuation.section.embedded.end.jinja'],
  ['{{', 'punctuation.section.embedded.begin.jinja'],
  ['m', 'variable.other.jinja'],
  ['.', 'punctuation.separator.jinja'],
  ['content', 'variable.other.jinja'],
  ['|', 'keyword.operator.filter.jinja'],
  ['trim', 'support.function.filter.jinja'],
  ['}}', 'punctuation.section.embedded.end.jinja'],
  ['{#', 'punctuation.definition.comment.begin.jinja'],
  ['note', 'comment.block.jinja'],
  ['#}', 'punctuation.definition.comment.end.jinja'],
  ['{%-', 'punctuation.section.embedded.begin.jinja'],
  ['endfor', 'keyword.control.jinja'],
  ['%}', 'punctuation.section.embedded.end.jinja'],
  ['datasets: - path: data.jsonl', '-'],
];

const DATASET = '{"messages": [{"role": "user", "content": "<|im_start|>user\\nhi [INST] x [/INST] <</SYS>> <|eot_id|> <start_of_turn>"}]}';
const DATASET_TOKENS: [string, string][] = [
  ['{"messages": [{"role": "user", "content": "', '-'],
  ['<|im_start|>', 'keyword.control.chat-token.tunelab'],
  ['user\\nhi', '-'],
  ['[INST]', 'keyword.control.chat-token.tunelab'],
  ['x', '-'],
  ['[/INST]', 'keyword.control.chat-token.tunelab'],
  ['<</SYS>>', 'keyword.control.chat-token.tunelab'],
  ['<|eot_id|>', 'keyword.control.chat-token.tunelab'],
  ['<start_of_turn>', 'keyword.control.chat-token.tunelab'],
  ['"}]}', '-'],
];

test('Jinja in a chat_template_jinja block scalar, with the fixture YAML grammar', async () => {
  const g = (await (await registry(fixtureHosts)).loadGrammar('source.yaml'))!;
  assert.deepEqual((tokens(g, CONFIG)), (JINJA_TOKENS));
});

test('the same text outside chat_template_jinja is not highlighted as Jinja', async () => {
  const g = (await (await registry(fixtureHosts)).loadGrammar('source.yaml'))!;
  const other = CONFIG.replace('chat_template_jinja', 'system_prompt');
  assert.deepEqual(tokens(g, other).filter(([, s]) => s.endsWith('.jinja')), []);
});

test('control tokens in dataset strings, with the fixture JSON grammar', async () => {
  const g = (await (await registry(fixtureHosts)).loadGrammar('source.json'))!;
  assert.deepEqual((tokens(g, DATASET)), (DATASET_TOKENS));
  // Outside strings nothing is marked (e.g. a broken line).
  assert.deepEqual(tokens(g, '<|im_start|>').filter(([, s]) => s !== '-'), []);
});

test("VS Code's own YAML and JSON Lines grammars (skipped without code-server)", async (t) => {
  const real = realHosts();
  if (!real) {
    t.skip('code-server is not installed in .code-server/ (npm run test:e2e installs it)');
    return;
  }
  const reg = await registry(real);
  const yaml = (await reg.loadGrammar('source.yaml'))!;
  const jinja = (tokens(yaml, CONFIG)).filter(([, s]) => s !== '-');
  assert.deepEqual(jinja, (JINJA_TOKENS).filter(([, s]) => s !== '-'));
  const jsonl = (await reg.loadGrammar('source.json.lines'))!;
  assert.deepEqual((tokens(jsonl, DATASET)).filter(([, s]) => s !== '-'), DATASET_TOKENS.filter(([, s]) => s !== '-'));
});
