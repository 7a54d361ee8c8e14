/**
 * ADDITIVE vs MANAGED over the same sequence of real OIDC logins (groups added, then removed),
 * with an admin override that MANAGED must keep; a rule that throws for one organization; Azure
 * group overage. On every database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../plugin/config/schema.ts';
import { Agent } from '../support/agent.ts';
import { DB_KINDS } from '../support/db.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const withMode = (mode: 'ADDITIVE' | 'MANAGED') => (c: ConfigInput): ConfigInput => ({
  ...c,
  organizations: [...c.organizations!, { id: 'broken-org', roles: ['member'] }, { id: 'ops', roles: ['member'] }],
  provisioning: {
    ...c.provisioning!,
    syncMode: mode,
    rules: {
      organizations: {
        ...c.provisioning!.rules!.organizations,
        // Throws at run time for this org only (to_number of a non-numeric string inside abs).
        'broken-org': { organization: "abs(to_number('x')) == `1`", roles: { fixed: ['member'] } },
        ops: { organization: "contains(groups, 'ops')", roles: { fixed: ['member'] } },
      },
    },
  },
});

const STEPS: string[][] = [
  ['chainloop_acme-corp_org-admin', 'chainloop_acme-corp_developers', 'home-lab', 'ops'],
  ['chainloop_acme-corp_developers', 'home-lab'],
  ['home-lab'],
];

describe.each(DB_KINDS)('sync modes on %s', (db) => {
  const harnesses: Record<string, Harness> = {};
  beforeAll(async () => {
    for (const mode of ['ADDITIVE', 'MANAGED'] as const) {
      harnesses[mode] = await startHarness({
        db,
        users: [
          { username: 'sam', email: 'sam@example.com', groups: STEPS[0]! },
          { username: 'az', email: 'az@example.com', groups: [], extraClaims: { _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.example/x' } } } },
        ],
        config: withMode(mode),
      });
    }
  });
  afterAll(async () => {
    for (const h of Object.values(harnesses)) await h.close();
  });

  async function run(mode: 'ADDITIVE' | 'MANAGED') {
    const h = harnesses[mode]!;
    const seen: { organization: string; roles: string[]; groups: string[] }[][] = [];
    let userId = '';
    for (const [i, groups] of STEPS.entries()) {
      h.oidc.setUserGroups('sam', groups);
      const a = new Agent();
      expect((await h.loginOidc(a, 'sam')).status).toBe(302);
      const me = (await h.me(a)).json<{ user: { id: string }; memberships: { organization: string; roles: string[]; groups: string[] }[] }>();
      userId = me.user.id;
      if (i === 0) {
        // An admin override, added after the first login: MANAGED must keep it.
        await h.gateway.store.addMemberships(userId, [{ organization: 'acme-corp', kind: 'group', name: 'compliance-team', source: 'override', mapper: null }]);
        seen.push((await h.me(a)).json<typeof me>().memberships);
      } else seen.push(me.memberships);
    }
    return { seen, userId, h };
  }

  it('ADDITIVE adds what the claims give and keeps everything else', async () => {
    const { seen } = await run('ADDITIVE');
    const all = [
      { organization: 'acme-corp', roles: ['admin'], groups: ['compliance-team', 'developers'] },
      { organization: 'home-lab', roles: ['Member'], groups: [] },
      { organization: 'ops', roles: ['member'], groups: [] },
    ];
    expect(seen).toEqual([all, all, all]);
  });

  it('MANAGED makes SSO memberships equal to the claims, keeping overrides', async () => {
    const { seen, userId, h } = await run('MANAGED');
    expect(seen[0]).toEqual([
      { organization: 'acme-corp', roles: ['admin'], groups: ['compliance-team', 'developers'] },
      { organization: 'home-lab', roles: ['Member'], groups: [] },
      { organization: 'ops', roles: ['member'], groups: [] },
    ]);
    expect(seen[1]).toEqual([
      { organization: 'acme-corp', roles: ['viewer'], groups: ['compliance-team', 'developers'] },
      { organization: 'home-lab', roles: ['Member'], groups: [] },
    ]);
    // acme-corp is left with only the override group: no role, so only the override row remains.
    expect(seen[2]).toEqual([
      { organization: 'acme-corp', roles: [], groups: ['compliance-team'] },
      { organization: 'home-lab', roles: ['Member'], groups: [] },
    ]);
    const sources = (await h.gateway.store.listMemberships(userId)).map((m) => `${m.organization}:${m.name}:${m.source}`);
    expect(sources).toContain('acme-corp:compliance-team:override');
  });

  it('a rule that throws for one organization does not fail the login; the audit row shows the error', async () => {
    const h = harnesses.ADDITIVE!;
    const a = new Agent();
    h.oidc.setUserGroups('sam', ['home-lab']);
    expect((await h.loginOidc(a, 'sam')).status).toBe(302);
    const audit = await h.gateway.knex('gh_audit').where({ action: 'login', subject: 'sam' }).orderBy('id', 'desc').first();
    const details = JSON.parse(audit.details) as { mappingErrors?: { organization: string; message: string }[] };
    expect(details.mappingErrors).toEqual([expect.objectContaining({ organization: 'broken-org' })]);
    expect((await h.me(a)).json<{ memberships: { organization: string }[] }>().memberships.map((m) => m.organization)).toContain('home-lab');
  });

  it('Azure group overage: MANAGED removes nothing and the audit records that groups were unavailable', async () => {
    const h = harnesses.MANAGED!;
    const ctx = h.gateway.gatehouse.context;
    // First login with groups resolved through the library hook.
    ctx.resolveGroups = async () => ['chainloop_acme-corp_developers', 'home-lab'];
    const a = new Agent();
    expect((await h.loginOidc(a, 'az')).status).toBe(302);
    const first = (await h.me(a)).json<{ memberships: unknown[] }>().memberships;
    expect(first).toEqual([
      { organization: 'acme-corp', roles: ['viewer'], groups: ['developers'] },
      { organization: 'home-lab', roles: ['Member'], groups: [] },
    ]);
    // Next login: the hook cannot get them; overage is not "no groups".
    ctx.resolveGroups = async () => null;
    const b = new Agent();
    expect((await h.loginOidc(b, 'az')).status).toBe(302);
    expect((await h.me(b)).json<{ memberships: unknown[] }>().memberships).toEqual(first);
    const audit = await h.gateway.knex('gh_audit').where({ action: 'login', subject: 'az' }).orderBy('id', 'desc').first();
    expect(JSON.parse(audit.details)).toMatchObject({ groupsUnavailable: true, removed: [] });
    ctx.resolveGroups = undefined;
  });
});
