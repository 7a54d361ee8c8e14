/**
 * SCIM group pushes feed the same mapping rules as SSO: a user's SCIM groups are its `groups`
 * claim, memberships are written with source `scim`, a pending user is promoted once a mapping
 * yields an entitlement, and only SCIM removes what SCIM granted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../support/db.ts';
import type { Membership } from '../../../plugin/types.ts';
import { GROUP_SCHEMA, inertIdp, oktaUser, patchOps, scimClient, startScimServer, type ScimServer } from './helpers.ts';

type Json = Record<string, any>;
const rows = (ms: Membership[]) => ms.map((m) => `${m.organization}:${m.kind}:${m.name}:${m.source}`).sort();

describe.each(DB_KINDS)('SCIM group push -> mapping rules on %s', (kind) => {
  let s: ScimServer;

  beforeAll(async () => {
    s = await startScimServer(kind, {
      config: (base) => ({
        ...base,
        provisioning: {
          syncMode: 'ADDITIVE',
          defaultRole: 'viewer',
          groupsPattern: 'chainloop_{ORG_NAME}_{GROUP_NAME}',
          rules: {
            organizations: {
              'home-lab': { organization: "contains(groups, 'home-lab')", roles: { expression: "contains(groups, 'admin') && 'Admin' || 'Member'" } },
            },
          },
        },
      }),
    });
  });
  afterAll(() => s.close());

  it('a group push maps to a role through groupsPattern and promotes the pending user', async () => {
    const user = await s.scim.post<Json>('/Users', oktaUser('pat@example.com'));
    const id = user.body.id as string;
    expect((await s.gateway.store.getUser(id))?.status).toBe('pending_approval');
    expect(await s.gateway.store.listMemberships(id)).toEqual([]);

    const group = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'chainloop_acme-corp_org-admin' });
    const push = await s.scim.patch(`/Groups/${group.body.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: id }] }));
    expect(push.status).toBe(200);

    expect((await s.gateway.store.getUser(id))?.status).toBe('active');
    expect(rows(await s.gateway.store.listMemberships(id))).toEqual(['acme-corp:role:admin:scim']);
    const audit = await s.gateway.store.listAudit({ action: 'scim.group.patch' });
    expect(audit.entries[0]).toMatchObject({ actor: `scim:${s.tokenName}`, details: { membersAdded: 1, usersPromoted: 1 } });
  });

  it('maps a push of 20 members with their memberships written in one statement, not one per member', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await s.scim.post<Json>('/Users', oktaUser(`batch${i}@example.com`))).body.id as string);
    const group = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'chainloop_acme-corp_compliance-team' });
    const statements: string[] = [];
    const count = (q: { sql: string }) => statements.push(q.sql);
    s.gateway.knex.on('query', count);
    try {
      const push = await s.scim.patch(`/Groups/${group.body.id}`, patchOps({ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }));
      expect(push.status).toBe(200);
    } finally {
      s.gateway.knex.removeListener('query', count);
    }
    for (const id of ids) expect(rows(await s.gateway.store.listMemberships(id))).toEqual(['acme-corp:group:compliance-team:scim', 'acme-corp:role:viewer:scim']);
    expect(statements.filter((q) => /insert (?:ignore )?into \W?gh_memberships/i.test(q))).toHaveLength(1);
    // Token, group, members, users and their groups and memberships, one insert each, version bumps, audit, BEGIN/COMMIT.
    expect(statements.length).toBeLessThanOrEqual(16);
  });

  it('grants exactly what an SSO login with the same groups would (same engine, same rules)', async () => {
    const id = (await s.scim.post<Json>('/Users', oktaUser('rules@example.com'))).body.id as string;
    // ADDITIVE keeps what each push granted, as successive logins would: push home-lab last, when
    // the user already has every other group, so the final state is one login with all of them.
    const names = ['admin', 'chainloop_acme-corp_developers', 'home-lab'];
    for (const displayName of names) await s.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName, members: [{ value: id }] });

    const ctx = s.gateway.gatehouse.context;
    const sso = ctx.runtime.current().engines.global.evaluate({
      claims: { provider: 'x', subject: 's', email: 'rules@example.com', emailOriginal: null, emailVerified: true, name: null, givenName: null, familyName: null, groups: names, groupsOverage: false, raw: {} },
      source: 'scim',
      current: [],
      email: 'rules@example.com',
    });
    const expected = sso.entitlements.flatMap((e) => [...e.roles.map((r) => `${e.organization}:role:${r}:scim`), ...e.groups.map((g) => `${e.organization}:group:${g}:scim`)]).sort();
    expect(expected).toEqual(['acme-corp:group:developers:scim', 'acme-corp:role:viewer:scim', 'home-lab:role:Admin:scim']);
    expect(rows(await s.gateway.store.listMemberships(id))).toEqual(expected);
    expect((await s.gateway.store.getUser(id))?.status).toBe('active');
  });

  it('renaming a group re-maps its members', async () => {
    const id = (await s.scim.post<Json>('/Users', oktaUser('rename@example.com'))).body.id as string;
    const g = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'not-mapped-yet', members: [{ value: id }] });
    expect((await s.gateway.store.getUser(id))?.status).toBe('pending_approval');
    await s.scim.patch(`/Groups/${g.body.id}`, patchOps({ op: 'replace', path: 'displayName', value: 'chainloop_acme-corp_org-viewer' }));
    expect(rows(await s.gateway.store.listMemberships(id))).toEqual(['acme-corp:role:viewer:scim']);
    expect((await s.gateway.store.getUser(id))?.status).toBe('active');
  });

  it('ADDITIVE keeps what a removed group granted; a deprovisioned member is not mapped', async () => {
    const id = (await s.scim.post<Json>('/Users', oktaUser('additive@example.com'))).body.id as string;
    const g = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'chainloop_acme-corp_org-member', members: [{ value: id }] });
    await s.scim.patch(`/Groups/${g.body.id}`, patchOps({ op: 'remove', path: `members[value eq "${id}"]` }));
    expect(rows(await s.gateway.store.listMemberships(id))).toEqual(['acme-corp:role:member:scim']);

    const gone = (await s.scim.post<Json>('/Users', oktaUser('gone@example.com', { active: false }))).body.id as string;
    expect((await s.gateway.store.getUser(gone))?.status).toBe('deprovisioned');
    await s.scim.patch(`/Groups/${g.body.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: gone }] }));
    expect(await s.gateway.store.listMemberships(gone)).toEqual([]);
    expect((await s.gateway.store.getUser(gone))?.status).toBe('deprovisioned');
  });
});

describe.each(DB_KINDS)('SCIM mapping with MANAGED sync, static mappings and provider-scoped tokens on %s', (kind) => {
  let s: ScimServer;

  beforeAll(async () => {
    s = await startScimServer(kind, {
      idps: new Map([['corp-oidc', inertIdp('corp-oidc')]]),
      config: (base) => ({
        ...base,
        providers: [
          {
            id: 'corp-oidc',
            type: 'oidc',
            issuer: 'http://127.0.0.1:9/unused',
            clientId: 'gatehouse',
            provisioning: { syncMode: 'ADDITIVE', static: [{ organization: 'home-lab', role: 'Member' }] },
          },
        ],
        provisioning: { syncMode: 'MANAGED', groupsPattern: 'chainloop_{ORG_NAME}_{GROUP_NAME}' },
      }),
    });
  });
  afterAll(() => s.close());

  it('MANAGED: leaving the group removes the SCIM rows only; SSO rows and admin overrides stay', async () => {
    const id = (await s.scim.post<Json>('/Users', oktaUser('managed@example.com'))).body.id as string;
    const g = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'chainloop_acme-corp_org-admin', members: [{ value: id }] });
    expect((await s.gateway.store.getUser(id))?.status).toBe('active');
    await s.gateway.store.addMemberships(id, [
      { organization: 'acme-corp', kind: 'role', name: 'viewer', source: 'sso', mapper: 'groupsPattern' },
      { organization: 'acme-corp', kind: 'group', name: 'developers', source: 'override', mapper: 'admin' },
    ]);
    await s.scim.patch(`/Groups/${g.body.id}`, patchOps({ op: 'remove', path: 'members', value: [{ value: id }] }));
    expect(rows(await s.gateway.store.listMemberships(id))).toEqual(['acme-corp:group:developers:override', 'acme-corp:role:viewer:sso']);
  });

  it('MANAGED with no entitlement left: SCIM rows still go, the request still succeeds', async () => {
    const id = (await s.scim.post<Json>('/Users', oktaUser('empty@example.com'))).body.id as string;
    const g = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'chainloop_acme-corp_org-viewer', members: [{ value: id }] });
    expect(rows(await s.gateway.store.listMemberships(id))).toEqual(['acme-corp:role:viewer:scim']);
    const res = await s.scim.delete(`/Groups/${g.body.id}`);
    expect(res.status).toBe(204);
    expect(await s.gateway.store.listMemberships(id)).toEqual([]);
  });

  it("a provider-scoped token maps with that provider's rules: entitled at create, so active", async () => {
    const scoped = await s.mint('okta-corp', 'corp-oidc');
    const client = scimClient(s.base, scoped.token);
    const res = await client.post<Json>('/Users', oktaUser('scoped@example.com'));
    expect(res.status).toBe(201);
    expect((await s.gateway.store.getUser(res.body.id))?.status).toBe('active');
    expect(rows(await s.gateway.store.listMemberships(res.body.id))).toEqual(['home-lab:role:Member:static']);
    const audit = await s.gateway.store.listAudit({ action: 'scim.user.create', user: res.body.id });
    expect(audit.entries[0]).toMatchObject({ actor: 'scim:okta-corp', provider: 'corp-oidc', outcome: 'active' });

    const global = await s.scim.post<Json>('/Users', oktaUser('global@example.com'));
    expect((await s.gateway.store.getUser(global.body.id))?.status).toBe('pending_approval');
  });

  it('adopts a user an admin or a first SSO login created (same email) instead of failing', async () => {
    const existing = await s.gateway.store.insertUser({ email: 'adopt@example.com', emailOriginal: 'Adopt@Example.com', status: 'active', givenName: 'Ad' });
    expect((await s.scim.get<Json>(`/Users?filter=${encodeURIComponent('userName eq "adopt@example.com"')}`)).body.totalResults).toBe(0);
    const res = await s.scim.post<Json>('/Users', oktaUser('adopt@example.com'));
    expect(res.status).toBe(201);
    expect(res.body.id).toBe(existing.id);
    expect((await s.gateway.store.getUser(existing.id))?.status).toBe('active');
    expect((await s.scim.post<Json>('/Users', oktaUser('adopt@example.com'))).status).toBe(409);
  });

  it('a provider-scoped token does not adopt a user who signs in through another provider', async () => {
    const other = await s.gateway.store.insertUser({ email: 'other-idp@example.com', emailOriginal: null, status: 'active' });
    await s.gateway.store.ensureIdentity({ userId: other.id, provider: 'some-other-idp', subject: 'x', email: 'other-idp@example.com' });
    const scoped = await s.mint('okta-corp-2', 'corp-oidc');
    const res = await scimClient(s.base, scoped.token).post<Json>('/Users', oktaUser('other-idp@example.com'));
    // Not adopted: a new user, who shares the email (emails are not unique).
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe(other.id);
    expect((await s.gateway.store.getUser(other.id))?.userName).toBeNull();
  });

  it('adopts the SSO-created user whose userName is the POSTed userName; never one of several sharing an email', async () => {
    const sso = await s.gateway.store.insertUser({ email: 'sso@example.com', emailOriginal: null, userName: 'sso@example.com', status: 'active' });
    const res = await s.scim.post<Json>('/Users', oktaUser('sso@example.com', { emails: [{ primary: true, value: 'sso.other@example.com' }] }));
    expect(res.status).toBe(201);
    expect(res.body.id).toBe(sso.id);
    const twinA = await s.gateway.store.insertUser({ email: 'twin-mail@example.com', emailOriginal: null, status: 'active' });
    const twinB = await s.gateway.store.insertUser({ email: 'twin-mail@example.com', emailOriginal: null, status: 'active' });
    const created = await s.scim.post<Json>('/Users', oktaUser('twin-mail-scim@example.com', { emails: [{ primary: true, value: 'twin-mail@example.com' }] }));
    expect(created.status).toBe(201);
    expect([twinA.id, twinB.id]).not.toContain(created.body.id);
  });
});
