import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, makeNonce, panelHtml } from '../panels/html';

test('a panel page allows only its nonce script and no network', () => {
  const html = panelHtml({ kind: 'dashboard', title: 'Runs <&>', nonce: 'N0nce', cspSource: 'https://file+.vscode-resource.vscode-cdn.net', scriptUri: 'https://x/dist/webviews/dashboard.js?a=1&b="2"' });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1];
  assert.equal(
    csp,
    "default-src 'none'; script-src 'nonce-N0nce'; style-src https://file+.vscode-resource.vscode-cdn.net 'nonce-N0nce'; img-src https://file+.vscode-resource.vscode-cdn.net data:; font-src https://file+.vscode-resource.vscode-cdn.net; connect-src 'none'; frame-src 'none'; form-action 'none'; base-uri 'none'",
  );
  assert.deepEqual(html.match(/<script[^>]*>/g), ['<script nonce="N0nce" src="https://x/dist/webviews/dashboard.js?a=1&amp;b=&quot;2&quot;">']);
  assert.match(html, /<title>Runs &lt;&amp;&gt;<\/title>/);
  assert.doesNotMatch(html, /\son[a-z]+=/i);
});

test('nonces are random, 24 base64 characters', () => {
  const seen = new Set(Array.from({ length: 1000 }, makeNonce));
  assert.equal(seen.size, 1000);
  for (const n of seen) assert.match(n, /^[A-Za-z0-9+/]{24}$/);
  assert.equal(escapeHtml(`<img src=x onerror='a'>&"`), '&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;');
});
