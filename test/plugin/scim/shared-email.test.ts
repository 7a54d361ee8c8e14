/**
 * Emails are not unique (RFC 7643: userName is a User's only unique attribute). A conformance
 * collection written for Entra ID creates several users that share an email; every one of them
 * is stored, and filters on the email find them all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../support/db.ts';
import { entraUser, patchOps, startScimServer, type ScimServer } from './helpers.ts';

type Json = Record<string, any>;
const shared = (userName: string) => entraUser(userName, { emails: [{ primary: true, type: 'work', value: 'Team@Example.com' }] });

describe.each(DB_KINDS)('SCIM users sharing an email on %s', (kind) => {
  let s: ScimServer;
  beforeAll(async () => {
    s = await startScimServer(kind);
  });
  afterAll(() => s.close());

  it('POST: three users with one email are all created', async () => {
    const results = [];
    for (const name of ['first@example.com', 'second@example.com', 'third@example.com']) results.push(await s.scim.post<Json>('/Users', shared(name)));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(3);
    for (const r of results) expect(r.body.emails).toEqual([{ primary: true, type: 'work', value: 'Team@Example.com' }]);
    const found = await s.scim.get<Json>(`/Users?filter=${encodeURIComponent('emails.value eq "team@example.com"')}`);
    expect(found.body.totalResults).toBe(3);
    expect(await s.gateway.knex('gh_users').where({ email: 'team@example.com' })).toHaveLength(3);
  });

  it('PUT and PATCH may set an email another user holds', async () => {
    const a = await s.scim.post<Json>('/Users', entraUser('put-a@example.com'));
    const b = await s.scim.post<Json>('/Users', entraUser('put-b@example.com'));
    const put = await s.scim.put<Json>(`/Users/${b.body.id}`, entraUser('put-b@example.com', { emails: [{ primary: true, type: 'work', value: 'put-a@example.com' }] }));
    expect(put.status).toBe(200);
    const c = await s.scim.post<Json>('/Users', entraUser('patch-c@example.com'));
    const patch = await s.scim.patch<Json>(`/Users/${c.body.id}`, patchOps({ op: 'replace', path: 'emails[type eq "work"].value', value: 'PUT-A@example.com' }));
    expect(patch.status).toBe(200);
    const ids = (await s.scim.get<Json>(`/Users?filter=${encodeURIComponent('emails eq "put-a@example.com"')}`)).body.Resources.map((r: Json) => r.id);
    expect(ids.sort()).toEqual([a.body.id, b.body.id, c.body.id].sort());
  });

  it('userName stays unique (case-insensitive): 409 uniqueness names the userName', async () => {
    expect((await s.scim.post<Json>('/Users', shared('unique@example.com'))).status).toBe(201);
    const again = await s.scim.post<Json>('/Users', shared('UNIQUE@example.com'));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ scimType: 'uniqueness', detail: 'A User with userName "UNIQUE@example.com" already exists.' });
  });
});
