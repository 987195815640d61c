/**
 * The dataset inspector on a 1 GB, 1M-record JSONL file: time to first render (the first rows on
 * screen in the real webview, in headless chromium, fed by the real host-side session), time to
 * index the whole file, time to check every record with the dataset core, the host's peak
 * memory, and the DOM size. Ceiling, same run: reading the whole file sequentially (the I/O any
 * indexer needs). Peer: opening it the simple way, readFileSync to one string, as a naive viewer
 * would (V8 refuses strings over 512 MiB).
 *
 * Run: npm run bench -- inspector. The file is generated once in $TMPDIR/tunelab-bench/ (1 GB).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostToInspector, InspectorToHost } from '../common/protocol/webview';
import { DatasetSession } from '../client/dataset/session';
import { chromiumPath, launchChromium, openPanel } from '../e2e/lib/harness';

const root = join(import.meta.dirname, '..');
const RECORDS = 1_000_000;

function generate(path: string): void {
  const fd = openSync(path, 'w');
  const words = 'the pirate ship sailed across a calm sea while the crew sang songs about buried treasure and old maps'.split(' ');
  let chunk: string[] = [];
  for (let i = 0; i < RECORDS; i++) {
    const n = 80 + (i % 150);
    const text = Array.from({ length: n }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' ');
    chunk.push(JSON.stringify({ messages: [{ role: 'system', content: 'You are a helpful pirate.' }, { role: 'user', content: `Question ${i}: tell me a story.` }, { role: 'assistant', content: text }] }));
    if (chunk.length === 10_000) {
      writeSync(fd, `${chunk.join('\n')}\n`);
      chunk = [];
    }
  }
  if (chunk.length) writeSync(fd, `${chunk.join('\n')}\n`);
  closeSync(fd);
}

async function main(): Promise<void> {
  if (!chromiumPath()) {
    console.log('skipped: chromium not installed');
    return;
  }
  const dir = join(tmpdir(), 'tunelab-bench');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'inspector-1m.jsonl');
  if (!existsSync(path) || statSync(path).size < 0.95e9) {
    const t = Date.now();
    generate(path);
    console.log(`generated ${path} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  const size = statSync(path).size;

  const browser = await launchChromium();
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  try {
    const holder: { session?: DatasetSession } = {};
    const marks: Record<string, number> = {};
    const panel = await openPanel(browser, root, 'inspector', (m) => {
      const msg = m as InspectorToHost;
      const session = holder.session;
      if (!session) return;
      if (msg.type === 'window') void session.window(msg.viewId, msg.start, msg.count);
      if (msg.type === 'select') void session.select(msg.index);
      if (msg.type === 'filter') void session.setFilter(msg.filter);
    });
    const { page } = panel;
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
    const start = performance.now();
    const session = new DatasetSession(path, {
      post: (m: HostToInspector) => {
        if (m.type === 'progress' && m.finished) marks[m.phase] ??= performance.now() - start;
        if (m.type === 'rows') marks.rows ??= performance.now() - start;
        void panel.send(m);
      },
      trusted: true,
      sequenceLen: 2048,
      mask: async () => ({ ok: false, reason: 'no model in this benchmark' }),
    });
    holder.session = session;
    const opened = session.open();
    await page.locator('.vrow:not([hidden])[data-index="0"]').waitFor({ timeout: 120_000 });
    const firstRender = performance.now() - start;
    const firstText = await page.locator('.vrow:not([hidden])[data-index="0"]').textContent();
    await page.locator('#stats-summary').waitFor({ timeout: 600_000 });
    const statsMs = performance.now() - start;
    await opened;
    const dom = await page.evaluate(() => ({ rows: document.querySelectorAll('.vrow').length, nodes: document.getElementsByTagName('*').length }));
    // Jump to the end of the list: one window request, answered from the index.
    const jumpStart = performance.now();
    await page.evaluate(() => {
      const l = document.querySelector('.vlist')!;
      l.scrollTop = l.scrollHeight;
    });
    await page.locator(`.vrow:not([hidden])[data-index="${RECORDS - 1}"]`).waitFor({ timeout: 30_000 });
    const jumpMs = performance.now() - jumpStart;
    session.dispose();
    console.log(`inspector, ${RECORDS.toLocaleString()} records, ${(size / 1e9).toFixed(2)} GB:`);
    console.log(`  host: first rows posted ${(marks.rows ?? NaN).toFixed(0)} ms after open()`);
    console.log(`  time to first render (first rows on screen): ${firstRender.toFixed(0)} ms  [first row: ${firstText?.slice(0, 60)}…]`);
    console.log(`  whole file indexed: ${((marks.index ?? NaN) / 1000).toFixed(2)} s; every record checked (dataset core) and statistics shown: ${(statsMs / 1000).toFixed(1)} s`);
    console.log(`  jump to the last record: ${jumpMs.toFixed(0)} ms; rows in the DOM: ${dom.rows} (${dom.nodes} elements in the page)`);
    console.log(`  host peak RSS: ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
    const { ceilingMs, newlines, peer } = ceilingAndPeer(path);
    console.log(`  lines in the file: ${newlines.toLocaleString()}`);
    console.log(`  ceiling, one sequential read of the file: ${(ceilingMs / 1000).toFixed(2)} s (${(size / 1e6 / (ceilingMs / 1000)).toFixed(0)} MB/s); index / ceiling: ${((marks.index ?? NaN) / ceilingMs).toFixed(2)}`);
    console.log(`  peer, readFileSync to one string: ${peer}`);
  } finally {
    clearInterval(rssTimer);
    await browser.close();
  }
}

/** The I/O ceiling (one sequential read) and the naive peer (readFileSync to a string), run last: the peer's buffer would inflate the host's peak memory. */
function ceilingAndPeer(path: string): { ceilingMs: number; newlines: number; peer: string } {
  // Ceiling: one sequential read of the file (cold or warm cache, as it comes).
  const buf = Buffer.alloc(4 << 20);
  let t = performance.now();
  const fd = openSync(path, 'r');
  let newlines = 0;
  for (let pos = 0; ; ) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    for (let i = buf.indexOf(10, 0); i >= 0 && i < n; i = buf.indexOf(10, i + 1)) newlines++;
    pos += n;
  }
  closeSync(fd);
  const ceilingMs = performance.now() - t;

  // Peer: readFileSync to one string.
  t = performance.now();
  let peer: string;
  try {
    const s = readFileSync(path, 'utf8');
    peer = `read in ${((performance.now() - t) / 1000).toFixed(2)} s (${s.length} characters; then every line would still have to be split and rendered)`;
  } catch (e) {
    peer = `fails after ${((performance.now() - t) / 1000).toFixed(2)} s: ${(e as Error).message}`;
  }

  return { ceilingMs, newlines, peer };
}

await main();
