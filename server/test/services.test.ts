import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from 'vscode-languageserver-types';
import { configSymbols, keySpec, looksLikeConfig, parseConfig } from '../../common/config/index';
import { configHover } from '../services/configHover';
import { configDocumentSymbols } from '../services/configSymbols';
import { configCodeLenses } from '../services/configLenses';
import { configEstimate } from '../services/configEstimate';
import { globToRegExp, matchesAnyGlob } from '../glob';
import { classify } from '../selection';
import { normaliseSettings } from '../settings';
import { capDiagnostics, DiagnosticsPublisher } from '../publisher';
import { renderMasked, segmentsOf } from '../recordView';
import { docOf, withCursor } from './fixtures';

test('hover on a key: title, doc, facts and advice from the schema', () => {
  const f = withCursor('base_model: m\nlora_al|pha: 16\n');
  const spec = keySpec(['lora_alpha'])!;
  assert.deepEqual(configHover(f.doc, parseConfig(f.text), f.position), {
    contents: { kind: 'markdown', value: `**lora_alpha** · \`int\`\n\n${spec.doc}\n\nRange: ≥ ${spec.range!.min}\n\n> 💡 ${spec.advice}` },
    range: { start: { line: 1, character: 0 }, end: { line: 1, character: 10 } },
  });
});

test('hover on an enum value puts that value\'s doc first', () => {
  const f = withCursor('base_model: m\nadapter: ql|ora\n');
  const h = configHover(f.doc, parseConfig(f.text), f.position)!;
  const qlora = keySpec(['adapter'])!.values!.find((v) => v.value === 'qlora')!;
  assert.ok((h.contents as { value: string }).value.startsWith(`\`adapter: qlora\` — ${qlora.doc}\n\n---\n\n**adapter** · \`str\``));
  assert.deepEqual(h.range, { start: { line: 1, character: 9 }, end: { line: 1, character: 14 } });
});

test('hover on base_model adds the estimate breakdown; unknown keys and blank space get none', () => {
  const f = withCursor('base_m|odel: m\nfoo_bar: 1\n\n');
  assert.ok((configHover(f.doc, parseConfig(f.text), f.position, { estimateMarkdown: 'BREAKDOWN' })!.contents as { value: string }).value.endsWith('\n\n---\n\nBREAKDOWN'));
  const g = withCursor('base_model: m\nfoo_|bar: 1\n\n');
  assert.equal(configHover(g.doc, parseConfig(g.text), g.position), null);
  const h = withCursor('base_model: m\nfoo_bar: 1\n|\n');
  assert.equal(configHover(h.doc, parseConfig(h.text), h.position), null);
});

test('document symbols: the core\'s outline as LSP ranges, hierarchical or flat', () => {
  const text = 'base_model: m\ndatasets:\n  - path: a.jsonl\n    type: alpaca\nlora_target_modules: [q_proj, v_proj]\n';
  const doc = docOf(text);
  const cfg = parseConfig(text);
  const tree = configDocumentSymbols(doc, cfg, true) as { name: string; kind: number; detail?: string; children?: unknown[] }[];
  const core = configSymbols(cfg);
  assert.deepEqual(tree.map((s) => [s.name, s.kind, s.detail]), core.map((s) => [s.name, { key: 7, object: 19, array: 18 }[s.kind], s.detail]));
  assert.deepEqual(tree[1], {
    name: 'datasets',
    kind: 18,
    range: { start: { line: 1, character: 0 }, end: { line: 4, character: 0 } },
    selectionRange: { start: { line: 1, character: 0 }, end: { line: 1, character: 8 } },
    detail: '1 entry',
    children: [
      {
        name: 'a.jsonl',
        kind: 19,
        detail: '[0]',
        range: { start: { line: 2, character: 4 }, end: { line: 4, character: 0 } },
        selectionRange: { start: { line: 2, character: 4 }, end: { line: 4, character: 0 } },
        children: [
          { name: 'path', kind: 7, detail: 'a.jsonl', range: { start: { line: 2, character: 4 }, end: { line: 2, character: 17 } }, selectionRange: { start: { line: 2, character: 4 }, end: { line: 2, character: 8 } }, children: [] },
          { name: 'type', kind: 7, detail: 'alpaca', range: { start: { line: 3, character: 4 }, end: { line: 3, character: 16 } }, selectionRange: { start: { line: 3, character: 4 }, end: { line: 3, character: 8 } }, children: [] },
        ],
      },
    ],
  });
  const flat = configDocumentSymbols(doc, cfg, false) as { name: string; containerName?: string }[];
  assert.deepEqual(flat.map((s) => [s.name, s.containerName]), [['base_model', undefined], ['datasets', undefined], ['a.jsonl', 'datasets'], ['path', 'a.jsonl'], ['type', 'a.jsonl'], ['lora_target_modules', undefined]]);
});

