/**
 * Dashboard frame time while 100,000 training points stream in, in headless chromium (the same
 * engine as VS Code's webviews). The page is the real dist/webviews/dashboard.js; batches of
 * 1,000 points arrive once per animation frame (far faster than a real trainer, whose points the
 * host batches every 200 ms). Measured: render time per batch (reducer + chart data + uPlot) and
 * the gaps between animation frames. Ceiling, same page and run: bare uPlot setData of the same
 * arrays, without our reducer, smoothing and alignment.
 *
 * Run: npm run bench -- dashboard (needs chromium; skips with a message without it).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromiumPath, launchChromium, openPanel } from '../e2e/lib/harness';

const root = join(import.meta.dirname, '..');
const TOTAL = 100_000;
const BATCH = 1_000;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]!;
};

async function main(): Promise<void> {
  if (!chromiumPath()) {
    console.log('skipped: chromium not installed');
    return;
  }
  const browser = await launchChromium();
  try {
    const panel = await openPanel(browser, root, 'dashboard');
    const { page } = panel;
    await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    const run = { id: 'bench', label: 'bench.yaml', configPath: '/b.yaml', outputDir: '/o', eventsPath: '/o/events.jsonl', status: 'running', active: true, resumable: false, startedAt: 't', backend: 'wasm', method: 'lora', params: null, totalSteps: TOTAL, lastStep: 0, config: {}, checkpoints: [], final: null, error: null };
    await panel.send({ type: 'runs', runs: [run], focus: 'bench' });
    // Stream the points from inside the page: one batch per animation frame, timing each frame.
    const result = await page.evaluate(
      async ({ total, batch }) => {
        const w = window as unknown as { __tunelabRenderMs: number[] };
        w.__tunelabRenderMs = [];
        const gaps: number[] = [];
        let last = performance.now();
        const started = last;
        for (let at = 0; at < total; at += batch) {
          const step = Array.from({ length: batch }, (_, i) => at + i + 1);
          const loss = step.map((s) => 2 / Math.sqrt(s) + 0.05 * Math.sin(s));
          window.postMessage({ type: 'metrics', batches: [{ runId: 'bench', reset: false, step, loss, lr: step.map(() => 1e-4), gradNorm: step.map(() => 0.5), tokensPerS: step.map(() => 900), evalStep: at % 10_000 === 0 ? [at + batch] : [], evalLoss: at % 10_000 === 0 ? [1.5] : [] }] }, '*');
          await new Promise((r) => requestAnimationFrame(() => r(null)));
          const now = performance.now();
          gaps.push(now - last);
          last = now;
        }
        // Let the last batch render.
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));
        return { gaps, render: w.__tunelabRenderMs, totalMs: performance.now() - started, points: Number(document.querySelector('[data-chart="loss"]')?.getAttribute('data-points')) };
      },
      { total: TOTAL, batch: BATCH },
    );
    // Peer, same page and run: uPlot alone given every point (one chart, three series), as a
    // dashboard that draws all points would; uPlot is loaded from its own IIFE build.
    await page.addScriptTag({ url: pathToFileURL(join(root, 'node_modules', 'uplot', 'dist', 'uPlot.iife.min.js')).href });
    const ceiling = await page.evaluate(
      async ({ total, batch }) => {
        type Plot = { setData(d: unknown): void };
        const Ctor = (globalThis as unknown as { uPlot: new (o: unknown, d: unknown, el: HTMLElement) => Plot }).uPlot;
        const host = document.createElement('div');
        document.body.appendChild(host);
        const plot = new Ctor({ width: 640, height: 220, scales: { x: { time: false } }, series: [{}, { stroke: 'red' }, { stroke: 'blue' }, { stroke: 'green', spanGaps: true }] }, [[], [], [], []], host);
        const x: number[] = [];
        const y: number[] = [];
        const times: number[] = [];
        const gaps: number[] = [];
        for (let at = 0; at < total; at += batch) {
          for (let i = 0; i < batch; i++) {
            x.push(at + i + 1);
            y.push(2 / Math.sqrt(at + i + 1) + 0.05 * Math.sin(at + i));
          }
          const t = performance.now();
          plot.setData([x, y, y, y.map(() => null)]);
          // uPlot draws in a microtask after setData: include it.
          await Promise.resolve();
          times.push(performance.now() - t);
          await new Promise((r) => requestAnimationFrame(() => r(null)));
          gaps.push(performance.now() - t);
        }
        // An idle frame on this machine, for scale.
        const idle: number[] = [];
        let last = performance.now();
        for (let i = 0; i < 30; i++) {
          await new Promise((r) => requestAnimationFrame(() => r(null)));
          const now = performance.now();
          idle.push(now - last);
          last = now;
        }
        return { times, idle, gaps };
      },
      { total: TOTAL, batch: BATCH },
    );
    const r = result.render;
    const tail = r.slice(-10);
    console.log(`dashboard, ${result.points.toLocaleString()} points in ${TOTAL / BATCH} batches of ${BATCH} (headless chromium ${chromiumPath()}):`);
    console.log(`  render per batch (reducer + chart data + 4 uPlot charts): p50 ${pct(r, 0.5).toFixed(1)} ms, p95 ${pct(r, 0.95).toFixed(1)} ms, max ${Math.max(...r).toFixed(1)} ms; at 90-100k points: mean ${(tail.reduce((a, b) => a + b, 0) / tail.length).toFixed(1)} ms`);
    console.log(`  frame gaps: p50 ${pct(result.gaps, 0.5).toFixed(1)} ms, p95 ${pct(result.gaps, 0.95).toFixed(1)} ms, max ${Math.max(...result.gaps).toFixed(1)} ms; whole stream ${(result.totalMs / 1000).toFixed(2)} s`);
    const ct = ceiling.times.slice(-10);
    const ourTail = tail.reduce((a, b) => a + b, 0) / tail.length;
    const peerTail = ct.reduce((a, b) => a + b, 0) / ct.length;
    console.log(`  peer, bare uPlot drawing every point (1 chart, 3 series): p50 ${pct(ceiling.times, 0.5).toFixed(1)} ms; at 90-100k points: mean ${peerTail.toFixed(1)} ms`);
    console.log(`  peer frame gaps: p50 ${pct(ceiling.gaps, 0.5).toFixed(1)} ms, p95 ${pct(ceiling.gaps, 0.95).toFixed(1)} ms`);
    console.log(`  idle frame on this machine: p50 ${pct(ceiling.idle, 0.5).toFixed(1)} ms`);
    console.log(`  ratio at 100k points, ours (4 charts) / peer (1 chart): ${(ourTail / peerTail).toFixed(2)}`);
  } finally {
    await browser.close();
  }
}

await main();
