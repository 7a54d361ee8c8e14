/**
 * One rule for what PATCH answers (RFC 7644 §3.5.2): 200 with the resource, for Users and Groups
 * alike, projected by attributes/excludedAttributes as a GET is. A Group's answer leaves its
 * member list out unless the request has attributes or excludedAttributes (a push to a group of
 * 100,000 members does not send them all back).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../support/db.ts';
import { GROUP_SCHEMA, USER_SCHEMA, oktaUser, patchOps, startScimServer, type ScimServer } from './helpers.ts';

type Json = Record<string, any>;

describe.each(DB_KINDS)('SCIM PATCH answers on %s', (kind) => {
  let s: ScimServer;
  let userId: string;
  let groupId: string;
  beforeAll(async () => {
    s = await startScimServer(kind);
    userId = (await s.scim.post<Json>('/Users', oktaUser('answer@example.com'))).body.id;
    groupId = (await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'answers' })).body.id;
  });
  afterAll(() => s.close());

  it('User: 200 with the user and its ETag', async () => {
    const res = await s.scim.patch<Json>(`/Users/${userId}`, patchOps({ op: 'replace', path: 'displayName', value: 'Answered' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ schemas: [USER_SCHEMA], id: userId, userName: 'answer@example.com', displayName: 'Answered', active: true });
    expect(res.headers.get('etag')).toBe(res.body.meta.version);
  });

  it('Group: 200 with the group and its ETag, without the member list', async () => {
    const res = await s.scim.patch<Json>(`/Groups/${groupId}`, patchOps({ op: 'add', path: 'members', value: [{ value: userId }] }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      schemas: [GROUP_SCHEMA],
      id: groupId,
      displayName: 'answers',
      meta: { resourceType: 'Group', created: expect.any(String), lastModified: expect.any(String), location: `${s.base}/Groups/${groupId}`, version: expect.any(String) },
    });
    expect(res.headers.get('etag')).toBe(res.body.meta.version);
    expect(res.headers.get('location')).toBe(`${s.base}/Groups/${groupId}`);
  });

  it('Group: the members come back when attributes ask for them; excludedAttributes=members leaves them out', async () => {
    const asked = await s.scim.patch<Json>(`/Groups/${groupId}?attributes=members`, patchOps({ op: 'replace', path: 'displayName', value: 'answers-2' }));
    expect(asked.status).toBe(200);
    expect(asked.body).toEqual({ schemas: [GROUP_SCHEMA], id: groupId, members: [expect.objectContaining({ value: userId, type: 'User' })] });
    const excluded = await s.scim.patch<Json>(`/Groups/${groupId}?excludedAttributes=members`, patchOps({ op: 'replace', path: 'displayName', value: 'answers-3' }));
    expect(excluded.status).toBe(200);
    expect(excluded.body.displayName).toBe('answers-3');
    expect(excluded.body.members).toBeUndefined();
  });

  it('User: attributes project the answer as on a GET', async () => {
    const res = await s.scim.patch<Json>(`/Users/${userId}?attributes=userName`, patchOps({ op: 'replace', path: 'title', value: 'Tester' }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ schemas: [USER_SCHEMA], id: userId, userName: 'answer@example.com' });
  });
});
