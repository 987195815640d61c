import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver-types';
import { configSymbols, LIMITS, nodeAt, parseConfig, resolveConfig, validateConfig } from '../../config/index';
import { mulberry32 } from '../../random';

const FIX = fileURLToPath(new URL('../fixtures/config', import.meta.url));

/** Every diagnostic is well-formed: coded, sourced, with a range inside the text. */
function assertWellFormed(ds: Diagnostic[], text: string): void {
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const d of ds) {
    assert.equal(d.source, 'tunelab');
    assert.match(String(d.code), /^[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.ok(d.severity !== undefined && d.severity >= 1 && d.severity <= 4);
    assert.ok(typeof d.message === 'string' && d.message.length > 0);
    const { start, end } = d.range;
    assert.ok(start.line >= 0 && start.character >= 0 && end.line >= start.line);
    assert.ok(end.line < lines, `range ${JSON.stringify(d.range)} beyond ${lines} lines`);
    if (end.line === start.line) assert.ok(end.character >= start.character);
  }
}

const codes = (ds: Diagnostic[]) => ds.map((d) => String(d.code));

test('a binary file is refused with one located diagnostic', () => {
  const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
  const text = bytes.toString('utf8');
  const ds = validateConfig(parseConfig(text));
  assert.deepEqual(codes(ds), ['config-binary']);
  assert.match(ds[0]!.message, /^This looks like a binary file \(control character U\+001A at offset 6\)/);
  assertWellFormed(ds, text);
});

test('a 50 MB YAML file is refused by size at once, without parsing', () => {
  const text = 'base_model: x\n' + 'key_with_value: some value here\n'.repeat(Math.ceil((50 * 1024 * 1024) / 32));
  const t0 = performance.now();
  const ds = validateConfig(parseConfig(text));
  const ms = performance.now() - t0;
  assert.deepEqual(codes(ds), ['config-too-large']);
  assert.match(ds[0]!.message, /^The file is 50\.0 MB, above the 1\.0 MB limit for a config; it was not parsed\.$/);
  assert.ok(ms < 1000, `took ${ms} ms`);
});

test('a YAML alias bomb ("billion laughs") is refused, not expanded', () => {
  let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < 10; i++) text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
  const doc = parseConfig(text);
  const ds = validateConfig(doc);
  assert.equal(doc.value, undefined);
  assert.ok(codes(ds).includes('config-alias-limit'));
  assertWellFormed(ds, text);
});

test('deep nesting (10,000 flow brackets, 10,000 nested dashes, 1,000 indented mappings) is refused with a clear diagnostic', () => {
  const flow = 'a: ' + '['.repeat(10000) + ']'.repeat(10000) + '\n';
  let block = '';
  for (let i = 0; i < 1000; i++) block += ' '.repeat(i) + 'k:\n'; // 10,000 levels would be 50 MB: refused by size
  const dashes = 'x:\n' + '- '.repeat(10000) + 'v\n';
  for (const text of [flow, block, dashes]) {
    const ds = validateConfig(parseConfig(text));
    assert.deepEqual(codes(ds), ['config-too-deep']);
    assert.match(ds[0]!.message, /^Nesting deeper than 64 levels/);
    assertWellFormed(ds, text);
  }
});

test('nesting below the limit and a Jinja template full of braces are accepted', () => {
  const ok = 'base_model: x\nmodel_config:\n' + Array.from({ length: 30 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n') + ' 1\n';
  assert.equal(codes(parseConfig(ok).parseDiagnostics).length, 0);
  const jinja = 'base_model: x\nchat_template_jinja: "{% for m in messages %}{{ m[\'content\'] }}{% endfor %}"\n';
  assert.deepEqual(parseConfig(jinja).parseDiagnostics, []);
  assert.ok(LIMITS.maxDepth === 64);
});


const ALPHABET = ' \n\t:-[]{}#&*!|>\'",.0123456789abcdefghijklmnopqrstuvwxyz_\u0000\u00e9\ufffd';

function mutate(text: string, rnd: () => number): string {
  let s = text;
  const n = 1 + Math.floor(rnd() * 6);
  for (let i = 0; i < n; i++) {
    const pos = Math.floor(rnd() * (s.length + 1));
    const op = Math.floor(rnd() * 5);
    const ch = ALPHABET[Math.floor(rnd() * ALPHABET.length)]!;
    if (op === 0) s = s.slice(0, pos) + ch + s.slice(pos + 1);
    else if (op === 1) s = s.slice(0, pos) + ch + s.slice(pos);
    else if (op === 2) s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(rnd() * 8));
    else if (op === 3) {
      const from = Math.floor(rnd() * s.length);
      s = s.slice(0, pos) + s.slice(from, from + Math.floor(rnd() * 40)) + s.slice(pos);
    } else s = s.slice(0, pos) + (rnd() < 0.5 ? '\n  ' : ': ') + s.slice(pos);
  }
  return s;
}

test('fuzz: 3,000 seeded random mutations of valid configs never throw and give well-formed diagnostics', () => {
  const seeds = ['valid-qlora.yml', 'mistakes.yml', 'types.yml', 'eval-rules.yml'].map((f) => readFileSync(`${FIX}/${f}`, 'utf8'));
  const rnd = mulberry32(20251128);
  const t0 = performance.now();
  for (let i = 0; i < 3000; i++) {
    const text = mutate(seeds[i % seeds.length]!, rnd);
    const doc = parseConfig(text);
    const ds = validateConfig(doc, { configPath: `${FIX}/fuzz.yml`, fileExists: () => false });
    assertWellFormed(ds, text);
    nodeAt(doc, Math.floor(rnd() * (text.length + 1)));
    configSymbols(doc);
    resolveConfig(doc);
  }
  assert.ok(performance.now() - t0 < 60_000);
});

test('UTF-8 with a byte-order mark is read; UTF-16 is refused with the fix named', () => {
  const base = 'base_model: x\nlearning_rate: 1e-5\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\ndatasets:\n  - path: a/b\n    type: alpaca\n';
  assert.deepEqual(validateConfig(parseConfig('\uFEFF' + base)), []);
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(base, 'utf16le')]).toString('utf8');
  const ds = validateConfig(parseConfig(utf16));
  assert.deepEqual(codes(ds), ['config-binary']);
  assert.equal(ds[0]!.message, 'This file is UTF-16 text (NUL bytes between characters): save it as UTF-8, which YAML tools and Axolotl read.');
});

test('a near-limit file of 40,000 distinct unknown keys and duplicates stays linear and capped', () => {
  let text = 'base_model: x\nlearning_rate: 1e-5\nmicro_batch_size: 1\ngradient_accumulation_steps: 1\ndatasets:\n  - path: a/b\n    type: alpaca\n';
  for (let i = 0; text.length < LIMITS.maxChars - 64; i++) text += `unknown_${i % 20000}: ${i}\n`;
  const t0 = performance.now();
  const ds = validateConfig(parseConfig(text));
  const ms = performance.now() - t0;
  const count = (code: string) => ds.filter((d) => d.code === code).length;
  // 20,000 distinct keys, each repeated: 100 unknown-key warnings (the per-code cap), every duplicate an error, capped at 500 in all.
  assert.equal(count('config-unknown-key'), 0, 'errors are kept before warnings when the list is capped');
  assert.equal(count('yaml-duplicate-key'), 500);
  assert.equal(ds.length, 500);
  assertWellFormed(ds, text);
  // A quadratic check would take minutes here; linear work takes a few seconds even on a loaded machine.
  assert.ok(ms < 60_000, `took ${ms} ms`);
});
