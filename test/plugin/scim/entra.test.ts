/**
 * The scenarios of Microsoft Entra ID's SCIM validator (scimvalidator.microsoft.com), named after
 * its tests, in Entra's PATCH dialect: path + primitive value, capitalized ops, "True"/"False",
 * `emails[type eq "work"].value`, a bare manager id, empty Operations; and its group checks
 * (`filter=id eq "..." and members[value eq "..."]` with `excludedAttributes=members`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../support/db.ts';
import { ENTERPRISE, entraUser, GROUP_SCHEMA, patchOps, startScimServer, type ScimServer } from './helpers.ts';

type Json = Record<string, any>;
const q = (filter: string, extra = '') => `?filter=${encodeURIComponent(filter)}${extra}`;

describe.each(DB_KINDS)('Entra ID SCIM validator scenarios on %s', (kind) => {
  let s: ScimServer;
  let userId = '';
  let managerId = '';
  let groupId = '';
  const userName = 'Dale.Mohr@Romaguera.example';

  beforeAll(async () => {
    s = await startScimServer(kind, { tokenName: 'entra-test' });
    managerId = (await s.scim.post<Json>('/Users', entraUser('manager@romaguera.example'))).body.id;
  });
  afterAll(() => s.close());

  it('POST /Users - Create a new User', async () => {
    const res = await s.scim.post<Json>('/Users', entraUser(userName), { 'content-type': 'application/json' });
    expect(res.status).toBe(201);
    userId = res.body.id;
    expect(res.body.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE]);
    expect(res.body).toMatchObject({ userName, active: true, [ENTERPRISE]: { employeeNumber: '701984', department: 'Engineering' } });
    expect(res.body).not.toHaveProperty('meta.ResourceType');
  });

  it('GET /Users?filter - Filter for an existing user', async () => {
    const res = await s.scim.get<Json>(`/Users${q(`userName eq "${userName}"`)}`);
    expect(res.body).toMatchObject({ totalResults: 1, Resources: [{ id: userId, active: true }] });
  });

  it('GET /Users?filter - Filter for a non-existing user', async () => {
    const res = await s.scim.get<Json>(`/Users${q('userName eq "no.such.user@romaguera.example"')}`);
    expect(res.body.totalResults).toBe(0);
  });

  it('GET /Users?filter - Filter for an existing user with a different case', async () => {
    const res = await s.scim.get<Json>(`/Users${q(`userName eq "${userName.toLowerCase()}"`)}`);
    expect(res.body.Resources.map((r: Json) => r.id)).toEqual([userId]);
    // The userName comes back as it was sent.
    expect(res.body.Resources[0].userName).toBe(userName);
  });

  it('GET /Users?filter - Filter by externalId and by work email', async () => {
    const user = (await s.scim.get<Json>(`/Users/${userId}`)).body;
    expect((await s.scim.get<Json>(`/Users${q(`externalId eq "${user.externalId}"`)}`)).body.totalResults).toBe(1);
    expect((await s.scim.get<Json>(`/Users${q(`externalId eq "${String(user.externalId).toUpperCase()}"`)}`)).body.totalResults).toBe(0);
    expect((await s.scim.get<Json>(`/Users${q(`emails[type eq "work"].value eq "x"`)}`)).status).toBe(400);
    expect((await s.scim.get<Json>(`/Users${q(`emails[type eq "work" and value eq "${userName.toUpperCase()}"]`)}`)).body.totalResults).toBe(1);
  });

  it('POST /Users - Create a duplicate User', async () => {
    const res = await s.scim.post<Json>('/Users', entraUser(userName.toUpperCase(), { emails: [] }));
    expect(res.status).toBe(409);
    expect(res.body.scimType).toBe('uniqueness');
  });

  it('GET /Users/Id - Retrieve a User by Id', async () => {
    const res = await s.scim.get<Json>(`/Users/${userId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: userId, userName, name: { givenName: 'Entra', familyName: 'User', formatted: 'Entra User' } });
  });

  it('PATCH /Users/Id - Patch User - Replace Attributes', async () => {
    const res = await s.scim.patch<Json>(
      `/Users/${userId}`,
      patchOps(
        { op: 'Replace', path: 'displayName', value: 'Dale Mohr' },
        { op: 'Replace', path: 'name.givenName', value: 'Dale' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'dale.mohr@romaguera.example' },
        { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Sales' },
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ displayName: 'Dale Mohr', name: { givenName: 'Dale' }, emails: [{ type: 'work', value: 'dale.mohr@romaguera.example', primary: true }] });
    expect(res.body[ENTERPRISE].department).toBe('Sales');
    expect((await s.gateway.store.getUser(userId))?.email).toBe('dale.mohr@romaguera.example');
    expect((await s.scim.get<Json>(`/Users${q('emails.value eq "DALE.MOHR@romaguera.example"')}`)).body.totalResults).toBe(1);
  });

  it('PATCH /Users/Id - Patch User - Add Attributes', async () => {
    const res = await s.scim.patch<Json>(
      `/Users/${userId}`,
      patchOps(
        { op: 'Add', path: 'title', value: 'Account Executive' },
        { op: 'Add', path: 'emails[type eq "home"].value', value: 'dale@home.example' },
        { op: 'Add', path: `${ENTERPRISE}:costCenter`, value: 'CC-12' },
        { op: 'Add', value: { nickName: 'Dal', 'name.middleName': 'Q' } },
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ title: 'Account Executive', nickName: 'Dal', name: { middleName: 'Q' } });
    expect(res.body.emails).toHaveLength(2);
    expect(res.body[ENTERPRISE].costCenter).toBe('CC-12');
    expect((await s.scim.get<Json>(`/Users${q('title sw "account"')}`)).body.Resources.map((r: Json) => r.id)).toEqual([userId]);
  });

  it('PATCH /Users/Id - Update User Manager (a bare id as value)', async () => {
    const res = await s.scim.patch<Json>(`/Users/${userId}`, patchOps({ op: 'Add', path: `${ENTERPRISE}:manager`, value: managerId }));
    expect(res.status).toBe(200);
    expect(res.body[ENTERPRISE].manager).toEqual({ value: managerId });
    expect((await s.scim.get<Json>(`/Users${q(`${ENTERPRISE}:manager.value eq "${managerId}"`)}`)).body.totalResults).toBe(1);
    const removed = await s.scim.patch<Json>(`/Users/${userId}`, patchOps({ op: 'Remove', path: `${ENTERPRISE}:manager`, value: [{ value: managerId }] }));
    expect(removed.body[ENTERPRISE]).not.toHaveProperty('manager');
  });

  it('PATCH /Users/Id - tolerates an empty Operations list (no change, no new version)', async () => {
    const before = (await s.scim.get<Json>(`/Users/${userId}`)).body;
    const res = await s.scim.patch<Json>(`/Users/${userId}`, patchOps());
    expect(res.status).toBe(200);
    expect(res.body.meta.version).toBe(before.meta.version);
  });

  it('PATCH /Users/Id - Patch User - Disable User ("False"), visible on GET and filter', async () => {
    const res = await s.scim.patch<Json>(`/Users/${userId}`, patchOps({ op: 'Replace', path: 'active', value: 'False' }));
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);
    expect((await s.scim.get<Json>(`/Users${q(`userName eq "${userName}"`)}`)).body.Resources[0].active).toBe(false);
    expect((await s.scim.get<Json>(`/Users${q('active eq false')}`)).body.Resources.map((r: Json) => r.id)).toEqual([userId]);
    expect((await s.gateway.store.getUser(userId))?.status).toBe('deprovisioned');
    const enabled = await s.scim.patch<Json>(`/Users/${userId}`, patchOps({ op: 'Replace', path: 'active', value: 'True' }));
    expect(enabled.body.active).toBe(true);
  });

  it('POST /Groups - Create a new Group', async () => {
    const res = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], externalId: 'e1f2', displayName: 'Sales Team', members: [] });
    expect(res.status).toBe(201);
    groupId = res.body.id;
    expect(res.body).toMatchObject({ displayName: 'Sales Team', externalId: 'e1f2' });
  });

  it('POST /Groups - Create a duplicate Group (case-insensitive)', async () => {
    const res = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'SALES TEAM' });
    expect(res.status).toBe(409);
    expect(res.body.scimType).toBe('uniqueness');
  });

  it('GET /Groups?filter - Filter for an existing group (excludedAttributes=members)', async () => {
    const res = await s.scim.get<Json>(`/Groups${q('displayName eq "Sales Team"', '&excludedAttributes=members')}`);
    expect(res.body).toMatchObject({ totalResults: 1, Resources: [{ id: groupId, displayName: 'Sales Team' }] });
    expect(res.body.Resources[0]).not.toHaveProperty('members');
  });

  it('GET /Groups?filter - Filter for an existing group with a different case', async () => {
    expect((await s.scim.get<Json>(`/Groups${q('displayName eq "sales team"')}`)).body.totalResults).toBe(1);
    expect((await s.scim.get<Json>(`/Groups${q('externalId eq "e1f2"')}`)).body.totalResults).toBe(1);
  });

  it('PATCH /Groups/Id - Patch Group - Add Member', async () => {
    const res = await s.scim.patch(`/Groups/${groupId}`, patchOps({ op: 'Add', path: 'members', value: [{ value: userId }, { value: managerId }] }));
    expect(res.status).toBe(200);
    const check = await s.scim.get<Json>(`/Groups${q(`id eq "${groupId}" and members[value eq "${userId}"]`, '&excludedAttributes=members')}`);
    expect(check.body.totalResults).toBe(1);
  });

  it('PATCH /Groups/Id - Patch Group - Remove Member (value array)', async () => {
    const res = await s.scim.patch(`/Groups/${groupId}`, patchOps({ op: 'Remove', path: 'members', value: [{ value: userId }] }));
    expect(res.status).toBe(200);
    expect((await s.scim.get<Json>(`/Groups${q(`id eq "${groupId}" and members[value eq "${userId}"]`)}`)).body.totalResults).toBe(0);
    expect((await s.scim.get<Json>(`/Groups${q(`id eq "${groupId}" and members[value eq "${managerId}"]`)}`)).body.totalResults).toBe(1);
  });

  it('PATCH /Groups/Id - Patch Group - Replace Attributes', async () => {
    const res = await s.scim.patch(`/Groups/${groupId}`, patchOps({ op: 'Replace', path: 'displayName', value: 'Sales EMEA' }, { op: 'Replace', path: 'externalId', value: 'e9' }));
    expect(res.status).toBe(200);
    expect((await s.scim.get<Json>(`/Groups/${groupId}?excludedAttributes=members`)).body).toMatchObject({ displayName: 'Sales EMEA', externalId: 'e9' });
  });

  it('GET /Groups/Id?excludedAttributes=members', async () => {
    const res = await s.scim.get<Json>(`/Groups/${groupId}?excludedAttributes=members`);
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('members');
    expect(res.body.id).toBe(groupId);
  });

  it('DELETE /Groups/Id - Delete a Group', async () => {
    expect((await s.scim.delete(`/Groups/${groupId}`)).status).toBe(204);
    expect((await s.scim.get(`/Groups/${groupId}`)).status).toBe(404);
  });

  it('DELETE /Users/Id - Delete a User', async () => {
    expect((await s.scim.delete(`/Users/${userId}`)).status).toBe(204);
    expect((await s.scim.get(`/Users/${userId}`)).status).toBe(404);
    expect((await s.scim.delete(`/Users/${userId}`)).status).toBe(404);
  });
});