test('lenses: the estimate of a known model and Train, on the first key after comments', () => {
  const text = '# run 3\n\nbase_model: meta-llama/Llama-2-7b-hf\nadapter: lora\nlora_r: 8\nlora_target_modules: [q_proj, v_proj]\nmicro_batch_size: 1\nsequence_len: 512\n';
  const doc = docOf(text);
  const cfg = parseConfig(text);
  const e = configEstimate(doc, cfg, {});
  assert.equal(e.ok, true);
  if (!e.ok) return;
  // The published LoRA r=8 q,v count for Llama-2-7B: 4,194,304 trainable.
  assert.equal(e.result.params.trainable, 4194304);
  const lenses = configCodeLenses(doc, cfg, e);
  const range = { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } };
  assert.deepEqual(lenses, [
    { range, command: { title: e.result.title, command: 'tunelab.showEstimate', arguments: [doc.uri, e.result] } },
    { range, command: { title: '▷ Train', command: 'tunelab.train', arguments: [doc.uri] } },
  ]);
  assert.match(e.result.title, /^≈ [\d.]+ GiB per GPU · LoRA · 4\.19 M trainable \(0\.06 %\)$/);
  assert.equal(e.result.memory.total, e.result.perGpu);
  assert.equal(e.result.fits, null);
});

test('an estimate that cannot be made says why in the lens', () => {
  const text = 'base_model: some-org/unknown-model-xyz\n';
  const doc = docOf(text);
  const cfg = parseConfig(text);
  const e = configEstimate(doc, cfg, {});
  assert.equal(e.ok, false);
  const lenses = configCodeLenses(doc, cfg, e);
  assert.equal(lenses.length, 2);
  assert.ok(lenses[0]!.command!.title.startsWith('Estimate unavailable: '));
  assert.equal(e.ok ? '' : e.reason, lenses[0]!.command!.title.slice('Estimate unavailable: '.length));
});

test('over the GPU memory: one memory-exceeds-gpu warning on gpu_memory_limit, with fit suggestions as data', () => {
  const text = 'base_model: meta-llama/Llama-2-7b-hf\nmicro_batch_size: 4\nsequence_len: 4096\ngpu_memory_limit: 24GiB\n';
  const doc = docOf(text);
  const e = configEstimate(doc, parseConfig(text), {});
  assert.equal(e.diagnostics.length, 1);
  const d = e.diagnostics[0]!;
  assert.deepEqual([d.code, d.severity, d.source, d.range], ['memory-exceeds-gpu', 2, 'tunelab', { start: { line: 3, character: 18 }, end: { line: 3, character: 23 } }]);
  assert.ok(Array.isArray((d.data as { suggestions: unknown[] }).suggestions));
  assert.equal(e.ok && e.result.fits, false);
});

