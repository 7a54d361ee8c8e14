/**
 * The knex SCIM store on each database: filters compile to parameterized SQL (values only in
 * bindings), filters on userName, externalId and emails use an index (checked in the query plan,
 * so they stay fast at 100k users), unique violations come back as conflicts (the SCIM layer's
 * 409s), member deltas report what changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnexScimStore } from '../../../adapters/store/scim-store.ts';
import type { KnexStore } from '../../../adapters/store/knex-store.ts';
import { parseFilter } from '../../../plugin/scim/filter/parse.ts';
import { resolveFilter } from '../../../plugin/scim/filter/resolve.ts';
import { USER_RESOURCE } from '../../../plugin/scim/resources/users.ts';
import { createTestStore, DB_KINDS } from '../../support/db.ts';

const filterOf = (text: string) => resolveFilter(USER_RESOURCE, parseFilter(text));

function write(userName: string, email: string | null, externalId: string | null = null) {
  return {
    doc: { userName, ...(email ? { emails: [{ value: email, primary: true }] } : {}) },
    columns: { userName, email, externalId },
    relations: { emails: email ? [{ value: email, type: 'work', primary: true }] : [] },
  };
}

describe.each(DB_KINDS)('knex SCIM store on %s', (kind) => {
  let store: KnexStore;
  let scim: KnexScimStore;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ store, close } = await createTestStore(kind));
    scim = new KnexScimStore(store);
    // Enough rows for the planner to prefer indexes where they apply.
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      id: `u${String(i).padStart(5, '0')}`,
      user_name: `user${i}@example.com`,
      email: `user${i}@example.com`,
      external_id: `ext${i}`,
      status: 'active',
      instance_admin: false,
      created_at: i,
      updated_at: i,
      version: 1,
      scim: JSON.stringify({ userName: `user${i}@example.com` }),
    }));
    await store.knex.batchInsert('gh_users', rows, 200);
    await store.knex.batchInsert(
      'gh_scim_emails',
      rows.map((r) => ({ user_id: r.id, position: 0, value: r.email, value_lower: r.email, type: 'work', is_primary: true })),
      200,
    );
    if (kind === 'pg') await store.knex.raw('analyze');
  });
  afterAll(() => close());

  it('keeps values out of the SQL text: they travel as bindings only', () => {
    const evil = `a" or 1=1; drop table gh_users; --`;
    const sql = scim.usersWhere(filterOf(`userName eq "${evil.replace(/"/g, '\\"')}" or emails co "%_!\\\\" or title sw "x'y"`)).toSQL();
    expect(sql.sql).not.toContain('drop table');
    expect(sql.sql).not.toContain("x'y");
    expect(sql.bindings).toEqual(expect.arrayContaining(['a" or 1=1; drop table gh_users; --', '%!%!_!!\\%', "x'y%"]));
  });

  it('finds exactly the literal, case-insensitively for userName and emails', async () => {
    const page = (text: string) => scim.queryUsers({ filter: filterOf(text), sort: null, offset: 0, limit: 10 }, { groups: false });
    expect((await page('userName eq "USER42@example.com"')).rows.map((r) => r.id)).toEqual(['u00042']);
    expect((await page('emails.value eq "user7@EXAMPLE.com"')).rows.map((r) => r.id)).toEqual(['u00007']);
    expect((await page('externalId eq "ext9"')).rows.map((r) => r.id)).toEqual(['u00009']);
    expect((await page('externalId eq "EXT9"')).total).toBe(0);
    expect((await page('userName co "%"')).total).toBe(0);
    expect((await page('userName sw "user299"')).total).toBe(11);
  });

  it.each([
    ['userName eq "user42@example.com"', /user_name/],
    ['externalId eq "ext42"', /external_id/],
    ['emails.value eq "user42@example.com"', /value_lower/],
  ])('answers %s from an index', async (text, indexed) => {
    const { sql, bindings } = scim.usersWhere(filterOf(text)).select('gh_users.*').toSQL();
    let plan: string;
    if (kind === 'sqlite') {
      const rows = (await store.knex.raw(`explain query plan ${sql}`, bindings as never)) as { detail: string }[];
      plan = rows.map((r) => r.detail).join('\n');
      expect(plan).not.toMatch(/^SCAN gh_users$/m);
    } else if (kind === 'pg') {
      plan = await store.knex.transaction(async (trx) => {
        const native = trx.raw(sql, bindings as never).toSQL().toNative();
        const res = await trx.raw(`explain ${native.sql.replace(/\$(\d+)/g, '?')}`, native.bindings as never);
        return (res.rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan).not.toMatch(/Seq Scan on gh_users/);
    } else {
      const [rows] = (await store.knex.raw(`explain ${sql}`, bindings as never)) as unknown as [{ key: string | null; table: string }[]];
      plan = rows.map((r) => `${r.table} key=${r.key ?? 'none (full scan)'}`).join('\n');
      expect(plan).not.toMatch(/gh_users key=none/);
    }
    expect(plan).toMatch(/index|Index|key|SEARCH/);
    expect(plan).toMatch(indexed);
  });

  it('returns unique violations as conflicts naming the attribute and value (userName, group displayName; emails may be shared)', async () => {
    await scim.insertUser({ id: 'dup1', status: 'active', ...write('Dup@Example.com', 'dup@example.com') });
    expect(await scim.insertUser({ id: 'dup2', status: 'active', ...write('dup@example.COM', 'other@example.com') })).toEqual({ conflict: 'userName', value: 'dup@example.COM' });
    // Emails are not unique (RFC 7643: userName is the only unique attribute of a User).
    expect(await scim.insertUser({ id: 'dup3', status: 'active', ...write('third@example.com', 'DUP@example.com') })).toMatchObject({ email: 'dup@example.com' });
    expect(await scim.updateUser('dup3', write('DUP@example.com', null), null)).toEqual({ conflict: 'userName', value: 'DUP@example.com' });
    await scim.insertGroup({ id: 'g1', doc: { displayName: 'Admins' }, columns: { displayName: 'Admins', externalId: null }, relations: {} });
    expect(await scim.insertGroup({ id: 'g2', doc: { displayName: 'ADMINS' }, columns: { displayName: 'ADMINS', externalId: null }, relations: {} })).toEqual({ conflict: 'displayName', value: 'ADMINS' });
    await scim.insertGroup({ id: 'g3', doc: { displayName: 'Ops' }, columns: { displayName: 'Ops', externalId: null }, relations: {} });
    expect(await scim.updateGroup('g3', { doc: { displayName: 'admins' }, columns: { displayName: 'admins', externalId: null }, relations: {} }, null)).toEqual({ conflict: 'displayName', value: 'admins' });
  });

  it('updates only the expected version and reports member changes', async () => {
    const row = await scim.getUser('dup1', { groups: false });
    expect(row?.userName).toBe('dup@example.com');
    expect(row?.doc).toMatchObject({ userName: 'Dup@Example.com' });
    expect(await scim.updateUser('dup1', { status: 'deprovisioned' }, 99)).toBeNull();
    expect(await scim.updateUser('dup1', { status: 'deprovisioned' }, row!.version)).toMatchObject({ version: row!.version + 1 });
    expect(await scim.addMembers('g1', ['u00001', 'u00002'])).toEqual(['u00001', 'u00002']);
    expect(await scim.addMembers('g1', ['u00002', 'u00003'])).toEqual(['u00003']);
    expect(await scim.removeMembers('g1', ['u00003', 'nobody'])).toEqual(['u00003']);
    expect((await scim.memberIds('g1')).sort()).toEqual(['u00001', 'u00002']);
    expect((await scim.getUsers(['u00001'], { groups: true }))[0]?.groups).toEqual([{ id: 'g1', displayName: 'Admins' }]);
    expect(await scim.existingUserIds(['u00001', 'nope'])).toEqual(new Set(['u00001']));
    await store.seedOrganizations([{ id: 'acme', roles: ['admin', 'viewer'], groups: [] }]);
    await store.addMemberships('u00001', [
      { organization: 'acme', kind: 'role', name: 'viewer', source: 'scim', mapper: 'groupsPattern' },
      { organization: 'acme', kind: 'role', name: 'admin', source: 'sso', mapper: 'rules' },
    ]);
    const many = await scim.membershipsOf(['u00001', 'u00002']);
    expect(many.get('u00001')).toEqual(await store.listMemberships('u00001'));
    expect(many.get('u00002')).toEqual([]);
  });

  it('writes audit rows in batches', async () => {
    await scim.auditMany(Array.from({ length: 250 }, (_, i) => ({ at: 1000 + i, action: 'scim.user.get', actor: 'scim:batch', details: { i } })));
    const { entries } = await store.listAudit({ actor: 'scim:batch', limit: 500 });
    expect(entries).toHaveLength(250);
    expect(entries[0]).toMatchObject({ at: 1249, action: 'scim.user.get', details: { i: 249 } });
  });
});
