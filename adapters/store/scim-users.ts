/**
 * SCIM Users on knex: the core users table (the SCIM document in `scim`, filterable attributes in
 * their own columns), their emails (scim_emails) and, read-only, the groups they are in.
 */
import type { Knex } from 'knex';
import type { ScimFilterNode, ScimUserRow, ScimUserStore, ScimWrite } from '../../plugin/scim/ports.ts';
import type { Membership } from '../../plugin/types.ts';
import { compile, type scimScopes } from '../scim/sql-filter.ts';
import { rowToMembership, rowToUser, userRowOf, type Row } from './rows.ts';
import { LIST_FIELDS, toRawUserRow, toUserRow, USER_FIELDS } from './scim-rows.ts';
import { insertUnique, page, versionedUpdate } from './scim-paging.ts';
import { chunks, lockRows, type SqlContext } from './sql.ts';

/** The users port of the SCIM store, plus the filtered query (exposed for query-plan tests). */
export interface KnexScimUsers extends ScimUserStore {
  usersWhere(filter: ScimFilterNode | null): Knex.QueryBuilder;
}

/** SCIM Users on the runner of `c`; `s` maps logical columns to the tables (sql-filter.ts `scimScopes`). */
export function knexScimUsers(c: SqlContext, s: ReturnType<typeof scimScopes>): KnexScimUsers {
  const { db, t } = c;

  const columnsOf = (columns: ScimWrite['columns']): Row => {
    const out: Row = {};
    for (const [logical, value] of Object.entries(columns)) {
      const physical = s.userWrite[logical];
      if (physical === undefined) continue;
      if (physical === 'user_name' || physical === 'email') out[physical] = typeof value === 'string' ? value.toLowerCase() : null;
      else out[physical] = value;
      if (physical === 'email') out.email_original = typeof value === 'string' ? value : null;
    }
    return out;
  };

  const writeEmails = async (userId: string, rows: ScimWrite['relations'][string], replace = true): Promise<void> => {
    if (replace) await db(t('scim_emails')).where({ user_id: userId }).delete();
    const data = rows
      .filter((e) => typeof e.value === 'string' && e.value !== '')
      .map((e, position) => ({
        user_id: userId,
        position,
        value: String(e.value).slice(0, 320),
        value_lower: String(e.value).toLowerCase().slice(0, 320),
        type: typeof e.type === 'string' ? e.type.slice(0, 64) : null,
        is_primary: e.primary === true,
      }));
    if (data.length) await db(t('scim_emails')).insert(data);
  };

  /**
   * The groups of many users in two lookups: their memberships from the (user_id, group_id) index
   * alone, then the names of the distinct groups once each (a page of 100 users shares a few
   * dozen groups; joining the groups table for every membership row reads it once per row).
   * `rows` are fresh from the database: their `groups` are set in place.
   */
  const attachGroups = async (rows: ScimUserRow[]): Promise<ScimUserRow[]> => {
    const byUser = new Map<string, ScimUserRow>();
    for (const r of rows) {
      r.groups = [];
      byUser.set(r.id, r);
    }
    const pairs: Row[] = [];
    for (const ids of chunks([...byUser.keys()])) {
      pairs.push(...((await db(t('scim_group_members')).select('user_id', 'group_id').whereIn('user_id', ids)) as Row[]));
    }
    const names = new Map<string, { name: string; lower: string }>();
    for (const ids of chunks([...new Set(pairs.map((p) => String(p.group_id)))])) {
      const found = (await db(t('scim_groups')).select('id', 'display_name', 'display_name_lower').whereIn('id', ids)) as Row[];
      for (const g of found) names.set(String(g.id), { name: String(g.display_name), lower: String(g.display_name_lower) });
    }
    const found = new Map<ScimUserRow, { id: string; name: string; lower: string }[]>();
    for (const p of pairs) {
      const id = String(p.group_id);
      const g = names.get(id);
      const user = byUser.get(String(p.user_id));
      if (!g || !user) continue;
      const list = found.get(user);
      if (list) list.push({ id, name: g.name, lower: g.lower });
      else found.set(user, [{ id, name: g.name, lower: g.lower }]);
    }
    // Sorted here, not in SQL: a few groups per user sort for free.
    for (const [user, list] of found) {
      if (list.length > 1) list.sort((a, b) => (a.lower < b.lower ? -1 : a.lower > b.lower ? 1 : 0));
      user.groups = list.map((g) => ({ id: g.id, displayName: g.name }));
    }
    return rows;
  };

  /** Users with their groups in one query (a LEFT JOIN row per group); `lock` locks the user rows only. */
  const usersWithGroups = async (where: (q: Knex.QueryBuilder) => void, lock = false): Promise<ScimUserRow[]> => {
    const q = db({ u: t('users') })
      .leftJoin({ gm: t('scim_group_members') }, 'gm.user_id', 'u.id')
      .leftJoin({ gg: t('scim_groups') }, 'gg.id', 'gm.group_id')
      .select(...USER_FIELDS.map((f) => `u.${f}`), 'gg.id as g_id', 'gg.display_name as g_name')
      .whereNotNull('u.user_name')
      .orderBy(['u.id', 'gg.display_name_lower']);
    where(q);
    if (lock) q.forUpdate('u');
    const byId = new Map<string, ScimUserRow>();
    for (const r of (await q) as Row[]) {
      const id = String(r.id);
      let row = byId.get(id);
      if (!row) byId.set(id, (row = { ...toUserRow(r), groups: [] }));
      if (r.g_id !== null && r.g_id !== undefined) row.groups?.push({ id: String(r.g_id), displayName: String(r.g_name) });
    }
    return [...byId.values()];
  };

  /**
   * How a read that locks can join: SQLite needs no lock (one writer), PostgreSQL locks only the
   * user row (`FOR UPDATE OF u`), MySQL would lock the joined rows too, so it locks apart.
   */
  const joinLock: 'none' | 'of' | 'apart' = c.dialect === 'sqlite' ? 'none' : c.dialect === 'pg' ? 'of' : 'apart';

  const usersWhere = (filter: ScimFilterNode | null): Knex.QueryBuilder => {
    const q = db(t('users')).whereNotNull(`${t('users')}.user_name`);
    if (filter) {
      const compiled = compile(filter, s.users, c.prefix);
      q.whereRaw(compiled.sql, compiled.bindings as Knex.RawBinding[]);
    }
    return q;
  };

  return {
    usersWhere,

    async getUser(id, opts) {
      if (opts.groups && (!opts.lock || joinLock !== 'apart')) {
        return (await usersWithGroups((q) => q.where('u.id', id), opts.lock === true && joinLock === 'of'))[0] ?? null;
      }
      const q = db(t('users')).select(USER_FIELDS).where({ id }).whereNotNull('user_name').first();
      const r = (await (opts.lock ? lockRows(q, c.dialect) : q)) as Row | undefined;
      if (!r) return null;
      const row = toUserRow(r);
      return opts.groups ? ((await attachGroups([row]))[0] ?? row) : row;
    },

    async getUsers(ids, opts) {
      const rows: ScimUserRow[] = [];
      for (const part of chunks([...new Set(ids)])) {
        if (opts.groups) rows.push(...(await usersWithGroups((q) => q.whereIn('u.id', part))));
        else rows.push(...((await db(t('users')).select(USER_FIELDS).whereIn('id', part).whereNotNull('user_name')) as Row[]).map(toUserRow));
      }
      return rows;
    },

    async queryUsers(query, opts) {
      // A listed user is rendered from its SCIM document; the other columns are read only for the
      // users that have none (made by an SSO login, never written through SCIM).
      const { total, rows } = await page(usersWhere(query.filter), t('users'), LIST_FIELDS, s.users, query);
      const bare = rows.filter((r) => typeof r.scim !== 'string' || r.scim === '').map((r) => String(r.id));
      if (bare.length) {
        const full = new Map<string, Row>();
        for (const part of chunks(bare)) for (const r of (await db(t('users')).select(USER_FIELDS).whereIn('id', part)) as Row[]) full.set(String(r.id), r);
        for (let i = 0; i < rows.length; i++) rows[i] = full.get(String(rows[i]?.id)) ?? (rows[i] as Row);
      }
      const users = rows.map(opts.rawDocs ? toRawUserRow : toUserRow);
      return { total, rows: opts.groups && users.length ? await attachGroups(users) : users };
    },

    async insertUser(input) {
      const at = c.now();
      const row: Row = { id: input.id, instance_admin: false, ...columnsOf(input.columns), status: input.status, scim: JSON.stringify(input.doc), created_at: at, updated_at: at, version: 1 };
      const conflict = await insertUnique(c, 'users', row, input.columns);
      if (conflict) return conflict;
      if (input.relations.emails) await writeEmails(input.id, input.relations.emails, false);
      return toUserRow(row);
    },

    async updateUser(id, input, expectedVersion, base) {
      const columns = input.columns ? columnsOf(input.columns) : {};
      const cols: Row = { ...columns };
      if (input.doc) cols.scim = JSON.stringify(input.doc);
      if (input.status) cols.status = input.status;
      const at = c.now();
      const updated = await versionedUpdate(c, 'users', id, cols, expectedVersion, at, input.columns ?? {});
      if (updated !== true) return updated === false ? null : updated;
      if (input.relations?.emails) await writeEmails(id, input.relations.emails);
      // The version check pinned the row: the base plus what was written is what is stored.
      if (base && base.id === id && expectedVersion === base.version) {
        return { ...toUserRow({ ...userRowOf(base), ...columns, status: input.status ?? base.status, updated_at: at, version: base.version + 1 }), doc: input.doc ?? base.doc };
      }
      const r = (await db(t('users')).select(USER_FIELDS).where({ id }).first()) as Row | undefined;
      return r ? toUserRow(r) : null;
    },

    async adoptionCandidates(userNameLower, emailLower) {
      const rows = (await db(t('users'))
        .whereNull('scim')
        .where((w) => {
          w.where({ user_name: userNameLower });
          if (emailLower !== null) w.orWhere({ email: emailLower });
        })
        .orderBy('id')
        .limit(3)) as Row[];
      return rows.map(rowToUser);
    },

    async touchUsers(ids, activate = []) {
      const at = c.now();
      const promote = new Set(activate);
      for (const part of chunks([...new Set(ids)].sort())) {
        const up = part.filter((id) => promote.has(id));
        const patch: Row = { updated_at: at, version: db.raw('version + 1') };
        if (up.length) patch.status = db.raw(`case when ?? in (${up.map(() => '?').join(', ')}) then ? else ?? end`, ['id', ...up, 'active', 'status']);
        await db(t('users')).whereIn('id', part).update(patch);
      }
    },

    async existingUserIds(ids) {
      const out = new Set<string>();
      for (const part of chunks([...new Set(ids)])) {
        for (const r of (await db(t('users')).select('id').whereIn('id', part).whereNotNull('user_name')) as Row[]) out.add(String(r.id));
      }
      return out;
    },

    async membershipsOf(userIds) {
      const out = new Map<string, Membership[]>(userIds.map((id) => [id, []]));
      for (const part of chunks([...new Set(userIds)])) {
        const rows = (await db(t('memberships')).whereIn('user_id', part).orderBy(['user_id', 'organization_id', 'kind', 'name', 'source'])) as Row[];
        for (const r of rows) out.get(String(r.user_id))?.push(rowToMembership(r));
      }
      return out;
    },
  };
}
