/**
 * A group write naming members that are not Users (deleted since, never provisioned, a group id)
 * applies the known members and skips the others, recording the skipped ids in its audit row,
 * instead of failing the whole write (the IdP would retry it forever and the other members would
 * never land). POST, PUT, PATCH and Bulk alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../support/db.ts';
import { GROUP_SCHEMA, oktaUser, patchOps, startScimServer, type ScimServer } from './helpers.ts';

type Json = Record<string, any>;

describe.each(DB_KINDS)('SCIM group members that are not Users on %s', (kind) => {
  let s: ScimServer;
  const ids: string[] = [];
  beforeAll(async () => {
    s = await startScimServer(kind);
    for (const name of ['m1', 'm2', 'm3', 'm4']) ids.push((await s.scim.post<Json>('/Users', oktaUser(`${name}@example.com`))).body.id);
  });
  afterAll(() => s.close());

  const memberIds = async (groupId: string) => ((await s.scim.get<Json>(`/Groups/${groupId}`)).body.members ?? []).map((m: Json) => m.value).sort();
  const lastAudit = async (action: string) => {
    const row = await s.gateway.knex('gh_audit').where({ action }).orderBy('id', 'desc').first();
    return { ...row, details: JSON.parse(row.details) };
  };

  it('POST: the known members join, the unknown ones are skipped and audited', async () => {
    const res = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'post-mixed', members: [{ value: ids[0] }, { value: 'gone-user' }, { value: ids[1] }] });
    expect(res.status).toBe(201);
    expect(res.body.members.map((m: Json) => m.value).sort()).toEqual([ids[0], ids[1]].sort());
    expect((await lastAudit('scim.group.create')).details).toMatchObject({ id: res.body.id, membersAdded: 2, membersSkipped: ['gone-user'] });
  });

  it('PUT: the member list becomes the known members', async () => {
    const g = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'put-mixed', members: [{ value: ids[0] }] });
    const res = await s.scim.put<Json>(`/Groups/${g.body.id}`, { schemas: [GROUP_SCHEMA], displayName: 'put-mixed', members: [{ value: ids[2] }, { value: g.body.id }, { value: ids[3] }] });
    expect(res.status).toBe(200);
    expect(await memberIds(g.body.id)).toEqual([ids[2], ids[3]].sort());
    expect((await lastAudit('scim.group.replace')).details).toMatchObject({ membersAdded: 2, membersRemoved: 1, membersSkipped: [g.body.id] });
  });

  it('PATCH add and replace (Okta and Entra shapes): known members applied, unknown skipped', async () => {
    const g = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'patch-mixed' });
    const add = await s.scim.patch(`/Groups/${g.body.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: 'nobody-1' }, { value: ids[0] }] }));
    expect(add.status).toBeLessThan(300);
    expect(await memberIds(g.body.id)).toEqual([ids[0]]);
    expect((await lastAudit('scim.group.patch')).details).toMatchObject({ membersAdded: 1, membersSkipped: ['nobody-1'] });

    const replace = await s.scim.patch(`/Groups/${g.body.id}`, patchOps({ op: 'replace', value: { members: [{ value: ids[1] }, { value: 'nobody-2' }, { value: 'nobody-3' }] } }));
    expect(replace.status).toBeLessThan(300);
    expect(await memberIds(g.body.id)).toEqual([ids[1]]);
    expect((await lastAudit('scim.group.patch')).details).toMatchObject({ membersAdded: 1, membersRemoved: 1, membersSkipped: ['nobody-2', 'nobody-3'] });
  });

  it('PATCH naming only unknown members changes nothing and still succeeds, audited', async () => {
    const g = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'patch-unknown-only', members: [{ value: ids[0] }] });
    const res = await s.scim.patch(`/Groups/${g.body.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: 'ghost' }] }));
    expect(res.status).toBeLessThan(300);
    expect(await memberIds(g.body.id)).toEqual([ids[0]]);
    expect((await lastAudit('scim.group.patch')).details).toMatchObject({ membersSkipped: ['ghost'] });
  });

  it('Bulk: a group operation with an unknown member succeeds with the known ones', async () => {
    const res = await s.scim.post<Json>('/Bulk', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [{ method: 'POST', path: '/Groups', bulkId: 'g', data: { schemas: [GROUP_SCHEMA], displayName: 'bulk-mixed', members: [{ value: ids[3] }, { value: 'gone' }] } }],
    });
    expect(res.body.Operations[0].status).toBe('201');
    const id = String(res.body.Operations[0].location).split('/').pop() as string;
    expect(await memberIds(id)).toEqual([ids[3]]);
  });

  it('a member typed as a Group is still refused (nested groups are not supported)', async () => {
    const g = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'typed-group' });
    const res = await s.scim.patch<Json>(`/Groups/${g.body.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: g.body.id, type: 'Group' }] }));
    expect(res.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
  });
});
