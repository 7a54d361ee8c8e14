/** Runs the `gatehouse` command line in process, capturing what it prints and its exit code. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../adapters/cli/main.ts';
import { createTestDatabase, type DbKind } from './db.ts';

export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => ((out += String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((err += String(c)), true)) as typeof process.stderr.write;
  process.exitCode = 0;
  try {
    await main(args);
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out, err };
}

/**
 * A config file for CLI runs over a fresh test database: a session secret, one inert OIDC provider
 * and whatever `extra` adds. `close()` deletes the file and drops the database.
 */
export async function cliConfig(
  kind: DbKind,
  extra: Record<string, unknown> = {},
): Promise<{ configFile: string; input: Record<string, unknown>; close(): Promise<void> }> {
  const db = await createTestDatabase(kind);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
  const configFile = join(dir, 'gatehouse.json');
  const input = {
    server: { sessionSecret: 'test-session-secret-0123456789abcdef' },
    database: db.config,
    providers: [{ id: 'corp-oidc', type: 'oidc', issuer: 'http://127.0.0.1:9/unused', clientId: 'gatehouse' }],
    log: { level: 'silent' },
    ...extra,
  };
  writeFileSync(configFile, JSON.stringify(input));
  return {
    configFile,
    input,
    async close() {
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    },
  };
}
