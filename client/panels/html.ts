import { randomBytes } from 'node:crypto';
import type { PanelKind } from '../../common/protocol/webview';

/** A fresh nonce per page load, from the OS's CSPRNG (a guessable nonce would defeat the CSP). */
export function makeNonce(): string {
  return randomBytes(18).toString('base64');
}

/**
 * The page of a panel: nothing inline but the one nonce'd script tag, and a CSP that allows only
 * that script, styles from the bundle folder or constructed in script, and no network at all.
 */
export function panelHtml(opts: { kind: PanelKind; title: string; nonce: string; cspSource: string; scriptUri: string }): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${opts.nonce}'`,
    `style-src ${opts.cspSource} 'nonce-${opts.nonce}'`,
    `img-src ${opts.cspSource} data:`,
    `font-src ${opts.cspSource}`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
</head>
<body>
<div id="app" data-panel="${opts.kind}"></div>
<script nonce="${opts.nonce}" src="${escapeHtml(opts.scriptUri)}"></script>
</body>
</html>`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
