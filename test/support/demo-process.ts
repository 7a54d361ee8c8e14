/**
 * `npm start` as a person runs it: a child process (its own process group), its printed gateway
 * URL, and a stop that ends the whole group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

export const REPO_ROOT = join(import.meta.dirname, '../..');

export interface DemoProcess {
  url: string;
  dataDir: string;
  output(): string;
  stop(): void;
}

/**
 * Starts `npm start --silent [-- ...args]` on a fresh data directory with free IdP ports; `env`
 * is added to (and `undefined` values removed from) this process's environment.
 */
export async function startDemoProcess(args: string[] = [], env: Record<string, string | undefined> = {}): Promise<DemoProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-demo-'));
  const [oidc, saml] = [await freePort(), await freePort()];
  const childEnv: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_DEMO_OIDC_PORT: String(oidc), GATEHOUSE_DEMO_SAML_PORT: String(saml), GATEHOUSE_DEMO_DATA_DIR: dataDir };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const child: ChildProcess = spawn('npm', ['start', '--silent', ...(args.length ? ['--', ...args] : [])], {
    cwd: REPO_ROOT,
    env: childEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const stop = () => {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo did not start:\n${output}`)), 50_000);
      child.stdout!.on('data', (d: Buffer) => {
        output += d.toString();
        const m = /Gatehouse demo gateway: (http:\/\/\S+)/.exec(output);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`demo exited with ${code}:\n${output}`));
      });
    });
    return { url, dataDir, output: () => output, stop };
  } catch (e) {
    stop();
    throw e;
  }
}
