/**
 * Property-based tests over real HTTP: random SCIM filters and random PATCH bodies never get a
 * 500, and a string filter never returns a row outside its literal match (LIKE metacharacters,
 * quotes and backslashes are data, not syntax).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/db.ts';
import { PATCH_OP, startScimServer, USER_SCHEMA, type ScimServer } from '../plugin/scim/helpers.ts';

/** Usernames full of what a naive LIKE or string concatenation would mistake for syntax. */
const TRICKY = ['a%b@x.test', 'a_b@x.test', 'axb@x.test', 'a\\b@x.test', 'a"b@x.test', "a'b@x.test", 'A!B@x.test', 'ab@x.test', '%@x.test', '_@x.test', 'plain@x.test', 'Ünï@x.test'];
const ALPHABET = ['a', 'b', 'x', '%', '_', '\\', '"', "'", '!', '@', '.', 'A', 'B', 'test', 'Ü'];

type ListBody = { totalResults: number; Resources: { userName: string }[] };

describe.each(DB_KINDS)('SCIM fuzzing on %s', (db) => {
  let s: ScimServer;
  const ids: string[] = [];
  beforeAll(async () => {
    s = await startScimServer(db);
    for (const userName of TRICKY) {
      const res = await s.scim.post<{ id: string }>('/Users', { schemas: [USER_SCHEMA], userName, active: true });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
  });
  afterAll(() => s?.close());

  const literal = fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 6 }).map((p) => p.join(''));

  it('string operators return exactly the literal matches (eq, co, sw, ew), whatever the characters', async () => {
    const ops: Record<string, (name: string, v: string) => boolean> = {
      eq: (n, v) => n === v,
      co: (n, v) => n.includes(v),
      sw: (n, v) => n.startsWith(v),
      ew: (n, v) => n.endsWith(v),
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('eq', 'co', 'sw', 'ew'), literal, async (op, value) => {
        const filter = `userName ${op} ${JSON.stringify(value)}`;
        const res = await s.scim.get<ListBody>(`/Users?count=100&filter=${encodeURIComponent(filter)}`);
        expect(res.status).toBe(200);
        // userName is case-insensitive (RFC 7643): compare lower-cased, ASCII and beyond.
        const expected = TRICKY.filter((n) => ops[op]!(n.toLowerCase(), value.toLowerCase())).map((n) => n.toLowerCase()).sort();
        expect(res.body.Resources.map((r) => r.userName.toLowerCase()).sort()).toEqual(expected);
      }),
      { numRuns: 120 },
    );
  });

  it('random filter text is a 200 or a 400 invalidFilter, never a 500', async () => {
    const token = fc.constantFrom('userName', 'emails', 'emails.value', 'name.givenName', 'meta.created', 'active', 'eq', 'ne', 'co', 'sw', 'ew', 'pr', 'gt', 'ge', 'lt', 'le', 'and', 'or', 'not', '(', ')', '[', ']', '"x"', '"%"', '"\\""', 'true', 'null', '1', ' ', 'type', '"work"', 'unknownAttr', 'urn:ietf:params:scim:schemas:core:2.0:User:userName');
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.array(token, { maxLength: 25 }).map((t) => t.join(' ')), fc.string({ maxLength: 80 })), async (filter) => {
        const res = await s.scim.get<{ scimType?: string }>(`/Users?filter=${encodeURIComponent(filter)}`);
        expect([200, 400]).toContain(res.status);
        if (res.status === 400) expect(res.body.scimType).toBe('invalidFilter');
      }),
      { numRuns: 150 },
    );
  });

  it('random PATCH bodies are a 2xx or a 4xx SCIM error, never a 500, and the user stays readable', async () => {
    const json = fc.oneof(fc.string({ maxLength: 10 }), fc.boolean(), fc.integer(), fc.constant(null), fc.constantFrom('True', 'False'), fc.dictionary(fc.constantFrom('value', 'type', 'primary', 'active', 'givenName', 'x'), fc.oneof(fc.string({ maxLength: 8 }), fc.boolean())));
    const op = fc.record(
      {
        op: fc.constantFrom('add', 'replace', 'remove', 'Add', 'REPLACE', 'bogus'),
        path: fc.constantFrom('active', 'userName', 'name.givenName', 'emails', 'emails[type eq "work"].value', 'emails[value co "%"]', 'displayName', 'nope', 'name[', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', ''),
        value: fc.oneof(json, fc.array(json, { maxLength: 3 })),
      },
      { requiredKeys: ['op'] },
    );
    const body = fc.oneof(
      fc.record({ schemas: fc.constant([PATCH_OP]), Operations: fc.array(op, { maxLength: 4 }) }),
      fc.record({ Operations: fc.anything({ maxDepth: 2 }) }, { requiredKeys: [] }),
      fc.anything({ maxDepth: 2 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ids), body, async (id, patch) => {
        const res = await s.scim.patch(`/Users/${id}`, patch);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(res.body).toMatchObject({ status: String(res.status) });
        expect((await s.scim.get(`/Users/${id}`)).status).toBe(200);
      }),
      { numRuns: 120 },
    );
  });
});
