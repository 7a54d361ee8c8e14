/**
 * A gateway process killed with SIGKILL right after its logins committed (before anything was
 * sent), and in the middle of one more login: after a restart every committed login is
 * delivered exactly once and the uncommitted one never.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createGatehouseFromConfig } from '../../../adapters/backend.ts';
import { parseConfig } from '../../../plugin/config/parse.ts';
import type { ConfigInput } from '../../../plugin/config/schema.ts';
import { createLogger } from '../../../plugin/logger.ts';
import { createTestDatabase, DB_KINDS } from '../../support/db.ts';
import { PROVIDER, startReceiver, stubIdp, webhookSecret } from './support.ts';

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
const LOGINS = 20;

function runUntilKilled(configFile: string): Promise<{ signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, configFile, String(LOGINS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('in-tx')) child.kill('SIGKILL');
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited on its own (code ${code}): ${err || out}`));
      else resolve({ signal, out });
    });
  });
}

describe.each(DB_KINDS)('crash between commit and send on %s', (kind) => {
  it('delivers every committed login once after a SIGKILL and a restart, and never the uncommitted one', async () => {
    const db = await createTestDatabase(kind);
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-crash-'));
    const secret = webhookSecret();
    const receiver = await startReceiver({ secrets: [secret] });
    const input = (dispatch: boolean): ConfigInput => ({
      server: { port: 0, sessionSecret: 'test-session-secret-0123456789abcdef' },
      database: db.config,
      organizations: [{ id: 'acme-corp' }],
      providers: [{ id: PROVIDER, type: 'oidc', issuer: 'http://127.0.0.1:9/unused', clientId: 'gatehouse' }],
      webhooks: [{ id: 'crash', url: receiver.url, secret, trigger: 'every_login', allowPrivateNetwork: true }],
      webhookDelivery: { dispatch, pollIntervalMs: 100, backoffBaseMs: 20, backoffMaxMs: 200 },
      log: { level: 'silent' },
    });
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(input(false)));
    try {
      const { out } = await runUntilKilled(configFile);
      expect(out).toContain(`committed ${LOGINS}`);
      expect(receiver.received).toHaveLength(0);

      // Restart: a fresh process would do exactly this.
      const backend = await createGatehouseFromConfig(parseConfig(input(true)), {
        logger: createLogger('silent'),
        idps: new Map([[PROVIDER, stubIdp(PROVIDER, new Map())]]),
      });
      try {
        await receiver.waitFor(LOGINS, 20_000);
        await new Promise((r) => setTimeout(r, 500)); // room for a duplicate, were there one
        const ids = receiver.received.map((r) => r.id);
        expect(ids).toHaveLength(LOGINS);
        expect(new Set(ids).size).toBe(LOGINS);
        const emails = receiver.received.map((r) => (r.verified as { data: { user: { email: string } } }).data.user.email).sort();
        expect(emails).toEqual(Array.from({ length: LOGINS }, (_, i) => `crash-${i}@example.com`).sort());
        expect(await backend.store.findUserByEmail('uncommitted@example.com')).toBeNull();
      } finally {
        await backend.close();
      }
    } finally {
      await receiver.close();
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    }
  });
});
