import type { Frame, Page } from 'playwright-core';

/** Waits until the workbench shows the workspace's files (remote connection up, explorer filled). */
export async function workbenchReady(page: Page, fileInRoot: string): Promise<void> {
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: fileInRoot }).first().waitFor({ timeout: 90_000 });
}

/** Runs a command from the palette by its title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** Opens a workspace file through Quick Open (works for files in sub-folders too). */
export async function openFile(page: Page, relPath: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor();
  await input.fill(relPath);
  const name = relPath.split('/').pop()!;
  // Wait until the filtered list's focused (first) row is the file: the recent-files list shown
  // before filtering may hold it lower down, and Enter would open its first entry instead.
  await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  // The exact file name: "Inspect data.jsonl" (a webview tab) must not count.
  const exact = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  await page.locator('.tabs-container .tab.active .label-name', { hasText: exact }).first().waitFor();
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().waitFor();
}

/** The text of the status bar. */
export function statusBarText(page: Page): Promise<string> {
  return page.locator('#workbench\\.parts\\.statusbar').innerText();
}

/**
 * The frame of a Tunelab webview (`#app[data-panel=kind]`): webviews are two nested iframes,
 * found here by content rather than position since several may be open.
 */
export async function webviewFrame(page: Page, kind: string, timeout = 60_000): Promise<Frame> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const f of page.frames()) {
      if (f.isDetached()) continue;
      const found = await f.evaluate((k) => document.querySelector(`#app[data-panel="${k}"]`) !== null, kind).catch(() => false);
      if (found) return f;
    }
    await page.waitForEvent('framenavigated', { timeout: 2000 }).catch(() => undefined);
  }
  throw new Error(`no ${kind} webview appeared in ${timeout / 1000} s`);
}
