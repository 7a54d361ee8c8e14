/**
 * Bodies nested beyond 32 levels are refused with 400 invalidSyntax (SCIM error shape) on every
 * endpoint that reads a body, and inside every Bulk operation, before anything walks them: a
 * Bulk whose operation data nested 5,000 levels deep used to overflow the stack (500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../support/db.ts';
import { ERROR_SCHEMA, GROUP_SCHEMA, PATCH_OP, oktaUser, startScimServer, type ScimServer } from './helpers.ts';

type Json = Record<string, any>;
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

/** A JSON value nested `levels` deep: objects and arrays in turn. */
const nested = (levels: number): string => {
  let s = '1';
  for (let i = 0; i < levels; i++) s = i % 2 ? `[${s}]` : `{"a":${s}}`;
  return s;
};

describe.each(DB_KINDS)('SCIM body nesting limit on %s', (kind) => {
  let s: ScimServer;
  let userId: string;
  let groupId: string;
  beforeAll(async () => {
    s = await startScimServer(kind);
    userId = (await s.scim.post<Json>('/Users', oktaUser('nest@example.com'))).body.id;
    groupId = (await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Nest' })).body.id;
  });
  afterAll(() => s.close());

  // Each body puts `deep` (a value nested N levels) where that endpoint reads or ignores it.
  const bodies = (deep: string): [string, () => string, string][] => [
    ['POST', () => '/Users', `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"deep@example.com","x":${deep}}`],
    ['PUT', () => `/Users/${userId}`, `{"userName":"nest@example.com","name":${deep}}`],
    ['PATCH', () => `/Users/${userId}`, `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","value":${deep}}]}`],
    ['POST', () => '/Groups', `{"schemas":["${GROUP_SCHEMA}"],"displayName":"Deep","members":[${deep}]}`],
    ['PUT', () => `/Groups/${groupId}`, `{"schemas":["${GROUP_SCHEMA}"],"displayName":"Nest","x":${deep}}`],
    ['PATCH', () => `/Groups/${groupId}`, `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","path":"members","value":[${deep}]}]}`],
    ['POST', () => '/Users/.search', `{"schemas":["${SEARCH}"],"attributes":${deep}}`],
    ['POST', () => '/Groups/.search', `{"schemas":["${SEARCH}"],"x":${deep}}`],
    ['POST', () => '/.search', `{"schemas":["${SEARCH}"],"filter":${deep}}`],
    ['POST', () => '/Bulk', `{"schemas":["${BULK}"],"Operations":[{"method":"POST","path":"/Users","bulkId":"u","data":{"userName":"b@example.com","x":${deep}}}]}`],
    ['POST', () => '/Bulk', `{"schemas":["${BULK}"],"Operations":[{"method":"PATCH","path":"/Users/${userId}","data":{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","value":${deep}}]}}]}`],
  ];

  it.each([33, 5_000])('a body nested %i levels: 400 invalidSyntax on every endpoint, nothing written', async (levels) => {
    for (const [method, path, body] of bodies(nested(levels))) {
      const res = await s.scim.request<Json>(method, path(), body);
      expect({ method, path: path(), status: res.status, body: res.body }).toMatchObject({
        status: 400,
        body: { schemas: [ERROR_SCHEMA], status: '400', scimType: 'invalidSyntax', detail: 'The request body nests deeper than 32 levels.' },
      });
    }
    expect(await s.gateway.knex('gh_users').whereIn('user_name', ['deep@example.com', 'b@example.com'])).toEqual([]);
  });

  it('a body nested exactly 32 levels is read (and judged on its content)', async () => {
    // The document itself is level 1: 31 more levels below it.
    const res = await s.scim.post<Json>('/Users', `{"userName":"level32@example.com","x":${nested(30)}}`);
    expect(res.status).toBe(201);
  });
});
