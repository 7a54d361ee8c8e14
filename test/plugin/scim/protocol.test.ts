/**
 * RFC 7644 protocol behaviour: truthful discovery, media types and body limits, ETags
 * (If-Match 412, If-None-Match 304), sorting, paging, attributes/excludedAttributes, POST
 * /.search, and the §3.12 error shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../support/db.ts';
import { ENTERPRISE, ERROR_SCHEMA, GROUP_SCHEMA, oktaUser, patchOps, scimClient, startScimServer, USER_SCHEMA, type ScimServer } from './helpers.ts';

type Json = Record<string, any>;

describe.each(DB_KINDS)('SCIM protocol on %s', (kind) => {
  let s: ScimServer;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    s = await startScimServer(kind);
    const people: [string, string, string][] = [
      ['carol@example.com', 'Carol', 'Zimmer'],
      ['alice@example.com', 'Alice', 'Young'],
      ['bob@example.com', 'Bob', 'Xavier'],
      ['dave@example.com', 'Dave', 'Yoder'],
      ['erin@example.com', 'Erin', 'Adams'],
    ];
    for (const [userName, givenName, familyName] of people) {
      const res = await s.scim.post<Json>('/Users', oktaUser(userName, { name: { givenName, familyName }, [ENTERPRISE]: { department: givenName === 'Bob' ? 'Ops' : 'Eng' } }));
      ids[givenName.toLowerCase()] = res.body.id;
    }
  });
  afterAll(() => s.close());

  describe('discovery', () => {
    it('ServiceProviderConfig tells what is supported, with the limits enforced', async () => {
      const res = await s.scim.get<Json>('/ServiceProviderConfig');
      expect(res.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
      expect(res.body).toMatchObject({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
        patch: { supported: true },
        bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 },
        filter: { supported: true, maxResults: 1000 },
        changePassword: { supported: false },
        sort: { supported: true },
        etag: { supported: true },
        authenticationSchemes: [{ type: 'oauthbearertoken', primary: true }],
      });
    });

    it('Schemas lists User, EnterpriseUser and Group, without private fields', async () => {
      const res = await s.scim.get<Json>('/Schemas');
      expect(res.body.Resources.map((r: Json) => r.id).sort()).toEqual([GROUP_SCHEMA, USER_SCHEMA, ENTERPRISE].sort());
      const user = res.body.Resources.find((r: Json) => r.id === USER_SCHEMA);
      const userName = user.attributes.find((a: Json) => a.name === 'userName');
      expect(userName).toMatchObject({ type: 'string', required: true, caseExact: false, uniqueness: 'server', mutability: 'readWrite', returned: 'default' });
      expect(JSON.stringify(res.body)).not.toMatch(/"storage"|"maxLength"/);
      expect(user.attributes.find((a: Json) => a.name === 'password')).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
      expect((await s.scim.get<Json>(`/Schemas/${ENTERPRISE}`)).body.name).toBe('EnterpriseUser');
      expect((await s.scim.get<Json>('/Schemas/urn:nope')).status).toBe(404);
    });

    it('ResourceTypes lists Users and Groups', async () => {
      const res = await s.scim.get<Json>('/ResourceTypes');
      expect(res.body.Resources).toEqual([
        expect.objectContaining({ id: 'User', endpoint: '/Users', schema: USER_SCHEMA, schemaExtensions: [{ schema: ENTERPRISE, required: false }] }),
        expect.objectContaining({ id: 'Group', endpoint: '/Groups', schema: GROUP_SCHEMA, schemaExtensions: [] }),
      ]);
      expect((await s.scim.get<Json>('/ResourceTypes/Group')).body.endpoint).toBe('/Groups');
    });
  });

  describe('media types and bodies', () => {
    it('accepts application/json and application/scim+json, refuses other types with 415', async () => {
      expect((await s.scim.post('/Users', oktaUser('json@example.com'), { 'content-type': 'application/json; charset=utf-8' })).status).toBe(201);
      const text = await s.scim.post<Json>('/Users', JSON.stringify(oktaUser('text@example.com')), { 'content-type': 'text/plain' });
      expect(text.status).toBe(415);
      expect(text.body.schemas).toEqual([ERROR_SCHEMA]);
    });

    it('answers malformed JSON with 400 invalidSyntax and a body over 1 MB with 413', async () => {
      const bad = await s.scim.post<Json>('/Users', '{"userName": ', {});
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
      const big = await s.scim.post<Json>('/Users', oktaUser('big@example.com', { title: 'x'.repeat(1_100_000) }));
      expect(big.status).toBe(413);
      expect(big.body.schemas).toEqual([ERROR_SCHEMA]);
    });

    it('validates attribute types and required attributes (400 invalidValue), ignores read-only ones', async () => {
      expect((await s.scim.post<Json>('/Users', { schemas: [USER_SCHEMA] })).body).toMatchObject({ status: '400', scimType: 'invalidValue', detail: 'userName is required.' });
      expect((await s.scim.post<Json>('/Users', oktaUser('t@example.com', { active: 'perhaps' }))).body.scimType).toBe('invalidValue');
      expect((await s.scim.post<Json>('/Users', oktaUser('t@example.com', { name: 'Just A String' }))).body.scimType).toBe('invalidValue');
      expect((await s.scim.post<Json>('/Users', oktaUser('x'.repeat(400)))).body.scimType).toBe('invalidValue');
      const longEmail = await s.scim.post<Json>('/Users', oktaUser('long@example.com', { emails: [{ value: `${'e'.repeat(320)}@example.com`, primary: true }] }));
      expect(longEmail.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
      const ro = await s.scim.post<Json>('/Users', oktaUser('ro@example.com', { id: 'chosen-id', groups: [{ value: 'g' }], meta: { version: 'W/"9"' } }));
      expect(ro.status).toBe(201);
      expect(ro.body.id).not.toBe('chosen-id');
      expect(ro.body.meta.version).toBe('W/"1"');
    });

    it('answers unknown endpoints with 404 and wrong methods with 405, in the error shape', async () => {
      expect((await s.scim.get<Json>('/Widgets')).body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '404' });
      expect((await s.scim.put<Json>('/Users', {})).status).toBe(405);
      expect((await s.scim.get(`/users/${ids.alice}`)).status).toBe(200);
    });
  });

  describe('ETags', () => {
    it('sends meta.version as a weak ETag and answers If-None-Match with 304', async () => {
      const res = await s.scim.get<Json>(`/Users/${ids.erin}`);
      const etag = res.headers.get('etag');
      expect(etag).toBe(res.body.meta.version);
      expect(etag).toMatch(/^W\/"\d+"$/);
      const again = await s.scim.get(`/Users/${ids.erin}`, { 'if-none-match': etag! });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');
      expect((await s.scim.get(`/Users/${ids.erin}`, { 'if-none-match': 'W/"999"' })).status).toBe(200);
    });

    it('answers a stale If-Match with 412 on PUT, PATCH and DELETE, and applies a current one', async () => {
      const current = (await s.scim.get<Json>(`/Users/${ids.erin}`)).body;
      const stale = 'W/"0"';
      expect((await s.scim.put<Json>(`/Users/${ids.erin}`, current, { 'if-match': stale })).status).toBe(412);
      const patch = await s.scim.patch<Json>(`/Users/${ids.erin}`, patchOps({ op: 'replace', path: 'title', value: 'x' }), { 'if-match': stale });
      expect(patch.status).toBe(412);
      expect(patch.body.schemas).toEqual([ERROR_SCHEMA]);
      expect((await s.scim.delete(`/Users/${ids.erin}`, { 'if-match': stale })).status).toBe(412);
      const ok = await s.scim.patch<Json>(`/Users/${ids.erin}`, patchOps({ op: 'replace', path: 'title', value: 'Lead' }), { 'if-match': current.meta.version });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('etag')).not.toBe(current.meta.version);
      expect((await s.scim.patch(`/Users/${ids.erin}`, patchOps({ op: 'replace', path: 'title', value: 'Lead 2' }), { 'if-match': '*' })).status).toBe(200);
      const g = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'etag-group' });
      expect((await s.scim.patch(`/Groups/${g.body.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: ids.erin }] }), { 'if-match': 'W/"7"' })).status).toBe(412);
      expect((await s.scim.delete(`/Groups/${g.body.id}`, { 'if-match': g.headers.get('etag')! })).status).toBe(204);
    });
  });

  describe('listing', () => {
    const names = (body: Json) => body.Resources.map((r: Json) => r.name.givenName);
    const filter = encodeURIComponent('userName co "@example.com" and not (userName sw "ro") and not (userName sw "json") and not (userName sw "t@")');

    it('sorts by userName, name.familyName and emails, both ways', async () => {
      expect(names((await s.scim.get<Json>(`/Users?filter=${filter}&sortBy=userName`)).body)).toEqual(['Alice', 'Bob', 'Carol', 'Dave', 'Erin']);
      expect(names((await s.scim.get<Json>(`/Users?filter=${filter}&sortBy=userName&sortOrder=descending`)).body)).toEqual(['Erin', 'Dave', 'Carol', 'Bob', 'Alice']);
      expect(names((await s.scim.get<Json>(`/Users?filter=${filter}&sortBy=name.familyName&sortOrder=ASCENDING`)).body)).toEqual(['Erin', 'Bob', 'Dave', 'Alice', 'Carol']);
      expect(names((await s.scim.get<Json>(`/Users?filter=${filter}&sortBy=emails`)).body)).toEqual(['Alice', 'Bob', 'Carol', 'Dave', 'Erin']);
      expect((await s.scim.get<Json>('/Users?sortBy=password')).body.scimType).toBe('invalidValue');
      expect((await s.scim.get<Json>('/Users?sortBy=userName&sortOrder=sideways')).status).toBe(400);
    });

    it('pages with startIndex/count and reports totalResults', async () => {
      const page = (startIndex: number, count: number) => s.scim.get<Json>(`/Users?filter=${filter}&sortBy=userName&startIndex=${startIndex}&count=${count}`);
      expect((await page(1, 2)).body).toMatchObject({ totalResults: 5, startIndex: 1, itemsPerPage: 2 });
      expect(names((await page(3, 2)).body)).toEqual(['Carol', 'Dave']);
      expect((await page(5, 2)).body).toMatchObject({ totalResults: 5, itemsPerPage: 1 });
      expect((await page(9, 2)).body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
      expect((await page(0, 2)).body.startIndex).toBe(1);
      expect((await page(1, 0)).body).toMatchObject({ totalResults: 5, itemsPerPage: 0 });
      expect((await page(1, -5)).body.itemsPerPage).toBe(0);
      expect((await s.scim.get<Json>('/Users?count=abc')).body.scimType).toBe('invalidValue');
    });

    it('returns only the requested attributes (id and schemas always)', async () => {
      const only = await s.scim.get<Json>(`/Users/${ids.bob}?attributes=userName,name.givenName,emails.value,${ENTERPRISE}:department`);
      expect(only.body).toEqual({
        schemas: [USER_SCHEMA, ENTERPRISE],
        id: ids.bob,
        userName: 'bob@example.com',
        name: { givenName: 'Bob' },
        emails: [{ value: 'bob@example.com' }],
        [ENTERPRISE]: { department: 'Ops' },
      });
      const without = await s.scim.get<Json>(`/Users/${ids.bob}?excludedAttributes=emails,name.familyName,meta,id`);
      expect(without.body).not.toHaveProperty('emails');
      expect(without.body).not.toHaveProperty('meta');
      expect(without.body.id).toBe(ids.bob);
      expect(without.body.name).toEqual({ givenName: 'Bob' });
      const list = await s.scim.get<Json>(`/Users?filter=${encodeURIComponent('userName eq "bob@example.com"')}&attributes=userName`);
      expect(list.body.Resources).toEqual([{ schemas: [USER_SCHEMA, ENTERPRISE], id: ids.bob, userName: 'bob@example.com' }]);
    });

    it('searches with POST /.search on a resource type and at the root', async () => {
      const res = await s.scim.post<Json>('/Users/.search', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter: `${ENTERPRISE}:department eq "ops"`,
        attributes: ['userName'],
        startIndex: 1,
        count: 10,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ totalResults: 1, Resources: [{ userName: 'bob@example.com' }] });
      await s.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'searchable', externalId: 'ext-s' });
      const root = await s.scim.post<Json>('/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'externalId eq "ext-s" or displayName eq "searchable"' });
      expect(root.status).toBe(200);
      expect(root.body.Resources.map((r: Json) => r.displayName)).toEqual(['searchable']);
      expect((await s.scim.post<Json>('/Users/.search', { schemas: ['urn:wrong'] })).body.scimType).toBe('invalidSyntax');
      expect((await s.scim.post<Json>('/.search', { filter: 'bogus eq "x"' })).body.scimType).toBe('invalidFilter');
    });

    it('lists Groups with or without members', async () => {
      await s.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'with-members', members: [{ value: ids.alice }, { value: ids.bob }] });
      const withMembers = await s.scim.get<Json>(`/Groups?filter=${encodeURIComponent('displayName eq "with-members"')}`);
      expect(withMembers.body.Resources[0].members).toHaveLength(2);
      const without = await s.scim.get<Json>(`/Groups?filter=${encodeURIComponent('displayName eq "with-members"')}&excludedAttributes=members`);
      expect(without.body.Resources[0]).not.toHaveProperty('members');
      const attrs = await s.scim.get<Json>(`/Groups?filter=${encodeURIComponent('displayName eq "with-members"')}&attributes=displayName`);
      expect(attrs.body.Resources[0]).toEqual({ schemas: [GROUP_SCHEMA], id: expect.any(String), displayName: 'with-members' });
    });
  });

  describe('groups', () => {
    it('skips unknown members (see unknown-members.test.ts); refuses nested groups with 400 invalidValue', async () => {
      const skipped = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'bad', members: [{ value: 'no-such-user' }] });
      expect(skipped.status).toBe(201);
      expect(skipped.body.members).toEqual([]);
      const g = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'nest' });
      const nested = await s.scim.patch<Json>(`/Groups/${g.body.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: g.body.id, type: 'Group' }] }));
      expect(nested.body.scimType).toBe('invalidValue');
    });

    it('returns the group on PATCH when attributes are asked for', async () => {
      const g = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'patch-body' });
      const res = await s.scim.patch<Json>(`/Groups/${g.body.id}?excludedAttributes=meta`, patchOps({ op: 'add', path: 'members', value: [{ value: ids.carol }] }));
      expect(res.status).toBe(200);
      expect(res.body.members.map((m: Json) => m.value)).toEqual([ids.carol]);
      expect(res.body).not.toHaveProperty('meta');
    });

    it('keeps a deleted user out of its groups', async () => {
      const u = await s.scim.post<Json>('/Users', oktaUser('leaver@example.com'));
      const g = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'leavers', members: [{ value: u.body.id }, { value: ids.dave }] });
      await s.scim.delete(`/Users/${u.body.id}`);
      const after = await s.scim.get<Json>(`/Groups/${g.body.id}`);
      expect(after.body.members.map((m: Json) => m.value)).toEqual([ids.dave]);
      expect(after.body.meta.version).toBe('W/"2"');
    });
  });

  it('never leaks the token or a stack trace in an error', async () => {
    const res = await scimClient(s.base, s.token).patch<Json>(`/Users/${ids.alice}`, { Operations: [{ op: 'replace', path: 'emails[type eq "work"', value: 'x' }] });
    expect(res.body.scimType).toBe('invalidPath');
    expect(res.text).not.toContain(s.token);
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });
});
