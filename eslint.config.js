// Lint rules that keep the parts apart (see ARCHITECTURE.md): the pure cores in common/ import
// LSP *types* only, never `vscode`, a Connection or another part; no part reaches into another
// part's internals except through common/.
import tseslint from 'typescript-eslint';

// The CLI composes the parts, so it may import the public face of server/ and trainer/ (their
// index.ts) and nothing else of them.
const publicFaces = { cli: ['server', 'trainer'] };
const otherParts = (self) =>
  ['server', 'trainer', 'client', 'webviews', 'cli']
    .filter((p) => p !== self)
    .map((p) => ({
      group: [`**/${p}/**`, ...((publicFaces[self] ?? []).includes(p) ? [`!**/${p}/index`, `!**/${p}/index.js`] : [])],
      message: `${self}/ must not import ${p}/ internals; share code through common/.`,
    }));

const restrict = (self, extra = []) => ({
  files: [`${self}/**/*.ts`],
  ignores: [`${self}/test/**`],
  rules: {
    'no-restricted-imports': ['error', { patterns: [...otherParts(self), ...extra] }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', '.code-server/**', 'e2e-out/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  restrict('common', [
    { group: ['vscode', 'vscode-languageserver', 'vscode-languageserver/*', 'vscode-languageclient', 'vscode-languageclient/*'], message: 'common/ is pure: import vscode-languageserver-types / -textdocument only.' },
    { group: ['**/server/**', '**/trainer/**', '**/client/**', '**/webviews/**', '**/cli/**'], message: 'common/ imports no other part.' },
  ]),
  restrict('server', [{ group: ['vscode'], message: 'the server runs outside VS Code.' }]),
  restrict('trainer', [{ group: ['vscode', 'vscode-languageserver', 'vscode-languageserver/*'], message: 'the trainer is a plain subprocess.' }]),
  restrict('cli', [{ group: ['vscode'], message: 'the CLI runs outside VS Code.' }]),
  restrict('client'),
  restrict('webviews', [{ group: ['vscode'], message: 'webviews talk to the host through typed messages only.' }]),
);
