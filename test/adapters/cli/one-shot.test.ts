/**
 * One-shot commands that only read or write rows open the database and nothing else: with the
 * sessions' Redis unreachable they still mint, list and revoke tokens and set a policy (booting
 * the whole backend used to connect to Redis first and wait for it for ever). A command that
 * needs Redis fails at once, naming the key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliConfig, runCli } from '../../support/cli.ts';

describe('one-shot CLI commands open only the database', () => {
  let cfg: Awaited<ReturnType<typeof cliConfig>>;
  beforeAll(async () => {
    // Port 1 on loopback: nothing listens, a connection is refused at once.
    cfg = await cliConfig('sqlite', { sessions: { store: 'redis', url: 'redis://127.0.0.1:1' } });
  });
  afterAll(() => cfg.close());

  it('the Redis of the config is really unreachable: a command that runs the rules says so, naming the key', async () => {
    const r = await runCli(['users', 'approve', 'nobody@example.com', '--config', cfg.configFile]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('sessions.url: Redis unreachable (ECONNREFUSED)');
    expect(r.err).not.toContain('127.0.0.1:1');
  });

  it('mints, lists and revokes SCIM and admin tokens', async () => {
    const scim = await runCli(['scim-token', 'mint', '--config', cfg.configFile, '--name', 'okta', '--provider', 'corp-oidc']);
    expect(scim.code).toBe(0);
    expect(scim.out).toMatch(/^gatehouse_scim_\w+\n$/);
    const list = await runCli(['scim-token', 'list', '--config', cfg.configFile, '--json']);
    const [token] = JSON.parse(list.out) as { id: string; name: string }[];
    expect(token?.name).toBe('okta');
    expect((await runCli(['scim-token', 'revoke', token!.id, '--config', cfg.configFile])).code).toBe(0);
    const admin = await runCli(['admin-token', 'mint', '--config', cfg.configFile, '--name', 'ops']);
    expect(admin.code).toBe(0);
    expect((await runCli(['admin-token', 'list', '--config', cfg.configFile])).out).toContain('\tops\t');
  });

  it('refuses a token for a provider the config does not have', async () => {
    const r = await runCli(['scim-token', 'mint', '--config', cfg.configFile, '--name', 'x', '--provider', 'nope']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('unknown provider "nope"');
  });

  it('sets a provider policy', async () => {
    const r = await runCli(['policy', 'set', 'reject', '--config', cfg.configFile, '--provider', 'corp-oidc']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('corp-oidc: firstLoginPolicy = reject\n');
  });
});
