import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (the real binary first: the wrapper script adds nothing for headless use). */
export function chromiumPath(): string | undefined {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser']) if (p && existsSync(p)) return p;
  return undefined;
}

/** Headless chromium with no network beyond localhost (the recipe's flags). */
export function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('chromium not found: install it with apt (e2e/install.sh does) or set CHROMIUM_PATH');
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'],
  });
}

/**
 * A webview bundle on a plain page, with a stand-in for VS Code's `acquireVsCodeApi` that records
 * what the webview posts. The page carries the same CSP as the extension's panels, so an escaping
 * bug that would run a script there is blocked the same way here, and reported.
 */
export async function openPanel(browser: Browser, root: string, kind: string, onPost?: (message: unknown) => void): Promise<{ page: Page; send(msg: unknown): Promise<void>; posted(): Promise<unknown[]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tunelab-harness-'));
  const script = pathToFileURL(join(root, 'dist', 'webviews', `${kind}.js`)).href;
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-harness' file:; style-src 'nonce-harness'; img-src data:;">
<style nonce="harness">:root{--vscode-foreground:#ccc;--vscode-editor-background:#1e1e1e;--vscode-font-family:sans-serif;--vscode-font-size:13px}</style>
<script nonce="harness">window.__posted=[];window.__state=undefined;window.acquireVsCodeApi=()=>({postMessage:(m)=>{window.__posted.push(m);if(window.__tunelabPost)window.__tunelabPost(m)},getState:()=>window.__state,setState:(s)=>{window.__state=s}});</script>
</head><body><div id="app"></div><script nonce="harness" src="${script}"></script></body></html>`;
  const file = join(dir, `${kind}.html`);
  await writeFile(file, html);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  if (onPost) await page.exposeFunction('__tunelabPost', onPost);
  await page.goto(pathToFileURL(file).href);
  return {
    page,
    send: (msg) => page.evaluate((m) => window.postMessage(m, '*'), msg),
    posted: () => page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted),
  };
}
