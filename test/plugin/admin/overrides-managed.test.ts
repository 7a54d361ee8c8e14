/**
 * Overrides survive MANAGED sync: SSO memberships follow the claims, admin overrides stay, and
 * an override alone is an entitlement (the login is not blocked for lack of groups).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../plugin/tokens.ts';
import { DB_KINDS } from '../../support/db.ts';
import { Agent, startTestGateway, type TestGateway } from '../webhooks/support.ts';

describe.each(DB_KINDS)('overrides under MANAGED sync on %s', (kind) => {
  let t: TestGateway;
  let token: string;
  const me = async (a: Agent) => (await a.get(`${t.url}/auth/me`, { accept: 'application/json' })).json<{ memberships: unknown[] }>();
  beforeAll(async () => {
    t = await startTestGateway(kind, (c) => ({ ...c, provisioning: { ...c.provisioning, syncMode: 'MANAGED' } }));
    token = (await mintToken(t.gw.store, { kind: 'admin', name: 'ops', actor: 'test' })).token;
  });
  afterAll(() => t.close());

  it('keeps the override while SSO memberships follow the claims', async () => {
    t.users.set('mia', { sub: 'mia', email: 'mia@example.com', email_verified: true, groups: ['chainloop_acme-corp_developers'] });
    const agent = new Agent();
    await t.login(agent, 'mia');
    expect((await me(agent)).memberships).toEqual([{ organization: 'acme-corp', roles: ['viewer'], groups: ['developers'] }]);

    const user = await t.gw.store.findUserByEmail('mia@example.com');
    const res = await new Agent().request(`${t.url}/admin/api/users/${user!.id}/overrides`, {
      headers: { authorization: `Bearer ${token}` },
      json: { organization: 'acme-corp', group: 'compliance-team' },
    });
    expect(res.status).toBe(201);

    // The IdP stops sending groups: SSO rows go, the override stays, the login is not blocked.
    t.users.set('mia', { sub: 'mia', email: 'mia@example.com', email_verified: true, groups: [] });
    await t.login(agent, 'mia');
    expect((await me(agent)).memberships).toEqual([{ organization: 'acme-corp', roles: [], groups: ['compliance-team'] }]);
    const rows = await t.gw.store.listMemberships(user!.id);
    expect(rows.map((m) => `${m.kind}:${m.name}:${m.source}`)).toEqual(['group:compliance-team:override']);
  });

  it('blocks a MANAGED login without groups and without overrides', async () => {
    t.users.set('nia', { sub: 'nia', email: 'nia@example.com', email_verified: true, groups: [] });
    const res = await new Agent().get(`${t.url}/auth/corp-oidc/callback?as=nia`, { accept: 'application/json' });
    expect(res.status).toBe(403);
  });
});
