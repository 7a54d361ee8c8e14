/**
 * Concurrency: identical concurrent POSTs give one 201, the rest 409, and one row; concurrent
 * member pushes and concurrent PATCHes of one user lose no update.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../support/db.ts';
import { GROUP_SCHEMA, oktaUser, patchOps, startScimServer, type ScimServer } from './helpers.ts';

type Json = Record<string, any>;

describe.each(DB_KINDS)('SCIM races on %s', (kind) => {
  let s: ScimServer;
  beforeAll(async () => {
    s = await startScimServer(kind);
  });
  afterAll(() => s.close());

  it('two identical concurrent POST /Users: one 201, one 409, one row', async () => {
    const body = oktaUser('twin@example.com');
    const results = await Promise.all([s.scim.post<Json>('/Users', body), s.scim.post<Json>('/Users', body)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)?.body.scimType).toBe('uniqueness');
    expect(await s.gateway.knex('gh_users').where({ user_name: 'twin@example.com' })).toHaveLength(1);
    expect(await s.gateway.knex('gh_scim_emails').where({ value_lower: 'twin@example.com' })).toHaveLength(1);
  });

  it('ten concurrent POSTs differing only in case: one 201, nine 409, one row', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => s.scim.post('/Users', oktaUser(i % 2 ? 'MANY@example.com' : 'many@example.com'))));
    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    expect(await s.gateway.knex('gh_users').where({ user_name: 'many@example.com' })).toHaveLength(1);
  });

  it('two identical concurrent POST /Groups: one 201, one 409, one row', async () => {
    const body = { schemas: [GROUP_SCHEMA], displayName: 'Twins' };
    const results = await Promise.all([s.scim.post('/Groups', body), s.scim.post('/Groups', { ...body, displayName: 'TWINS' })]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(await s.gateway.knex('gh_scim_groups').where({ display_name_lower: 'twins' })).toHaveLength(1);
  });

  it('concurrent member pushes to one group all land', async () => {
    const users: string[] = [];
    for (let i = 0; i < 12; i++) users.push((await s.scim.post<Json>('/Users', oktaUser(`push${i}@example.com`))).body.id);
    const g = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'chainloop_acme-corp_org-viewer' });
    const results = await Promise.all(users.map((id) => s.scim.patch(`/Groups/${g.body.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: id }] }))));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    const members = (await s.scim.get<Json>(`/Groups/${g.body.id}`)).body.members.map((m: Json) => m.value);
    expect(members.sort()).toEqual([...users].sort());
    for (const id of users) expect((await s.gateway.store.getUser(id))?.status).toBe('active');
  });

  it('concurrent PATCHes of one user lose no update', async () => {
    const id = (await s.scim.post<Json>('/Users', oktaUser('many-edits@example.com'))).body.id as string;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => s.scim.patch(`/Users/${id}`, patchOps({ op: 'add', path: 'emails', value: [{ value: `alias${i}@example.com`, type: 'other' }] }))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    const emails = (await s.scim.get<Json>(`/Users/${id}`)).body.emails.map((e: Json) => e.value);
    expect(emails).toHaveLength(7);
  });
});
