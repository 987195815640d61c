// `tunelab generate-data` end to end against a recorded-response server started inside this test
// (a fixture: it answers each prompt kind with canned text, and injects a 429 and a 503): a run
// killed mid-way resumes to exactly --count distinct records that `tunelab validate` accepts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './inProcess';

let dir = '';
let server: Server;
let endpoint = '';
let requests = 0;

const WORDS = ['amber', 'basalt', 'cobalt', 'dune', 'ember', 'fjord', 'garnet', 'harbor', 'indigo', 'jasper', 'kelp', 'lagoon', 'marble', 'nectar', 'opal', 'prairie', 'quartz', 'reef', 'sable', 'tundra', 'umber', 'velvet', 'willow', 'xenon', 'yarrow', 'zephyr'];
let serial = 0;
/** An instruction of words no other one shares (so ROUGE-L keeps it). */
function novel(): string {
  const n = serial++;
  const w = (k: number) => `${WORDS[(n * 5 + k) % 26]}${Math.floor((n * 5 + k) / 26)}`;
  return `Describe ${w(0)} ${w(1)} ${w(2)} ${w(3)} ${w(4)} in detail`;
}

function answer(messages: { role: string; content: string }[]): string {
  const system = messages[0]?.role === 'system' ? messages[0].content : '';
  const last = messages.at(-1)!.content;
  if (system.startsWith('You write diverse tasks')) {
    // Three new tasks, one a text model cannot do, one that repeats a seed.
    return `Here you go:\n9. ${novel()}\n10. ${novel()}\n11. Draw a picture of a quiet harbor at night\n12. Give three tips for staying healthy.\n13. ${novel()}`;
  }
  if (system.startsWith('Decide whether')) return /classify/i.test(last) ? 'Yes' : 'No';
  if (system.startsWith('You write worked examples')) return `Input: <noinput>\nOutput: An answer for: ${last.replace(/^Task: /, '')}`;
  // Seeds marked CONVERGE all evolve into one instruction, as a weak model's rewrites do.
  const evolving = system.startsWith('You rewrite instructions') || system.startsWith('You create instructions');
  if (evolving && last.includes('CONVERGE')) return 'Describe the ocean in detail.';
  if (evolving && last.includes('#Original#\nDescribe the ocean in detail.')) return 'Describe the  ocean in detail. ';
  if (system.startsWith('You rewrite instructions')) return `${/#Original#\n([\s\S]*)\n\nThe rewritten/.exec(last)![1]} Use two examples.`;
  if (system.startsWith('You create instructions')) return /#Original#\n([\s\S]*)\n\nThe new/.exec(last)![1]!;
  if (system.startsWith('You compare')) {
    const m = /First instruction:\n([\s\S]*)\n\nSecond instruction:\n([\s\S]*)\n\nAre they equal\?/.exec(last)!;
    return m[1] === m[2] ? 'Equal' : 'Not equal';
  }
  return `Here is a careful answer to "${last}", with reasons, steps and an example for each part.`;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tunelab-gendata-'));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests++;
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      if (requests % 11 === 3) return json(429, { error: { message: 'rate limited', type: 'rate_limit', param: null, code: null } }, { 'retry-after': '0' });
      if (requests % 13 === 7) return json(503, { error: { message: 'busy', type: 'server_error', param: null, code: null } }, { 'retry-after-ms': '5' });
      const req2 = JSON.parse(body) as { messages: { role: string; content: string }[] };
      const text = answer(req2.messages);
      // A little latency, so that a kill lands in the middle of a run.
      setTimeout(() => json(200, { id: 'r', object: 'chat.completion', created: 0, model: 'fixture', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 } }), 10);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const seeds = [
    { instruction: 'Give three tips for staying healthy.', instances: [{ input: '', output: 'Eat well, sleep, move.' }], is_classification: false },
    { instruction: 'Classify the sentiment of the review.', instances: [{ input: 'Great food!', output: 'Positive' }], is_classification: true },
    { instruction: 'Translate the sentence into French.', instances: [{ input: 'Good morning', output: 'Bonjour' }], is_classification: false },
    { instruction: 'Sort these numbers in ascending order.', instances: [{ input: '3 1 2', output: '1 2 3' }], is_classification: false },
  ];
  writeFileSync(join(dir, 'seeds.jsonl'), seeds.map((s) => JSON.stringify(s)).join('\n') + '\n');
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[]) => runCli(dir, args);

