/** Styles shared by the panels: VS Code's theme variables, so every theme (and high contrast) applies. */
export const baseCss = `
:root { color-scheme: light dark; }
body { margin: 0; padding: 0 12px 12px; color: var(--vscode-foreground); background: var(--vscode-editor-background);
  font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
h2 { font-size: 1.1em; font-weight: 600; margin: 12px 0 6px; }
h3 { font-size: 1em; font-weight: 600; margin: 10px 0 4px; }
.muted { color: var(--vscode-descriptionForeground); }
.error { color: var(--vscode-errorForeground); }
.warning { color: var(--vscode-editorWarning-foreground); }
.mono { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
.row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.grow { flex: 1 1 auto; min-width: 0; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 0.85em;
  background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); }
.badge.running, .badge.stopping { background: var(--vscode-progressBar-background); color: var(--vscode-button-foreground); }
.badge.failed { background: var(--vscode-inputValidation-errorBackground, var(--vscode-errorForeground)); color: var(--vscode-foreground); }
table { border-collapse: collapse; }
td, th { padding: 2px 8px; text-align: left; border-bottom: 1px solid var(--vscode-panel-border, transparent); }
th { font-weight: 600; }
button.link { background: none; border: none; padding: 0; color: var(--vscode-textLink-foreground); cursor: pointer; font: inherit; }
button.link:hover { text-decoration: underline; }
input[type=range] { accent-color: var(--vscode-button-background); }
`;
