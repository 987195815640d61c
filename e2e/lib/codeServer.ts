import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A running code-server: its URL and how to stop it (the whole process group). */
export interface CodeServer {
  url: string;
  log: string[];
  stop(): Promise<void>;
}

export const CODE_SERVER_VERSION = '4.100.3';

export function codeServerBin(root: string): string {
  return join(root, '.code-server', 'node_modules', '.bin', 'code-server');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Folders code-server writes to, all under one temporary directory (never the user's home). */
export function profile(dir: string, settings: Record<string, unknown>): { userData: string; extensions: string; config: string; home: string } {
  const p = { userData: join(dir, 'user-data'), extensions: join(dir, 'extensions'), config: join(dir, 'config.yaml'), home: join(dir, 'home') };
  mkdirSync(join(p.userData, 'User'), { recursive: true });
  mkdirSync(p.extensions, { recursive: true });
  mkdirSync(p.home, { recursive: true });
  writeFileSync(p.config, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  writeFileSync(
    join(p.userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'extensions.ignoreRecommendations': true,
        'workbench.enableExperiments': false,
        'workbench.tips.enabled': false,
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
        'security.workspace.trust.enabled': false,
        'npm.fetchOnlinePackageInfo': false,
        'typescript.disableAutomaticTypeAcquisition': true,
        'json.schemaDownload.enable': false,
        'git.enabled': false,
        'chat.disableAIFeatures': true,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'workbench.editor.enablePreview': false,
        'editor.minimap.enabled': false,
        'files.autoSave': 'off',
        ...settings,
      },
      null,
      2,
    ),
  );
  return p;
}

function env(home: string): NodeJS.ProcessEnv {
  return { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local', 'share'), EXTENSIONS_GALLERY: '{}' };
}

export function installExtension(root: string, p: ReturnType<typeof profile>, vsix: string): void {
  const r = spawnSync(codeServerBin(root), ['--user-data-dir', p.userData, '--extensions-dir', p.extensions, '--config', p.config, '--install-extension', vsix], { env: env(p.home), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`code-server --install-extension failed (${r.status}): ${r.stderr || r.stdout}`);
}

/** Starts code-server and resolves once it listens. */
export async function startCodeServer(root: string, p: ReturnType<typeof profile>, opts: { trust?: boolean } = {}): Promise<CodeServer> {
  const port = await freePort();
  const args = ['--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check', ...(opts.trust ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override', '--user-data-dir', p.userData, '--extensions-dir', p.extensions, '--config', p.config];
  const child: ChildProcess = spawn(codeServerBin(root), args, { env: env(p.home), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start in 60 s:\n${log.join('')}`)), 60_000);
    const onData = (b: Buffer) => {
      const s = b.toString();
      log.push(s);
      if (s.includes('HTTP server listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (${code}):\n${log.join('')}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    log,
    stop: async () => {
      if (child.exitCode !== null || child.pid === undefined) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      // The process group: the extension host, the language server and any trainer go with it.
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return;
      }
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 5000);
      await gone;
      clearTimeout(t);
    },
  };
}
