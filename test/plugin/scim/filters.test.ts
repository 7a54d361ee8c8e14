/**
 * Every filter operator over HTTP against a real database, and injection attempts: each answers
 * 400 `invalidFilter` or the exact literal matches, never a 500 and never an extra row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../support/db.ts';
import { GROUP_SCHEMA, startScimServer, USER_SCHEMA, type ScimServer } from './helpers.ts';

type Json = Record<string, any>;

const PEOPLE = [
  { key: 'alice', userName: 'alice@x.test', title: 'Engineer', emails: [{ value: 'alice@x.test', type: 'work', primary: true }, { value: 'alice@home.test', type: 'home' }] },
  { key: 'bob', userName: 'Bob@Y.test', title: 'Manager', emails: [{ value: 'bob@y.test', type: 'work', primary: true }] },
  { key: 'carol', userName: 'carol@x.test', title: null, emails: [{ value: 'carol@home.test', type: 'home', primary: true }] },
  { key: 'pct', userName: 'a%b@x.test', title: 'Engineer' },
  { key: 'und', userName: 'a_b@x.test', title: 'engineer' },
  { key: 'bsl', userName: 'a\\b@x.test', title: 'Eng' },
  { key: 'quote', userName: 'a" or "1"="1', title: 'Quoted' },
  { key: 'bang', userName: 'a!b@x.test', title: 'Bang' },
  { key: 'sure', userName: '100%_sure@x.test', title: 'ENGINEER' },
];

describe.each(DB_KINDS)('SCIM filters over HTTP on %s', (kind) => {
  let s: ScimServer;
  const ids = new Map<string, string>();
  const keyOf = new Map<string, string>();

  beforeAll(async () => {
    s = await startScimServer(kind);
    for (const p of PEOPLE) {
      const res = await s.scim.post<Json>('/Users', {
        schemas: [USER_SCHEMA],
        userName: p.userName,
        externalId: `ext-${p.key}`,
        name: { givenName: p.key, familyName: 'F' },
        ...(p.title ? { title: p.title } : {}),
        ...(p.emails ? { emails: p.emails } : {}),
      });
      expect(res.status, res.text).toBe(201);
      ids.set(p.key, res.body.id);
      keyOf.set(res.body.id, p.key);
      // Distinct creation times for the dateTime comparisons.
      await new Promise((r) => setTimeout(r, 5));
    }
    const g = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Admins', members: [{ value: ids.get('alice') }, { value: ids.get('bob') }] });
    expect(g.status).toBe(201);
  });
  afterAll(() => s.close());

  async function find(filter: string): Promise<string[]> {
    const res = await s.scim.get<Json>(`/Users?count=1000&filter=${encodeURIComponent(filter)}`);
    expect(res.status, `${filter}: ${res.text}`).toBe(200);
    expect(res.body.totalResults).toBe(res.body.Resources.length);
    return res.body.Resources.map((r: Json) => keyOf.get(r.id)).sort();
  }
  async function refused(filter: string): Promise<Json> {
    const res = await s.scim.get<Json>(`/Users?filter=${encodeURIComponent(filter)}`);
    expect(res.status, `${filter}: ${res.text}`).toBe(400);
    expect(res.body.scimType).toBe('invalidFilter');
    return res.body;
  }

  it('eq is exact but case-insensitive on userName', async () => {
    expect(await find('userName eq "bob@y.test"')).toEqual(['bob']);
    expect(await find('USERNAME EQ "ALICE@X.TEST"')).toEqual(['alice']);
  });

  it('ne matches everything else, including users without the attribute', async () => {
    expect(await find('title ne "engineer"')).toEqual(['bang', 'bob', 'bsl', 'carol', 'quote']);
  });

  it('co, sw and ew', async () => {
    expect(await find('userName co "@x.test"')).toEqual(['alice', 'bang', 'bsl', 'carol', 'pct', 'sure', 'und']);
    expect(await find('userName sw "A"')).toEqual(['alice', 'bang', 'bsl', 'pct', 'quote', 'und']);
    expect(await find('userName ew "Y.TEST"')).toEqual(['bob']);
    expect(await find('name.givenName co "aro"')).toEqual(['carol']);
  });

  it('gt, ge, lt, le on strings and dateTimes', async () => {
    expect(await find('userName gt "c"')).toEqual(['carol']);
    expect(await find('userName ge "carol@x.test"')).toEqual(['carol']);
    expect(await find('userName lt "b"')).toEqual(['alice', 'bang', 'bsl', 'pct', 'quote', 'sure', 'und']);
    expect(await find('userName le "bob@y.test" and userName gt "b"')).toEqual(['bob']);
    const created = (await s.scim.get<Json>(`/Users/${ids.get('carol')}`)).body.meta.created as string;
    expect(await find(`meta.created lt "${created}"`)).toEqual(['alice', 'bob']);
    expect(await find(`meta.created le "${created}"`)).toEqual(['alice', 'bob', 'carol']);
    expect(await find(`meta.created gt "${created}" and meta.created ge "${created}"`)).toEqual(['bang', 'bsl', 'pct', 'quote', 'sure', 'und']);
  });

  it('pr, and, or, not, parentheses', async () => {
    expect(await find('title pr and not (title eq "engineer")')).toEqual(['bang', 'bob', 'bsl', 'quote']);
    expect(await find('(userName eq "bob@y.test" or userName eq "carol@x.test") and title pr')).toEqual(['bob']);
    expect(await find('not (title pr)')).toEqual(['carol']);
    expect(await find('title eq null')).toEqual(['carol']);
    expect(await find('userName eq "bob@y.test" or externalId eq "ext-carol" or externalId eq "EXT-ALICE"')).toEqual(['bob', 'carol']);
  });

  it('filters on multi-valued and complex attributes', async () => {
    expect(await find('emails.value eq "ALICE@HOME.TEST"')).toEqual(['alice']);
    expect(await find('emails[type eq "work" and value co "@x.test"]')).toEqual(['alice']);
    expect(await find('emails[type eq "home"]')).toEqual(['alice', 'carol']);
    expect(await find('emails pr')).toEqual(['alice', 'bob', 'carol']);
    expect(await find('emails[primary eq true and type eq "home"]')).toEqual(['carol']);
    expect(await find('emails.value ne "bob@y.test"')).toEqual(['alice', 'carol']);
    expect(await find('groups.display eq "admins"')).toEqual(['alice', 'bob']);
    expect(await find('not (emails co "x.test")')).toEqual(['bang', 'bob', 'bsl', 'carol', 'pct', 'quote', 'sure', 'und']);
  });

  it('treats % _ ! and backslash as literals (LIKE metacharacters escaped)', async () => {
    expect(await find('userName co "%"')).toEqual(['pct', 'sure']);
    expect(await find('userName co "_"')).toEqual(['sure', 'und']);
    expect(await find('userName co "%_"')).toEqual(['sure']);
    expect(await find('userName co "!"')).toEqual(['bang']);
    expect(await find('userName co "\\\\"')).toEqual(['bsl']);
    expect(await find('userName sw "a%"')).toEqual(['pct']);
    expect(await find('userName ew "%"')).toEqual([]);
    expect(await find('userName eq "%"')).toEqual([]);
    expect(await find('userName eq "a_b@x.test"')).toEqual(['und']);
  });

  it('case-exact attributes compare exactly, even with LIKE', async () => {
    expect(await find('externalId co "ALICE"')).toEqual([]);
    expect(await find('externalId co "alice"')).toEqual(['alice']);
    expect(await find('externalId sw "EXT"')).toEqual([]);
    expect(await find('externalId ew "Carol"')).toEqual([]);
    expect(await find('externalId ew "carol"')).toEqual(['carol']);
  });

  it('reads an escaped quote as part of the literal: the injection finds exactly its own user', async () => {
    expect(await find('userName eq "a\\" or \\"1\\"=\\"1"')).toEqual(['quote']);
    expect(await find('userName eq "x\\" or userName pr or userName eq \\"y"')).toEqual([]);
    expect(await find("userName eq \"x'; drop table gh_users; --\"")).toEqual([]);
    expect(await find("userName eq \"' or 1=1 --\"")).toEqual([]);
    expect((await s.scim.get<Json>('/Users?count=1')).body.totalResults).toBe(PEOPLE.length);
  });

  it('answers hostile or unknown filters with 400 invalidFilter, never a 500', async () => {
    await refused(`${'('.repeat(1000)}userName eq "x"${')'.repeat(1000)}`);
    await refused(`userName eq "${'a'.repeat(10 * 1024)}"`);
    await refused(Array.from({ length: 400 }, (_, i) => `userName eq "u${i}"`).join(' or '));
    await refused('userName eq "a" or 1=1');
    await refused('userName eq "a"; drop table gh_users');
    await refused('password eq "x"');
    await refused('userNames eq "x"');
    await refused('userName eq');
    await refused('emails[value eq "x"');
    await refused('meta.created gt "not a date"');
    const twice = await s.scim.get<Json>(`/Users?filter=${encodeURIComponent('userName pr')}&filter=${encodeURIComponent('title pr')}`);
    expect(twice.status).toBe(400);
    // A long but legal chain still works (and flattens, so the SQL does not nest deeply).
    expect(await find(Array.from({ length: 150 }, (_, i) => `userName eq "u${i}"`).join(' or ') + ' or userName eq "bob@y.test"')).toEqual(['bob']);
  });

  it('filters Groups by displayName, externalId and members', async () => {
    const res = await s.scim.get<Json>(`/Groups?filter=${encodeURIComponent(`members[value eq "${ids.get('bob')}"] and displayName sw "ADM"`)}`);
    expect(res.body.totalResults).toBe(1);
    const none = await s.scim.get<Json>(`/Groups?filter=${encodeURIComponent(`members.value eq "${ids.get('carol')}"`)}`);
    expect(none.body.totalResults).toBe(0);
    const bad = await s.scim.get<Json>(`/Groups?filter=${encodeURIComponent('userName eq "x"')}`);
    expect(bad.status).toBe(400);
  });
});
