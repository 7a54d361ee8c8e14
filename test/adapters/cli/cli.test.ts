/**
 * The `gatehouse` command line, run as a real process on a real SQLite file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import knexFactory from 'knex';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../../bin/gatehouse.mjs');

async function gatehouse(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const CONFIG = `
server:
  port: 0
  sessionSecret: \${SESSION_SECRET}
database:
  client: sqlite3
  connection: { filename: ./gh.sqlite }
organizations:
  - id: acme-corp
    groups: [developers]
  - id: home-lab
    roles: [Admin, Member]
providers:
  - id: corp-oidc
    type: oidc
    issuer: http://127.0.0.1:9/
    clientId: gateway
    firstLoginPolicy: pending_approval
provisioning:
  defaultRole: viewer
  groupsPattern: "chainloop_{ORG_NAME}_{GROUP_NAME}"
  rules:
    organizations:
      home-lab:
        organization: "contains(groups, '{{orgId}}')"
        roles: { expression: "contains(groups, 'admin') && 'Admin' || 'Member'" }
log: { level: silent }
`;

describe('gatehouse CLI', () => {
  let dir: string;
  let config: string;
  const env = { SESSION_SECRET: 'a-long-enough-session-secret' };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    config = join(dir, 'gatehouse.yaml');
    writeFileSync(config, CONFIG);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrate creates the schema next to the config file, then reports it up to date', async () => {
    const first = await gatehouse(['migrate', '--config', config], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('001_core');
    const second = await gatehouse(['migrate', '--config', config], env);
    expect(second.stdout).toContain('schema up to date');
  });

  it('policy set persists the FirstLoginPolicy; an unknown provider or policy exits non-zero with one line', async () => {
    const ok = await gatehouse(['policy', 'set', '--config', config, '--provider', 'corp-oidc', 'reject'], env);
    expect(ok.code).toBe(0);
    const db = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'gh.sqlite') }, useNullAsDefault: true });
    try {
      const row = await db('gh_settings').where({ key: 'provider:corp-oidc:firstLoginPolicy' }).first();
      expect(JSON.parse(row.value)).toBe('reject');
    } finally {
      await db.destroy();
    }
    const bad = await gatehouse(['policy', 'set', '--config', config, '--provider', 'nope', 'allow'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toEqual(['gatehouse: unknown provider "nope"']);
    const badPolicy = await gatehouse(['policy', 'set', '--config', config, '--provider', 'corp-oidc', 'maybe'], env);
    expect(badPolicy.code).not.toBe(0);
    expect(badPolicy.stderr).toContain('unknown policy "maybe"');
  });

  it('users approve promotes a pending user and provisions from the last claims', async () => {
    const db = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'gh.sqlite') }, useNullAsDefault: true });
    try {
      const now = Date.now();
      await db('gh_users').insert({ id: 'u1', email: 'pat@example.com', status: 'pending_approval', instance_admin: false, created_at: now, updated_at: now, version: 1 });
      const claims = { provider: 'corp-oidc', subject: 'pat', email: 'pat@example.com', emailOriginal: 'pat@example.com', emailVerified: true, name: null, givenName: null, familyName: null, groups: ['home-lab'], groupsOverage: false, raw: { groups: ['home-lab'] } };
      await db('gh_identities').insert({ id: 'i1', user_id: 'u1', provider: 'corp-oidc', subject: 'pat', created_at: now, last_claims: JSON.stringify(claims) });
      const res = await gatehouse(['users', 'approve', 'PAT@example.com', '--config', config], env);
      expect(res.stderr).toBe('');
      expect(res.stdout.trim()).toBe('pat@example.com: active');
      const ms = await db('gh_memberships').where({ user_id: 'u1' });
      expect(ms.map((m: { organization_id: string; name: string }) => `${m.organization_id}:${m.name}`)).toEqual(['home-lab:Member']);
      const unknown = await gatehouse(['users', 'reject', 'nobody@example.com', '--config', config], env);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain('no user "nobody@example.com"');
    } finally {
      await db.destroy();
    }
  });

  it('explain prints the rule-by-rule trace as JSON and writes nothing', async () => {
    const claimsFile = join(dir, 'claims.json');
    writeFileSync(claimsFile, JSON.stringify({ sub: 'x', email: 'x@example.com', groups: ['home-lab', 'admin', 'chainloop_acme-corp_developers'] }));
    const res = await gatehouse(['explain', '--config', config, '--provider', 'corp-oidc', '--claims', claimsFile], env);
    expect(res.stderr).toBe('');
    const out = JSON.parse(res.stdout) as { entitlements: { organization: string; roles: string[]; groups: string[] }[]; user: unknown };
    expect(out.user).toBeNull();
    expect(out.entitlements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ organization: 'home-lab', roles: ['Admin'] }),
        expect.objectContaining({ organization: 'acme-corp', groups: ['developers'] }),
      ]),
    );
  });

  it('a bad config fails with the key path and, for JMESPath, the error position', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, CONFIG.replace("contains(groups, '{{orgId}}')", "contains(groups, '{{orgId}}'"));
    const res = await gatehouse(['migrate', '--config', bad], env);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/^gatehouse: provisioning\.rules\.organizations\.home-lab\.organization: .*position \d+/);
    const missingEnv = await gatehouse(['migrate', '--config', config], { SESSION_SECRET: '' });
    expect(missingEnv.stderr.trim()).toBe('gatehouse: server.sessionSecret: environment variable SESSION_SECRET is not set');
  });

  it('an unreachable database is one readable line', async () => {
    const pgConfig = join(dir, 'pg.yaml');
    writeFileSync(pgConfig, CONFIG.replace('client: sqlite3\n  connection: { filename: ./gh.sqlite }', 'client: pg\n  connection: { host: 127.0.0.1, port: 9, user: x, database: x }'));
    // Nothing else: no driver stack on stdout (knex's own logger writes there) or stderr.
    for (const command of [['migrate', '--config', pgConfig], ['scim-token', 'list', '--config', pgConfig]]) {
      const res = await gatehouse(command, env);
      expect(res.code).not.toBe(0);
      expect(res.stdout).toBe('');
      expect(res.stderr).toBe('gatehouse: database unreachable (ECONNREFUSED): check database.connection\n');
    }
  });
});
