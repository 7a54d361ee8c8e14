/**
 * The scenarios Okta runs against a SCIM 2.0 server, named after the tests of Okta's "SCIM 2.0
 * Spec Test" and "CRUD Test" suites, plus its Group Push flow: filter before create, create,
 * update, deactivate, reactivate, push a group, add and remove members. Okta's PATCH shape: no
 * path, a value object.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../support/db.ts';
import { ERROR_SCHEMA, GROUP_SCHEMA, LIST_RESPONSE, oktaUser, patchOps, startScimServer, type ScimServer } from './helpers.ts';

type Json = Record<string, any>;

describe.each(DB_KINDS)('Okta SCIM 2.0 conformance on %s', (kind) => {
  let s: ScimServer;
  const userName = `okta.user.${randomBytes(3).toString('hex')}@example.com`;
  let userId = '';
  let groupId = '';
  let otherId = '';

  beforeAll(async () => {
    s = await startScimServer(kind);
    // The spec test starts from a server that already has a user.
    const seed = await s.scim.post('/Users', oktaUser('seed.user@example.com'));
    expect(seed.status).toBe(201);
    otherId = seed.body.id as string;
  });
  afterAll(() => s.close());

  it('Required Test: Test Users endpoint', async () => {
    const res = await s.scim.get<Json>('/Users?count=1&startIndex=1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(res.body.schemas).toContain(LIST_RESPONSE);
    expect(res.body).toMatchObject({ itemsPerPage: 1, startIndex: 1, totalResults: expect.any(Number) });
    const first = res.body.Resources[0];
    expect(first.id).toBeTruthy();
    expect(first.name.familyName).toBeTruthy();
    expect(first.name.givenName).toBeTruthy();
    expect(first.userName).toBeTruthy();
    expect(first.active).toBe(true);
    expect(first.emails[0].value).toBeTruthy();
  });

  it('Required Test: Get Users/{{id}}', async () => {
    const res = await s.scim.get<Json>(`/Users/${otherId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: otherId, userName: 'seed.user@example.com', active: true, name: { familyName: 'Tester' } });
    expect(res.body.emails[0].value).toBe('seed.user@example.com');
    expect(res.body).not.toHaveProperty('password');
  });

  it('Required Test: Test invalid User by username', async () => {
    const res = await s.scim.get<Json>(`/Users?filter=${encodeURIComponent('userName eq "invalid-random-user@example.com"')}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('Required Test: Test invalid User by ID', async () => {
    const res = await s.scim.get<Json>('/Users/010101010101010');
    expect(res.status).toBe(404);
    expect(res.body.schemas).toContain(ERROR_SCHEMA);
    expect(res.body.status).toBe('404');
  });

  it("Required Test: Make sure random user doesn't exist (filter before create)", async () => {
    const res = await s.scim.get<Json>(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`);
    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(0);
  });

  it('Required Test: Create Okta user with realistic values', async () => {
    const res = await s.scim.post<Json>('/Users', oktaUser(userName));
    expect(res.status).toBe(201);
    userId = res.body.id;
    expect(res.headers.get('location')).toBe(`${s.base}/Users/${userId}`);
    expect(res.headers.get('etag')).toBe('W/"1"');
    expect(res.body).toMatchObject({ userName, active: true, meta: { resourceType: 'User', version: 'W/"1"', location: `${s.base}/Users/${userId}` } });
    expect(Date.parse(res.body.meta.created)).toBeGreaterThan(0);
    expect(res.body.meta.lastModified).toBe(res.body.meta.created);
    expect(res.body).not.toHaveProperty('password');
    expect(res.body).not.toHaveProperty('groups');
  });

  it('Required Test: Verify that user was created', async () => {
    const res = await s.scim.get<Json>(`/Users/${userId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: userId, userName, name: { givenName: expect.any(String), familyName: 'Tester' } });
    const user = await s.gateway.store.getUser(userId);
    // Created by SCIM with no group that maps to a role yet: waiting.
    expect(user?.status).toBe('pending_approval');
    expect(user?.email).toBe(userName);
  });

  it('Required Test: Expect failure when recreating user with same values', async () => {
    const res = await s.scim.post<Json>('/Users', oktaUser(userName));
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '409', scimType: 'uniqueness' });
  });

  it('Required Test: Username Case Sensitivity Check', async () => {
    const res = await s.scim.get<Json>(`/Users?filter=${encodeURIComponent(`userName eq "${userName.toUpperCase()}"`)}`);
    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(1);
    expect(res.body.Resources[0].id).toBe(userId);
  });

  it('Optional Test: Verify Groups endpoint', async () => {
    const res = await s.scim.get<Json>('/Groups?count=1&startIndex=1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ schemas: [LIST_RESPONSE], totalResults: 0, startIndex: 1, Resources: [] });
  });

  it('CRUD Test: updates the user firstName (PUT) and the change shows on the server', async () => {
    const current = (await s.scim.get<Json>(`/Users/${userId}`)).body;
    const res = await s.scim.put<Json>(`/Users/${userId}`, { ...current, name: { ...current.name, givenName: 'Updated' } });
    expect(res.status).toBe(200);
    expect(res.body.name.givenName).toBe('Updated');
    expect(res.body.meta.version).toBe('W/"2"');
    expect(res.body.meta.created).toBe(current.meta.created);
    expect((await s.scim.get<Json>(`/Users/${userId}`)).body.name.givenName).toBe('Updated');
  });

  it('CRUD Test: deactivates the user (PATCH active=false): deprovisioned, sessions ended, row kept', async () => {
    await s.gateway.knex('gh_sessions').insert({ sid: `s-${userId}`, sess: '{}', user_id: userId, expires_at: Date.now() + 60_000 });
    const res = await s.scim.patch<Json>(`/Users/${userId}`, patchOps({ op: 'replace', value: { active: false } }));
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);
    expect((await s.gateway.store.getUser(userId))?.status).toBe('deprovisioned');
    expect(await s.gateway.knex('gh_sessions').where({ user_id: userId })).toHaveLength(0);
    const filtered = await s.scim.get<Json>(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    expect(filtered.body.Resources[0].active).toBe(false);
    const audit = await s.gateway.store.listAudit({ action: 'scim.user.patch', user: userId });
    expect(audit.entries[0]).toMatchObject({ actor: `scim:${s.tokenName}`, outcome: 'deprovisioned', details: { statusChange: { from: 'pending_approval', to: 'deprovisioned' }, sessionsEnded: 1 } });
  });

  it('CRUD Test: reactivates the user (PATCH active=true)', async () => {
    const res = await s.scim.patch<Json>(`/Users/${userId}`, patchOps({ op: 'replace', value: { active: true } }));
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(true);
    // No role can be derived yet: back to the waiting room, not to active.
    expect((await s.gateway.store.getUser(userId))?.status).toBe('pending_approval');
  });

  it('Group Push: creates the group with its members', async () => {
    const pre = await s.scim.get<Json>(`/Groups?filter=${encodeURIComponent('displayName eq "Okta Engineers"')}`);
    expect(pre.body.totalResults).toBe(0);
    const res = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Okta Engineers', members: [{ value: userId, display: userName }] });
    expect(res.status).toBe(201);
    groupId = res.body.id;
    expect(res.body).toMatchObject({ displayName: 'Okta Engineers', members: [{ value: userId, type: 'User', $ref: `${s.base}/Users/${userId}` }] });
    expect(res.headers.get('location')).toBe(`${s.base}/Groups/${groupId}`);
    const user = await s.scim.get<Json>(`/Users/${userId}`);
    expect(user.body.groups).toEqual([{ value: groupId, display: 'Okta Engineers', $ref: `${s.base}/Groups/${groupId}`, type: 'direct' }]);
  });

  it('Group Push: adds a member (PATCH add members)', async () => {
    const res = await s.scim.patch(`/Groups/${groupId}`, patchOps({ op: 'add', path: 'members', value: [{ value: otherId, display: 'seed.user@example.com' }] }));
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('W/"2"');
    const group = await s.scim.get<Json>(`/Groups/${groupId}`);
    expect(group.body.members.map((m: Json) => m.value).sort()).toEqual([userId, otherId].sort());
  });

  it('Group Push: removes a member (PATCH remove members[value eq "id"])', async () => {
    const res = await s.scim.patch(`/Groups/${groupId}`, patchOps({ op: 'remove', path: `members[value eq "${otherId}"]` }));
    expect(res.status).toBe(200);
    const group = await s.scim.get<Json>(`/Groups/${groupId}`);
    expect(group.body.members.map((m: Json) => m.value)).toEqual([userId]);
  });

  it('Group Push: renames the group (PATCH replace value {id, displayName})', async () => {
    const res = await s.scim.patch(`/Groups/${groupId}`, patchOps({ op: 'replace', value: { id: groupId, displayName: 'Okta Engineering' } }));
    expect(res.status).toBe(200);
    expect((await s.scim.get<Json>(`/Groups/${groupId}`)).body.displayName).toBe('Okta Engineering');
    expect((await s.scim.get<Json>(`/Users/${userId}`)).body.groups[0].display).toBe('Okta Engineering');
  });

  it('Group Push: replaces the whole group (PUT) and deletes it', async () => {
    const put = await s.scim.put<Json>(`/Groups/${groupId}`, { schemas: [GROUP_SCHEMA], displayName: 'Okta Engineering', members: [{ value: otherId }] });
    expect(put.status).toBe(200);
    expect(put.body.members.map((m: Json) => m.value)).toEqual([otherId]);
    expect((await s.scim.delete(`/Groups/${groupId}`)).status).toBe(204);
    expect((await s.scim.get(`/Groups/${groupId}`)).status).toBe(404);
    expect((await s.scim.get<Json>(`/Users/${otherId}`)).body).not.toHaveProperty('groups');
  });

  it('CRUD Test: unassigning the app deactivates, and a hard DELETE removes the row but keeps the audit', async () => {
    expect((await s.scim.delete(`/Users/${userId}`)).status).toBe(204);
    expect((await s.scim.get(`/Users/${userId}`)).status).toBe(404);
    expect(await s.gateway.store.getUser(userId)).toBeNull();
    const audit = await s.gateway.store.listAudit({ user: userId });
    expect(audit.entries.map((e) => e.action)).toEqual(expect.arrayContaining(['scim.user.delete', 'scim.user.create', 'scim.user.patch']));
  });
});
