import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatasetValidator } from '../../common/dataset/index';
import { datasetCodeActions } from '../services/datasetActions';
import { applyWorkspaceEdit, docOf } from './fixtures';

const A = '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}';
const B = '{"messages":[{"role":"user","content":"Bye"},{"role":"assistant","content":"See you."}]}';

function check(text: string) {
  const v = new DatasetValidator({ container: 'jsonl' });
  v.push(text);
  const report = v.end();
  const doc = docOf(text, 'file:///ws/data.jsonl', 'jsonl');
  return { doc, report, actions: datasetCodeActions(doc, report.diagnostics, report.diagnostics, 'jsonl') };
}

test('a misspelt role is changed to the suggestion, quotes kept', () => {
  const bad = A.replace('"assistant"', '"asistant"');
  const { doc, report, actions } = check(`${bad}\n${B}\n`);
  const role = report.diagnostics.find((d) => d.code === 'dataset-unknown-role')!;
  assert.deepEqual(role.data, { role: 'asistant', suggestion: 'assistant' });
  const fix = actions.find((a) => a.diagnostics?.[0] === role)!;
  assert.equal(fix.title, "Change role 'asistant' to 'assistant'");
  assert.equal(applyWorkspaceEdit(doc, fix.edit), `${A}\n${B}\n`);
});

test('duplicates: remove one, or all of them at once', () => {
  const { doc, actions } = check(`${A}\n${B}\n${A}\n${B}\n${A}\n`);
  assert.deepEqual(actions.map((a) => a.title), [
    'Remove this duplicate record (first on line 1)',
    'Remove all 3 duplicate records',
    'Remove this duplicate record (first on line 2)',
    'Remove this duplicate record (first on line 1)',
  ]);
  assert.equal(applyWorkspaceEdit(doc, actions[0]!.edit), `${A}\n${B}\n${B}\n${A}\n`);
  assert.equal(applyWorkspaceEdit(doc, actions[1]!.edit), `${A}\n${B}\n`);
  // The last line has no line break after it in some files: it is removed all the same.
  const noEol = check(`${A}\n${A}`);
  assert.equal(applyWorkspaceEdit(noEol.doc, noEol.actions[0]!.edit), `${A}\n`);
});

test('no fix when the text under a diagnostic has changed, or in a JSON array', () => {
  const bad = A.replace('"assistant"', '"asistant"');
  const { report } = check(`${bad}\n`);
  const moved = docOf(`{"messages":[{"role":"user","content":"Hi!!"},{"role":"asistant","content":"Hello!"}]}\n`, 'file:///ws/data.jsonl', 'jsonl');
  assert.deepEqual(datasetCodeActions(moved, report.diagnostics, report.diagnostics, 'jsonl'), []);
  const dup = check(`${A}\n${A}\n`);
  assert.deepEqual(datasetCodeActions(dup.doc, dup.report.diagnostics, dup.report.diagnostics, 'json'), []);
});