test('globs: VS Code style patterns', () => {
  assert.equal(globToRegExp('*.train.{yml,yaml}')!.source, '^[^/]*\\.train\\.(?:yml|yaml)$');
  assert.equal(globToRegExp('[bad'), null);
  assert.equal(globToRegExp('{a,b'), null);
  const roots = ['/ws'];
  assert.equal(matchesAnyGlob('/ws/configs/run.yml', ['configs/*.yml'], roots), true);
  assert.equal(matchesAnyGlob('/ws/other/configs/run.yml', ['configs/*.yml'], roots), false);
  assert.equal(matchesAnyGlob('/ws/other/configs/run.yml', ['**/configs/*.yml'], roots), true);
  assert.equal(matchesAnyGlob('/elsewhere/a/b.yml', ['**/a/*.yml'], roots), true);
  assert.equal(matchesAnyGlob('/ws/deep/x/run.train.yaml', ['*.train.yaml'], roots), true);
  assert.equal(matchesAnyGlob('/ws/run.yaml', ['./run.yaml'], roots), true);
  assert.equal(matchesAnyGlob('/abs/run.yaml', ['/abs/*.yaml'], roots), true);
  assert.equal(matchesAnyGlob('/ws/run.yaml', [], roots), false);
});

test('document selection: configs by content or glob, datasets by shape, everything else untouched', () => {
  const ctx = { configFiles: ['train/*.yml'], roots: ['/ws'], looksLikeConfig };
  const kind = (uri: string, languageId: string, text: string) => classify({ uri, languageId, text }, ctx);
  assert.equal(kind('file:///ws/a.yml', 'yaml', 'base_model: x\n'), 'config');
  assert.equal(kind('file:///ws/a.yml', 'yaml', '# tunelab\nlr: 1\n'), 'config');
  assert.equal(kind('file:///ws/a.yml', 'yaml', 'services:\n  web: {}\n'), 'none');
  assert.equal(kind('file:///ws/a.yml', 'yaml', 'datasets:\n  - path: d\nadapter: lora\nmicro_batch_size: 1\n'), 'config', 'no base_model, three Axolotl keys');
  assert.equal(kind('file:///ws/a.yml', 'yaml', 'datasets:\n  - path: d\nadapter: lora\n'), 'none', 'two are not enough');
  assert.equal(kind('file:///ws/m.yml', 'yaml', 'merge_method: ties\nbase_model: b\nmodels: []\n'), 'none', 'mergekit is not an Axolotl config');
  assert.equal(kind('file:///ws/train/a.yml', 'yaml', 'services:\n  web: {}\n'), 'config');
  assert.equal(kind('untitled:Untitled-1', 'yaml', 'base_model: x\n'), 'config');
  assert.equal(kind('file:///ws/docker-compose.yml', 'dockercompose', 'base_model: x\n'), 'none');
  assert.equal(kind('file:///ws/d.jsonl', 'jsonl', '{"messages": []}\n'), 'dataset');
  assert.equal(kind('file:///ws/d.ndjson', 'plaintext', '\ufeff{"a": 1}\n'), 'dataset');
  assert.equal(kind('file:///ws/d.jsonl', 'jsonl', ''), 'dataset');
  assert.equal(kind('file:///ws/d.jsonl', 'jsonl', 'hello world\n'), 'none');
  assert.equal(kind('file:///ws/d.json', 'json', '[\n  {"instruction": "a", "output": "b"}\n]'), 'dataset');
  assert.equal(kind('file:///ws/package.json', 'json', '{"name": "x", "scripts": {}}'), 'none');
  assert.equal(kind('file:///ws/list.json', 'json', '[{"id": 1}]'), 'none');
  assert.equal(kind('file:///ws/a.py', 'python', 'base_model: x'), 'none');
});

