/**
 * CLI parity for the operator tasks: admin-token mint|list|revoke and overrides add|list|remove,
 * run through the real command line (in process) against a config file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliConfig, runCli } from '../../support/cli.ts';
import { openStore } from '../../../adapters/backend.ts';
import { parseConfig } from '../../../plugin/config/parse.ts';
import { verifyToken } from '../../../plugin/tokens.ts';
import { DB_KINDS } from '../../support/db.ts';

const run = runCli;

describe.each(DB_KINDS)('admin CLI on %s', (kind) => {
  let configFile: string;
  let input: Record<string, unknown>;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ configFile, input, close } = await cliConfig(kind, { organizations: [{ id: 'acme-corp', groups: ['developers'] }] }));
  });
  afterAll(() => close());

  it('mints an admin token (printed once, stored hashed), lists and revokes it', async () => {
    const minted = await run(['admin-token', 'mint', '--config', configFile, '--name', 'ci']);
    expect(minted.code).toBe(0);
    const token = minted.out.trim();
    expect(token).toMatch(/^gatehouse_admin_[0-9A-Za-z]{49}$/);
    const store = await openStore(parseConfig(input));
    try {
      const row = await verifyToken(store, 'admin', token);
      expect(row?.name).toBe('ci');
      expect(row?.hash).not.toContain(token);
      const listed = await run(['admin-token', 'list', '--config', configFile]);
      expect(listed.out).toContain(`${row!.id}\tci\t`);
      expect(listed.out).not.toContain(token);
      expect((await run(['admin-token', 'revoke', row!.id, '--config', configFile])).code).toBe(0);
      expect(await verifyToken(store, 'admin', token)).toBeNull();
      const again = await run(['admin-token', 'revoke', row!.id, '--config', configFile]);
      expect(again.code).toBe(1);
      expect(again.err).toMatch(/^gatehouse: no active admin token/);
    } finally {
      await store.close();
    }
  });

  it('adds, lists and removes overrides by email', async () => {
    const store = await openStore(parseConfig(input));
    try {
      await store.insertUser({ email: 'ops@example.com', emailOriginal: 'ops@example.com', status: 'active' });
    } finally {
      await store.close();
    }
    const added = await run(['overrides', 'add', 'ops@example.com', '--config', configFile, '--organization', 'acme-corp', '--group', 'developers']);
    expect(added.code).toBe(0);
    const [id] = added.out.trim().split('\t');
    expect(added.out).toMatch(/\tacme-corp\tgroup\tdevelopers\n$/);
    expect((await run(['overrides', 'list', 'ops@example.com', '--config', configFile])).out).toContain(`${id}\tacme-corp\tgroup\tdevelopers`);
    const bad = await run(['overrides', 'add', 'ops@example.com', '--config', configFile, '--organization', 'acme-corp', '--group', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/group: organization "acme-corp" has no group "nope"/);
    expect((await run(['overrides', 'remove', 'ops@example.com', String(id), '--config', configFile])).out).toBe('removed acme-corp group developers\n');
    expect((await run(['overrides', 'list', 'ops@example.com', '--config', configFile])).out).toBe('');
  });
});
