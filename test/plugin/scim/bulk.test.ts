/**
 * POST /Bulk (RFC 7644 §3.7): bulkId references in any order, failOnErrors, per-operation
 * errors and versions, and the advertised limits enforced (413).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../support/db.ts';
import { GROUP_SCHEMA, oktaUser, patchOps, startScimServer, type ScimServer } from './helpers.ts';

type Json = Record<string, any>;
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

describe.each(DB_KINDS)('SCIM Bulk on %s', (kind) => {
  let s: ScimServer;
  beforeAll(async () => {
    s = await startScimServer(kind);
  });
  afterAll(() => s.close());

  it('creates users and a group that references them by bulkId, whatever the order', async () => {
    const res = await s.scim.post<Json>('/Bulk', {
      schemas: [BULK],
      Operations: [
        { method: 'POST', path: '/Groups', bulkId: 'g1', data: { schemas: [GROUP_SCHEMA], displayName: 'bulk-group', members: [{ value: 'bulkId:u1' }, { value: 'bulkId:u2' }] } },
        { method: 'POST', path: '/Users', bulkId: 'u1', data: oktaUser('bulk1@example.com') },
        { method: 'POST', path: '/Users', bulkId: 'u2', data: oktaUser('bulk2@example.com') },
        { method: 'PATCH', path: '/Users/bulkId:u1', data: patchOps({ op: 'replace', path: 'title', value: 'Patched' }) },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:BulkResponse']);
    const ops = res.body.Operations as Json[];
    expect(ops.map((o) => `${o.method} ${o.bulkId ?? ''} ${o.status}`)).toEqual(['POST u1 201', 'POST u2 201', 'PATCH  200', 'POST g1 201']);
    const u1 = ops[0]!.location.split('/').pop();
    expect(ops[0]).toMatchObject({ version: 'W/"1"', location: `${s.base}/Users/${u1}` });
    const group = await s.scim.get<Json>(ops[3]!.location.replace(s.base, ''));
    expect(group.body.members.map((m: Json) => m.value).sort()).toEqual([u1, ops[1]!.location.split('/').pop()].sort());
    expect((await s.scim.get<Json>(`/Users/${u1}`)).body.title).toBe('Patched');
    const audit = await s.gateway.store.listAudit({ action: 'scim.user.create', actor: `scim:${s.tokenName}` });
    expect(audit.entries.length).toBeGreaterThanOrEqual(2);
  });

  it('reports each failed operation in place and stops after failOnErrors', async () => {
    const res = await s.scim.post<Json>('/Bulk', {
      schemas: [BULK],
      failOnErrors: 2,
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'a', data: oktaUser('bulk1@example.com') },
        { method: 'PUT', path: '/Users/nope', data: oktaUser('x@example.com') },
        { method: 'POST', path: '/Users', bulkId: 'c', data: oktaUser('never@example.com') },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.Operations).toEqual([
      { method: 'POST', bulkId: 'a', status: '409', response: expect.objectContaining({ scimType: 'uniqueness', status: '409' }) },
      { method: 'PUT', status: '404', response: expect.objectContaining({ status: '404' }) },
    ]);
    expect((await s.scim.get<Json>(`/Users?filter=${encodeURIComponent('userName eq "never@example.com"')}`)).body.totalResults).toBe(0);
  });

  it('answers unresolved and circular bulkIds with 409, and a stale version with 412', async () => {
    const user = await s.scim.post<Json>('/Users', oktaUser('versioned@example.com'));
    const res = await s.scim.post<Json>('/Bulk', {
      schemas: [BULK],
      Operations: [
        { method: 'POST', path: '/Groups', bulkId: 'x', data: { displayName: 'x', members: [{ value: 'bulkId:missing' }] } },
        { method: 'POST', path: '/Groups', bulkId: 'p', data: { displayName: 'p', members: [{ value: 'bulkId:q' }] } },
        { method: 'POST', path: '/Groups', bulkId: 'q', data: { displayName: 'q', members: [{ value: 'bulkId:p' }] } },
        { method: 'DELETE', path: `/Users/${user.body.id}`, version: 'W/"41"' },
        { method: 'DELETE', path: '/Widgets/1' },
      ],
    });
    const ops = res.body.Operations as Json[];
    expect(ops.find((o) => o.bulkId === 'x')).toMatchObject({ status: '409', response: { scimType: 'invalidValue' } });
    expect(ops.filter((o) => o.bulkId === 'p' || o.bulkId === 'q').map((o) => o.status)).toEqual(['409', '409']);
    expect(ops.find((o) => o.method === 'DELETE' && o.status === '412')).toBeTruthy();
    expect(ops.find((o) => o.method === 'DELETE' && o.response?.scimType === 'invalidPath')).toBeTruthy();
    expect((await s.scim.get(`/Users/${user.body.id}`)).status).toBe(200);
  });

  it('enforces maxOperations (413 tooMany) and maxPayloadSize (413)', async () => {
    const many = await s.scim.post<Json>('/Bulk', {
      schemas: [BULK],
      Operations: Array.from({ length: 1001 }, (_, i) => ({ method: 'DELETE', path: `/Users/${i}` })),
    });
    expect(many.status).toBe(413);
    expect(many.body).toMatchObject({ status: '413', scimType: 'tooMany' });
    const big = await s.scim.post<Json>('/Bulk', {
      schemas: [BULK],
      Operations: [{ method: 'POST', path: '/Users', bulkId: 'b', data: oktaUser('b@example.com', { title: 'y'.repeat(1_048_577) }) }],
    });
    expect(big.status).toBe(413);
    expect(big.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
  });

  it('refuses malformed bulk requests with 400 invalidSyntax', async () => {
    for (const body of [{ Operations: 'x' }, { Operations: [{ method: 'GET', path: '/Users' }] }, { Operations: [{ method: 'POST', path: '/Users', data: {} }] }, { schemas: ['urn:x'], Operations: [] }]) {
      const res = await s.scim.post<Json>('/Bulk', body);
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe('invalidSyntax');
    }
  });
});