test('settings are normalised: bad values fall back to defaults', () => {
  assert.deepEqual(normaliseSettings(undefined), { configFiles: [], maxDiagnostics: 1000, model: '', gpuMemoryGb: 0, gpus: 1 });
  assert.deepEqual(normaliseSettings({ tunelab: { configFiles: ['a/*.yml', 3, ' '], maxDiagnostics: 20.7, model: ' ./m ', gpuMemoryGb: 24, gpus: 8 } }), {
    configFiles: ['a/*.yml'],
    maxDiagnostics: 20,
    model: './m',
    gpuMemoryGb: 24,
    gpus: 8,
  });
  assert.deepEqual(normaliseSettings({ maxDiagnostics: -1, gpuMemoryGb: 'lots', gpus: 0, configFiles: 'x' }), { configFiles: [], maxDiagnostics: 1000, model: '', gpuMemoryGb: 0, gpus: 1 });
});

const diag = (line: number, severity: 1 | 2 | 3, code = 'c'): Diagnostic => ({ range: { start: { line, character: 0 }, end: { line, character: 1 } }, severity, code, source: 'tunelab', message: `m${line}` });

test('the cap keeps errors first and summarises the rest by severity', () => {
  const ds = [diag(0, 2), diag(1, 1), diag(2, 3), diag(3, 1), diag(4, 2)];
  assert.equal(capDiagnostics(ds, 5), ds);
  assert.deepEqual(capDiagnostics(ds, 3), [
    {
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      severity: 3,
      code: 'diagnostics-capped',
      source: 'tunelab',
      message: '2 more problems not shown (1 warning, 1 note); the limit is tunelab.maxDiagnostics = 3. Run `tunelab validate` on the file for the full list.',
      data: { hidden: 2 },
    },
    diag(0, 2),
    diag(1, 1),
    diag(3, 1),
  ]);
});

test('the publisher coalesces a burst, drops stale results and clears what it showed', async () => {
  const sent: { uri: string; version?: number; diagnostics: Diagnostic[] }[] = [];
  let version = 1;
  const validated: number[] = [];
  const pub = new DiagnosticsPublisher(
    { sendDiagnostics: (p) => void sent.push(p) },
    (uri) => (uri === 'a' ? version : undefined),
    () => {
      validated.push(version);
      pub.publish('a', version, [diag(0, 1)]);
    },
    () => 10,
  );
  pub.schedule('a');
  version = 2;
  pub.schedule('a');
  version = 3;
  pub.schedule('a');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(validated, [3]);
  assert.deepEqual(sent, [{ uri: 'a', version: 3, diagnostics: [diag(0, 1)] }]);
  assert.equal(pub.publish('a', 2, [diag(5, 1)]), false);
  assert.equal(pub.publish('b', 1, []), false);
  pub.clear('a');
  assert.deepEqual(sent.at(-1), { uri: 'a', diagnostics: [] });
  pub.clear('a');
  assert.equal(sent.length, 2);
});

test('masked text: trained runs marked, uncovered characters masked, HTML escaped', () => {
  const ex = { text: '<u>hi</u><a>ok!</a>', offsets: [[0, 3], [3, 5], [5, 9], [9, 12], [12, 14], [14, 15], [15, 19]] as [number, number][], trained: [false, false, false, false, true, true, true] };
  assert.deepEqual(segmentsOf(ex).segments, [
    { text: '<u>hi</u><a>', trained: false },
    { text: 'ok!</a>', trained: true },
  ]);
  assert.equal(renderMasked(ex, false), '```text\n<u>hi</u><a>⟦ok!</a>⟧\n```');
  assert.equal(renderMasked(ex, true), '<pre>&lt;u&gt;hi&lt;/u&gt;&lt;a&gt;<span style="background-color:#2e7d32;color:#ffffff;">ok!&lt;/a&gt;</span></pre>');
  const long = { text: 'x'.repeat(7000), offsets: [[0, 7000]] as [number, number][], trained: [true] };
  assert.equal(renderMasked(long, false), '```text\n⟦' + 'x'.repeat(6000) + '⟧\n```\n\n… 1,000 more characters not shown');
  assert.equal(renderMasked({ text: 'a ``` b', offsets: [], trained: [] }, false), '````text\na ``` b\n````');
});