const lines = (path: string): string[] => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

describe('generate-data', () => {
  it('self-instruct: killed mid-run, resumed to exactly --count distinct records that validate accepts', async () => {
    const out = join(dir, 'si.jsonl');
    const args = ['generate-data', '--method', 'self-instruct', '--seed-data', 'seeds.jsonl', '--endpoint', endpoint, '--model', 'fixture', '--count', '40', '--out', 'si.jsonl', '--format', 'openai', '--price-in', '1', '--price-out', '2'];
    const cli = join(import.meta.dirname, '..', '..', 'trainer', 'test', 'train', 'runCli.ts');
    // The child runs from the repository (where tsx resolves) with absolute paths.
    const absolute = args.map((a) => (a === 'seeds.jsonl' || a === 'si.jsonl' ? join(dir, a) : a));
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...absolute], { cwd: join(import.meta.dirname, '..', '..'), stdio: ['ignore', 'ignore', 'pipe'] });
    let childErr = '';
    child.stderr.on('data', (d: Buffer) => (childErr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    // Kill it (no chance to clean up) once some records are out.
    for (let i = 0; i < 600 && lines(out).length < 8; i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    assert.equal(await exited, null, childErr);
    const before = lines(out).length;
    assert.ok(before >= 8 && before < 40, `killed after ${before} records`);
    assert.ok(existsSync(`${out}.state.json`));

    const r = await run([...args, '--json']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`^resuming ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\d+ records`));
    assert.match(r.err, /done: 40\/40 records in /);
    const records = lines(out).map((l) => JSON.parse(l) as { messages: { role: string; content: string }[] });
    assert.equal(records.length, 40);
    for (const rec of records) {
      assert.deepEqual(rec.messages.map((m) => m.role), ['user', 'assistant']);
      assert.equal(rec.messages[1]!.content, `An answer for: ${rec.messages[0]!.content}`);
      assert.match(rec.messages[0]!.content, /^Describe (\w+ ){5}in detail$/);
    }
    assert.equal(new Set(records.map((x) => x.messages[0]!.content)).size, 40, 'no instruction twice across the kill');
    const summary = JSON.parse(r.out) as { status: string; records: number; requests: number; prompt_tokens: number; completion_tokens: number; cost: number; dropped: Record<string, number> };
    assert.equal(summary.status, 'done');
    assert.equal(summary.records, 40);
    assert.equal(summary.prompt_tokens, 20 * summary.requests);
    assert.equal(summary.completion_tokens, 5 * summary.requests);
    assert.equal(summary.cost, (summary.prompt_tokens * 1 + summary.completion_tokens * 2) / 1e6);
    assert.ok((summary.dropped['unsuitable-keyword'] ?? 0) >= 1 && (summary.dropped.duplicate ?? 0) >= 1, JSON.stringify(summary.dropped));
    const state = JSON.parse(readFileSync(`${out}.state.json`, 'utf8')) as { written: number; generated: string[] };
    assert.equal(state.written, 40);

    const v = await run(['validate', 'si.jsonl']);
    assert.equal(v.code, 0, v.out + v.err);

    // Running again has nothing left to do.
    const again = await run(args);
    assert.equal(again.code, 0);
    assert.equal(lines(out).length, 40);
  });

  it('Ctrl-C stops after the current request: exit 1, state and output agree, a rerun resumes', async () => {
    const out = join(dir, 'int.jsonl');
    const cli = join(import.meta.dirname, '..', '..', 'trainer', 'test', 'train', 'runCli.ts');
    const args = ['generate-data', '--method', 'self-instruct', '--seed-data', join(dir, 'seeds.jsonl'), '--endpoint', endpoint, '--model', 'fixture', '--count', '30', '--out', out];
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: join(import.meta.dirname, '..', '..'), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    for (let i = 0; i < 600 && lines(out).length < 2; i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGINT');
    assert.equal(await exited, 1, err);
    assert.match(err, /interrupted; run the same command to resume: (\d+)\/30 records in /);
    const state = JSON.parse(readFileSync(`${out}.state.json`, 'utf8')) as { written: number };
    assert.equal(state.written, lines(out).length);
    assert.ok(state.written < 30);
    const r = await run(args);
    assert.equal(r.code, 0, r.err);
    assert.equal(lines(out).length, 30);
  });

  it('evol-instruct: evolutions build on the seed, failed ones are eliminated and counted, alpaca output', async () => {
    const out = join(dir, 'evol.jsonl');
    const r = await run(['generate-data', '--method', 'evol-instruct', '--seed-data', 'seeds.jsonl', '--endpoint', endpoint, '--model', 'fixture', '--count', '6', '--out', 'evol.jsonl', '--seed', '5', '--json']);
    assert.equal(r.code, 0, r.err);
    const records = lines(out).map((l) => JSON.parse(l) as { instruction: string; input: string; output: string });
    assert.equal(records.length, 6);
    const seedText = ['Give three tips for staying healthy.', 'Classify the sentiment of the review.\nGreat food!', 'Translate the sentence into French.\nGood morning', 'Sort these numbers in ascending order.\n3 1 2'];
    for (const rec of records) {
      assert.deepEqual(Object.keys(rec), ['instruction', 'input', 'output']);
      assert.ok(seedText.some((s) => rec.instruction.startsWith(`${s} Use two examples.`)), rec.instruction);
      assert.equal(rec.output, `Here is a careful answer to "${rec.instruction}", with reasons, steps and an example for each part.`);
    }
    const state = JSON.parse(readFileSync(`${out}.state.json`, 'utf8')) as { step: number; drops: Record<string, number> };
    const summary = JSON.parse(r.out) as { made: Record<string, number>; dropped: Record<string, number> };
    // Every record's origin is an in-depth operation (the fixture's breadth answers are eliminated).
    assert.equal(Object.values(summary.made).reduce((a, b) => a + b, 0), 6);
    assert.deepEqual(Object.keys(summary.made).filter((k) => !/^evol-instruct:(constraints|deepening|concretizing|reasoning|complicate-input)$/.test(k)), []);
    // Every evolution step either wrote a record or was eliminated (breadth copies are judged equal).
    const dropped = Object.values(state.drops).reduce((a, b) => a + b, 0);
    assert.equal(state.step, 6 + dropped);
    assert.deepEqual(Object.keys(summary.dropped).filter((k) => k !== 'no-information-gain'), []);
    assert.equal(new Set(records.map((x) => x.instruction)).size, 6);
    const v = await run(['validate', 'evol.jsonl']);
    assert.equal(v.code, 0, v.out + v.err);
  });

  it('evol-instruct: an evolution equal to an earlier one is a duplicate, not a second record, also after a resume', async () => {
    writeFileSync(join(dir, 'converge.jsonl'), ['one', 'two', 'three'].map((w) => JSON.stringify({ instruction: `CONVERGE ${w}: name a sea.`, input: '', output: 'The North Sea.' })).join('\n') + '\n');
    const args = ['generate-data', '--method', 'evol-instruct', '--seed-data', 'converge.jsonl', '--endpoint', endpoint, '--model', 'fixture', '--count', '3', '--out', 'converge-out.jsonl', '--json'];
    const first = await run([...args, '--epochs', '1']);
    assert.equal(first.code, 1, first.err);
    const out = join(dir, 'converge-out.jsonl');
    assert.deepEqual(lines(out).map((l) => (JSON.parse(l) as { instruction: string }).instruction), ['Describe the ocean in detail.']);
    const readState = () => JSON.parse(readFileSync(`${out}.state.json`, 'utf8')) as { drops: Record<string, number>; generated: string[] };
    assert.deepEqual([readState().drops, readState().generated], [{ duplicate: 2 }, ['Describe the ocean in detail.']]);
    // Resumed with a second epoch: the kept one rewrites to itself (up to case and spaces), the others still converge.
    const second = await run([...args, '--epochs', '2']);
    assert.equal(second.code, 1, second.err);
    assert.equal(lines(out).length, 1);
    assert.deepEqual(readState().drops, { duplicate: 4, 'no-information-gain': 1 });
  });

  it('--concurrency: overlapping steps share one pool (no instruction twice) and one commit order', async () => {
    const si = await run(['generate-data', '--method', 'self-instruct', '--seed-data', 'seeds.jsonl', '--endpoint', endpoint, '--model', 'fixture', '--count', '25', '--out', 'conc-si.jsonl', '--concurrency', '4', '--json']);
    assert.equal(si.code, 0, si.err);
    const recs = lines(join(dir, 'conc-si.jsonl')).map((l) => JSON.parse(l) as { instruction: string });
    assert.equal(recs.length, 25);
    assert.equal(new Set(recs.map((r) => r.instruction)).size, 25);
    assert.equal((JSON.parse(readFileSync(join(dir, 'conc-si.jsonl.state.json'), 'utf8')) as { written: number }).written, 25);
    const ev = await run(['generate-data', '--method', 'evol-instruct', '--seed-data', 'seeds.jsonl', '--endpoint', endpoint, '--model', 'fixture', '--count', '8', '--out', 'conc-evol.jsonl', '--concurrency', '3', '--epochs', '3', '--json']);
    assert.equal(ev.code, 0, ev.err);
    const state = JSON.parse(readFileSync(join(dir, 'conc-evol.jsonl.state.json'), 'utf8')) as { step: number; evolved: number[]; drops: Record<string, number> };
    // No seed evolves past --epochs, and every evolution is either a record or a counted drop.
    assert.ok(state.evolved.every((n) => n <= 3), JSON.stringify(state.evolved));
    assert.equal(state.evolved.reduce((a, b) => a + b, 0), state.step);
    assert.ok(state.step >= 8 + Object.values(state.drops).reduce((a, b) => a + b, 0));
    assert.equal(lines(join(dir, 'conc-evol.jsonl')).length, 8);
  });

  it('refuses to resume with other seeds or method, and an --out it did not write', async () => {
    writeFileSync(join(dir, 'other.jsonl'), JSON.stringify({ instruction: 'Name a color.', input: '', output: 'Red' }) + '\n');
    const base = ['generate-data', '--endpoint', endpoint, '--model', 'fixture', '--count', '41', '--out', 'si.jsonl'];
    const seeds = await run([...base, '--method', 'self-instruct', '--seed-data', 'other.jsonl']);
    assert.equal(seeds.code, 2);
    assert.match(seeds.err, /was started with different seed data; use the same --seed-data to resume, or another --out/);
    const method = await run([...base, '--method', 'evol-instruct', '--seed-data', 'seeds.jsonl']);
    assert.equal(method.code, 2);
    assert.match(method.err, /was started with --method self-instruct/);
    writeFileSync(join(dir, 'mine.jsonl'), '{"instruction":"x","output":"y"}\n');
    const foreign = await run(['generate-data', '--method', 'self-instruct', '--seed-data', 'seeds.jsonl', '--endpoint', endpoint, '--model', 'fixture', '--count', '1', '--out', 'mine.jsonl']);
    assert.equal(foreign.code, 2);
    assert.match(foreign.err, /exists and has no .*mine\.jsonl\.state\.json/);
    const usage = await run(['generate-data', '--method', 'magic', '--seed-data', 'seeds.jsonl']);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /--method must be one of self-instruct, evol-instruct, got 'magic'/);
  });

  it('an endpoint without http(s):// and binary seed data are usage errors before any request', async () => {
    const before = requests;
    const common = ['generate-data', '--method', 'evol-instruct', '--model', 'fixture', '--count', '1', '--out', 'never.jsonl'];
    const bare = await run([...common, '--seed-data', 'seeds.jsonl', '--endpoint', 'localhost:8000']);
    assert.deepEqual([bare.code, bare.err], [2, "tunelab generate-data: --endpoint must be an http:// or https:// URL such as http://localhost:8000, got 'localhost:8000'\n"]);
    const ftp = await run([...common, '--seed-data', 'seeds.jsonl', '--endpoint', 'ftp://host/v1']);
    assert.deepEqual([ftp.code, ftp.err], [2, "tunelab generate-data: --endpoint must be an http:// or https:// URL such as http://127.0.0.1:8000/v1, got 'ftp://host/v1'\n"]);
    writeFileSync(join(dir, 'binary.jsonl'), Buffer.from([0x7b, 0x00, 0xff, 0x0a, 0x00, 0x01]));
    const binary = await run([...common, '--seed-data', 'binary.jsonl', '--endpoint', endpoint]);
    assert.deepEqual([binary.code, binary.err], [2, `tunelab generate-data: ${join(dir, 'binary.jsonl')}: the file holds NUL bytes: it is binary, not JSON Lines seed data\n`]);
    assert.equal(requests, before);
    assert.equal(existsSync(join(dir, 'never.jsonl.state.json')), false);
  });
});
