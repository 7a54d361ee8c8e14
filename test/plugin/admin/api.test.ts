/**
 * The admin API routes of contract section 6, through real HTTP with an admin token, on both
 * databases: users, waiting room, overrides, organizations, allowlist, policy, SCIM tokens,
 * webhooks and deliveries, audit, explain; validation errors name the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { mintToken } from '../../../plugin/tokens.ts';
import { DB_KINDS } from '../../support/db.ts';
import type { AgentResponse } from '../../support/agent.ts';
import { Agent, eventually, startReceiver, startTestGateway, webhookSecret, type TestGateway } from '../webhooks/support.ts';

describe.each(DB_KINDS)('admin API on %s', (kind) => {
  let t: TestGateway;
  let token: string;
  const client = new Agent();
  const call = (method: string, path: string, json?: unknown): Promise<AgentResponse> =>
    client.request(`${t.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${token}` }, ...(json === undefined ? {} : { json }) });
  const person = (name: string, groups: string[] = []) => t.users.set(name, { sub: name, email: `${name}@example.com`, email_verified: true, groups });
  const me = async (agent: Agent) => (await agent.get(`${t.url}/auth/me`, { accept: 'application/json' })).json<{ user: { status: string }; memberships: unknown[] }>();

  beforeAll(async () => {
    const cfgSecret = webhookSecret();
    t = await startTestGateway(kind, (c) => ({
      ...c,
      organizations: [{ id: 'acme-corp', groups: ['developers', 'compliance-team'] }],
      webhooks: [{ id: 'from-config', url: 'https://hooks.example.com/x', secret: cfgSecret, trigger: 'none' }],
    }));
    token = (await mintToken(t.gw.store, { kind: 'admin', name: 'api-test', actor: 'test' })).token;
  });
  afterAll(() => t.close());

  it('lists, filters and pages users', async () => {
    for (const n of ['ann', 'ben', 'cid']) {
      person(n);
      await t.login(new Agent(), n);
    }
    const all = await call('GET', '/users?limit=2');
    expect(all.status).toBe(200);
    const page1 = all.json<{ users: { email: string }[]; nextCursor: string }>();
    expect(page1.users).toHaveLength(2);
    const page2 = (await call('GET', `/users?limit=2&cursor=${page1.nextCursor}`)).json<{ users: { email: string }[] }>();
    expect(page2.users.length).toBeGreaterThanOrEqual(1);
    expect(page1.users.map((u) => u.email)).not.toContain(page2.users[0]?.email);
    const q = (await call('GET', '/users?q=BEN')).json<{ users: { email: string }[] }>();
    expect(q.users.map((u) => u.email)).toEqual(['ben@example.com']);
    const byProvider = (await call('GET', '/users?provider=corp-oidc&status=active&limit=500')).json<{ users: unknown[] }>();
    expect(byProvider.users.length).toBeGreaterThanOrEqual(3);
    expect((await call('GET', '/users?provider=nobody')).json<{ users: unknown[] }>().users).toEqual([]);
    const bad = await call('GET', '/users?status=sleeping');
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'ERR_VALIDATION', field: 'status' });
  });

  it('pre-provisions a user by hand, who then gets in under a reject policy', async () => {
    const res = await call('POST', '/users', { email: 'Pre@Example.com', organization: 'acme-corp', roles: ['member'], groups: ['developers'] });
    expect(res.status).toBe(201);
    const detail = res.json<{ user: { id: string; email: string; status: string }; overrides: { kind: string; name: string; source: string }[] }>();
    expect(detail.user).toMatchObject({ email: 'pre@example.com', status: 'active' });
    expect(detail.overrides.map((m) => `${m.kind}:${m.name}:${m.source}`).sort()).toEqual(['group:developers:override', 'role:member:override']);
    expect((await call('POST', '/users', { email: 'pre@example.com' })).status).toBe(409);
    const badRole = await call('POST', '/users', { email: 'x@example.com', organization: 'acme-corp', roles: ['boss'] });
    expect(badRole.status).toBe(400);
    expect(badRole.json()).toMatchObject({ field: 'roles', message: expect.stringMatching(/no role "boss"/) });
    const badEmail = await call('POST', '/users', { email: 'not-an-email' });
    expect(badEmail.json()).toMatchObject({ error: 'ERR_VALIDATION', field: 'email' });
    expect((await call('POST', '/users', { email: 'y@example.com', extra: 1 })).json()).toMatchObject({ field: 'body', message: expect.stringMatching(/extra/) });

    expect((await call('PUT', '/providers/corp-oidc/policy', { firstLoginPolicy: 'reject' })).status).toBe(200);
    try {
      t.users.set('pre', { sub: 'pre-sub', email: 'pre@example.com', email_verified: true });
      const agent = new Agent();
      await t.login(agent, 'pre');
      expect((await me(agent)).memberships).toEqual([{ organization: 'acme-corp', roles: ['member'], groups: ['developers'] }]);
      const d = (await call('GET', `/users/${detail.user.id}`)).json<{ identities: { provider: string; subject: string }[] }>();
      expect(d.identities).toMatchObject([{ provider: 'corp-oidc', subject: 'pre-sub' }]);
    } finally {
      await call('PUT', '/providers/corp-oidc/policy', { firstLoginPolicy: 'allow' });
    }
  });

  it('approves and rejects users in the waiting room', async () => {
    await call('PUT', '/providers/corp-oidc/policy', { firstLoginPolicy: 'pending_approval' });
    const providers = (await call('GET', '/providers')).json<{ providers: { id: string; firstLoginPolicy: string; configuredFirstLoginPolicy: string }[] }>();
    expect(providers.providers).toEqual([expect.objectContaining({ id: 'corp-oidc', firstLoginPolicy: 'pending_approval', configuredFirstLoginPolicy: 'allow' })]);
    person('wait1', ['chainloop_acme-corp_developers']);
    person('wait2');
    const a1 = new Agent();
    const a2 = new Agent();
    await t.login(a1, 'wait1');
    await t.login(a2, 'wait2');
    await call('PUT', '/providers/corp-oidc/policy', { firstLoginPolicy: 'allow' });
    const pending = (await call('GET', '/users?status=pending_approval')).json<{ users: { id: string; email: string }[] }>().users;
    expect(pending.map((u) => u.email).sort()).toEqual(['wait1@example.com', 'wait2@example.com']);
    const [u1, u2] = [pending.find((u) => u.email === 'wait1@example.com')!, pending.find((u) => u.email === 'wait2@example.com')!];
    const approved = await call('POST', `/users/${u1.id}/approve`);
    expect(approved.json()).toMatchObject({ user: { status: 'active' }, effective: [{ organization: 'acme-corp', groups: ['developers'] }] });
    expect((await me(a1)).user.status).toBe('active');
    expect((await call('POST', `/users/${u2.id}/reject`)).json()).toMatchObject({ user: { status: 'rejected' } });
    expect((await a2.get(`${t.url}/auth/me`, { accept: 'application/json' })).status).toBe(401);
    expect((await call('POST', '/users/no-such-user/approve')).status).toBe(404);
    const badPolicy = await call('PUT', '/providers/corp-oidc/policy', { firstLoginPolicy: 'maybe' });
    expect(badPolicy.json()).toMatchObject({ field: 'firstLoginPolicy' });
    expect((await call('PUT', '/providers/nope/policy', { firstLoginPolicy: 'allow' })).status).toBe(404);
  });

  it('adds and removes overrides; the role or group must exist in the organization', async () => {
    person('ovr');
    const agent = new Agent();
    await t.login(agent, 'ovr');
    const user = (await call('GET', '/users?q=ovr@')).json<{ users: { id: string }[] }>().users[0]!;
    const added = await call('POST', `/users/${user.id}/overrides`, { organization: 'acme-corp', role: 'viewer', group: 'compliance-team' });
    expect(added.status).toBe(201);
    const rows = added.json<{ overrides: { id: string; kind: string; name: string; source: string }[] }>().overrides;
    expect(rows.map((r) => `${r.kind}:${r.name}:${r.source}`).sort()).toEqual(['group:compliance-team:override', 'role:viewer:override']);
    expect((await me(agent)).memberships).toEqual([{ organization: 'acme-corp', roles: ['viewer'], groups: ['compliance-team'] }]);

    const unknownGroup = await call('POST', `/users/${user.id}/overrides`, { organization: 'acme-corp', group: 'nope' });
    expect(unknownGroup.status).toBe(400);
    expect(unknownGroup.json()).toMatchObject({ field: 'group' });
    expect((await call('POST', `/users/${user.id}/overrides`, { organization: 'nowhere', group: 'x' })).json()).toMatchObject({ field: 'organization' });
    expect((await call('POST', `/users/${user.id}/overrides`, { organization: 'acme-corp' })).json()).toMatchObject({ field: 'role' });

    const group = rows.find((r) => r.kind === 'group')!;
    expect((await call('DELETE', `/users/${user.id}/overrides/${group.id}`)).status).toBe(204);
    expect((await call('DELETE', `/users/${user.id}/overrides/${group.id}`)).status).toBe(404);
    const detail = (await call('GET', `/users/${user.id}`)).json<{ overrides: { name: string }[] }>();
    expect(detail.overrides.map((o) => o.name)).toEqual(['viewer']);
    const audit = (await call('GET', `/audit?user=${user.id}&actor=admin-token:api-test`)).json<{ entries: { action: string }[] }>();
    expect(audit.entries.map((e) => e.action)).toEqual(['override.remove', 'override.add']);
  });

  it('creates organizations, roles and groups, and the mapping sees them at once', async () => {
    const org = await call('POST', '/organizations', { id: 'new-org', groups: ['ops'] });
    expect(org.status).toBe(201);
    expect(org.json()).toMatchObject({ id: 'new-org', roles: expect.arrayContaining(['viewer']), groups: ['ops'] });
    expect((await call('POST', '/organizations', { id: 'new-org' })).status).toBe(409);
    expect((await call('POST', '/organizations/new-org/roles', { name: 'auditor' })).json()).toMatchObject({ roles: expect.arrayContaining(['auditor']) });
    expect((await call('POST', '/organizations/new-org/groups', { name: 'sre' })).json()).toMatchObject({ groups: expect.arrayContaining(['ops', 'sre']) });
    expect((await call('POST', '/organizations/none/groups', { name: 'sre' })).status).toBe(404);
    expect((await call('GET', '/organizations')).json<{ organizations: { id: string }[] }>().organizations.map((o) => o.id)).toEqual(['acme-corp', 'new-org']);
    // groupsPattern maps into the new organization without a restart.
    person('newbie', ['chainloop_new-org_sre']);
    const agent = new Agent();
    await t.login(agent, 'newbie');
    expect((await me(agent)).memberships).toEqual([{ organization: 'new-org', roles: ['viewer'], groups: ['sre'] }]);
  });

  it('manages allowlist overrides', async () => {
    const added = await call('POST', '/allowlist', { entry: '@Partner.example' });
    expect(added.status).toBe(201);
    const { id } = added.json<{ id: string }>();
    expect((await call('GET', '/allowlist')).json()).toMatchObject({ enabled: false, entries: [{ id, entry: '@partner.example' }] });
    expect((await call('POST', '/allowlist', { entry: 'nonsense' })).json()).toMatchObject({ field: 'entry' });
    expect((await call('DELETE', `/allowlist/${id}`)).status).toBe(204);
    expect((await call('DELETE', `/allowlist/${id}`)).status).toBe(404);
  });

  it('mints SCIM tokens (shown once), lists them without the secret, and revokes them', async () => {
    const minted = await call('POST', '/scim-tokens', { name: 'okta', provider: 'corp-oidc' });
    expect(minted.status).toBe(201);
    const { id, token: scim } = minted.json<{ id: string; token: string }>();
    expect(scim).toMatch(/^gatehouse_scim_/);
    const list = await call('GET', '/scim-tokens');
    expect(list.text).not.toContain(scim);
    expect(list.json()).toMatchObject({ tokens: [{ id, name: 'okta', provider: 'corp-oidc', revokedAt: null }] });
    expect((await call('POST', '/scim-tokens', { name: 'x', provider: 'nope' })).json()).toMatchObject({ field: 'provider' });
    expect((await call('DELETE', `/scim-tokens/${id}`)).status).toBe(204);
    expect((await call('DELETE', `/scim-tokens/${id}`)).status).toBe(404);
    expect((await call('GET', '/scim-tokens')).json()).toMatchObject({ tokens: [{ id, revokedAt: expect.any(String) }] });
  });

  it('manages webhook endpoints: create (secret once), example payload, deliveries, redeliver', async () => {
    const secret = webhookSecret();
    const receiver = await startReceiver({ secrets: [secret] });
    try {
      const created = await call('POST', '/webhooks', {
        url: receiver.url,
        secret,
        trigger: 'login_without_groups',
        fields: ['first_name', 'last_name'],
        payload: { key1: 'value1' },
        allowPrivateNetwork: true,
      });
      expect(created.status).toBe(201);
      const ep = created.json<{ id: string; secret: string; secretHint: string }>();
      expect(ep.secret).toBe(secret);
      const list = await call('GET', '/webhooks');
      expect(list.text).not.toContain(secret);
      expect(list.json<{ webhooks: { id: string; source: string }[] }>().webhooks.map((w) => [w.id, w.source])).toEqual([
        ['from-config', 'config'],
        [ep.id, 'api'],
      ]);

      const example = (await call('GET', `/webhooks/${ep.id}/example`)).json<{ body: unknown; raw: string; headers: Record<string, string> }>();
      expect(example.body).toEqual({
        type: 'login_without_groups',
        timestamp: expect.any(String),
        data: {
          user: { id: expect.any(String), email: 'jane.doe@example.com', username: 'jane.doe@example.com', first_name: 'Jane', last_name: 'Doe' },
          provider: 'corp-oidc',
          groups: [],
          custom_payload: { key1: 'value1' },
        },
      });
      // The example headers are really signed with the endpoint's secret.
      expect(new Webhook(secret).verify(example.raw, example.headers)).toEqual(example.body);

      t.users.set('hooked', { sub: 'hooked', email: 'hooked@example.com', email_verified: true, given_name: 'Hook', family_name: 'Ed' });
      await t.login(new Agent(), 'hooked');
      const [got] = await receiver.waitFor(1);
      expect(got?.verified).toMatchObject({ type: 'login_without_groups', data: { user: { email: 'hooked@example.com', first_name: 'Hook', last_name: 'Ed' }, custom_payload: { key1: 'value1' } } });
      const deliveries = await eventually(async () => {
        const d = (await call('GET', `/webhooks/${ep.id}/deliveries`)).json<{ deliveries: { id: string; status: string }[] }>().deliveries;
        return d[0]?.status === 'delivered' ? d : null;
      });
      expect(deliveries[0]?.id).toBe(got?.id);
      const detail = (await call('GET', `/webhooks/${ep.id}/deliveries/${got!.id}`)).json<{ attemptLog: { statusCode: number; outcome: string }[]; body: unknown }>();
      expect(detail.attemptLog).toMatchObject([{ statusCode: 200, outcome: 'delivered' }]);
      expect(detail.body).toEqual(got?.verified);

      const re = await call('POST', `/webhooks/${ep.id}/deliveries/${got!.id}/redeliver`);
      expect(re.status).toBe(202);
      const [, again] = await receiver.waitFor(2);
      expect(again?.id).toBe(got?.id);
      expect(again?.verified).toEqual(got?.verified);

      const patched = await call('PATCH', `/webhooks/${ep.id}`, { trigger: 'every_login', enabled: false });
      expect(patched.json()).toMatchObject({ trigger: 'every_login', enabled: false });
      expect((await call('POST', `/webhooks/${ep.id}/deliveries/${got!.id}/redeliver`)).status).toBe(409);
      const rotated = (await call('POST', `/webhooks/${ep.id}/rotate-secret`, {})).json<{ secret: string; previousSecretValidUntil: string }>();
      expect(rotated.secret).toMatch(/^whsec_/);
      expect(rotated.previousSecretValidUntil).toEqual(expect.any(String));

      expect((await call('DELETE', '/webhooks/from-config')).status).toBe(409);
      expect((await call('PATCH', '/webhooks/from-config', { url: 'https://elsewhere.example.com' })).status).toBe(409);
      expect((await call('POST', '/webhooks', { url: 'ftp://x.example.com', trigger: 'none' })).json()).toMatchObject({ field: 'url' });
      expect((await call('POST', '/webhooks', { url: 'https://x.example.com', trigger: 'sometimes' })).json()).toMatchObject({ field: 'trigger' });
      expect((await call('POST', '/webhooks', { url: 'https://x.example.com', trigger: 'none', secret: 'hunter2' })).json()).toMatchObject({ field: 'secret' });
      expect((await call('POST', '/webhooks', { url: 'https://x.example.com', trigger: 'none', fields: ['ssn'] })).json()).toMatchObject({ field: 'fields[0]' });
      expect((await call('DELETE', `/webhooks/${ep.id}`)).status).toBe(204);
      expect((await call('GET', `/webhooks/${ep.id}`)).status).toBe(404);
    } finally {
      await receiver.close();
    }
  });

  it('reads the audit log by action, actor and time range, paged', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const page1 = (await call('GET', `/audit?action=login&since=${encodeURIComponent(since)}&limit=2`)).json<{ entries: { action: string; at: string }[]; nextCursor: string }>();
    expect(page1.entries).toHaveLength(2);
    expect(page1.entries.every((e) => e.action === 'login')).toBe(true);
    const page2 = (await call('GET', `/audit?action=login&limit=2&cursor=${page1.nextCursor}`)).json<{ entries: { at: string }[] }>();
    expect(page2.entries.length).toBeGreaterThan(0);
    expect((await call('GET', `/audit?until=${Date.now() - 3_600_000}`)).json()).toMatchObject({ entries: [] });
    expect((await call('GET', '/audit?actor=admin-token:api-test&action=webhook.create')).json<{ entries: unknown[] }>().entries).toHaveLength(1);
    expect((await call('GET', '/audit?since=yesterday')).json()).toMatchObject({ field: 'since' });
  });

  it('explains a login without writing anything', async () => {
    const res = await call('POST', '/explain', { provider: 'corp-oidc', claims: { sub: 'ghost', email: 'ghost@example.com', groups: ['chainloop_acme-corp_developers'] } });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ provider: 'corp-oidc', user: null, diff: { add: expect.arrayContaining(['acme-corp:group:developers (sso)']) } });
    expect(await t.gw.store.findUserByEmail('ghost@example.com')).toBeNull();
    expect((await call('POST', '/explain', { provider: 'nope', claims: {} })).status).toBe(404);
    expect((await call('POST', '/explain', { provider: 'corp-oidc', claims: [] })).json()).toMatchObject({ field: 'claims' });
    const broken = await client.request(`${t.url}/admin/api/explain`, { method: 'POST', body: '{"provider":', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(broken.json()).toMatchObject({ field: 'body' });
  });
});
