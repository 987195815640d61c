import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from './inProcess';

const FIX = fileURLToPath(new URL('../../common/runs/test/fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tunelab-runs-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...argv: string[]) => runCli(dir, argv);

describe('tunelab runs', () => {
  cpSync(join(FIX, 'hf-lora-output'), join(dir, 'cluster', 'lora'), { recursive: true });
  cpSync(join(FIX, 'tb-lora-replay'), join(dir, 'tb'), { recursive: true });

  it('lists what is not imported yet, imports it, then lists the runs', async () => {
    const before = await run('runs', 'list');
    assert.equal(before.code, 0);
    assert.equal(before.out, 'no runs found\nnot imported: cluster/lora (tunelab runs import cluster/lora)\nnot imported: tb (tunelab runs import tb)\n');
    const imp = await run('runs', 'import', 'cluster/lora', 'tb');
    assert.equal(imp.code, 0, imp.err);
    const lines = imp.out.trim().split('\n');
    assert.equal(lines.length, 2);
    // The same run twice: its trainer_state.json and the TensorBoard file replaying its numbers.
    assert.match(lines[0]!, /^cluster\/lora\/trainer_state\.json: trainer_state, run imp-[0-9a-f]{12}, completed at step 240\/240, loss 0\.0707 → cluster\/lora\/events\.jsonl$/);
    assert.match(lines[1]!, /^tb\/events\.out\.tfevents\.1748450196\.tunelab-fixture\.0: tensorboard, run imp-[0-9a-f]{12}, completed at step 240\/240, loss 0\.0707 → tb\/events\.jsonl$/);
    const list = await run('runs', 'list', '--format', 'json');
    const parsed = JSON.parse(list.out) as { runs: { status: string; step: number; outputDir: string }[]; importable: string[] };
    assert.deepEqual(parsed.importable, []);
    assert.deepEqual(parsed.runs.map((r) => [r.status, r.step, r.outputDir]).sort(), [['completed', 240, join(dir, 'cluster', 'lora')], ['completed', 240, join(dir, 'tb')]]);
    // importing again replaces the file with the same run (stable id), not a second copy
    const first = readFileSync(join(dir, 'tb', 'events.jsonl'), 'utf8');
    await run('runs', 'import', 'tb');
    assert.equal(readFileSync(join(dir, 'tb', 'events.jsonl'), 'utf8'), first);
  });

  it('--json prints the events; damaged or empty inputs exit 1 with located messages; usage errors exit 2', async () => {
    const j = await run('runs', 'import', '--json', '--no-write', 'cluster/lora/trainer_state.json');
    assert.equal(j.code, 0);
    const events = j.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.equal(events[0]!.type, 'run_start');
    assert.equal(events.at(-1)!.type, 'done');
    assert.equal(events.length, 50, 'run_start, 48 logged steps, done');
    const nothing = await run('runs', 'import', 'cluster');
    assert.equal(nothing.code, 1);
    assert.equal(nothing.err, `cluster: error run-import-nothing-found: no trainer_state.json, TensorBoard event file or Axolotl log with training metrics was found\n`);
    assert.equal((await run('runs', 'import', 'missing')).code, 2);
    assert.equal((await run('runs', 'frobnicate')).code, 2);
  });
});
