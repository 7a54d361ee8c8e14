/**
 * The knex implementation of the SCIM store port, on SQLite, PostgreSQL and MySQL with one query
 * path: users in the core users table (the SCIM document in `scim`, filterable attributes in their
 * own columns), emails, groups and members in their own tables (002_scim). Filters compile to
 * parameterized SQL in adapters/scim/sql-filter.ts. Unique violations become SCIM 409s.
 */
import type { Knex } from 'knex';
import type { StoreOps } from '../../plugin/ports.ts';
import { scimError } from '../../plugin/scim/errors.ts';
import type {
  ScimFilterNode,
  ScimGroupRow,
  ScimMemberRef,
  ScimQuery,
  ScimStore,
  ScimStoreOps,
  ScimTransaction,
  ScimUserRow,
  ScimWrite,
  TimedAuditEntry,
} from '../../plugin/scim/ports.ts';
import type { Membership, UserRecord, UserStatus } from '../../plugin/types.ts';
import { isRetryableTxError, isUniqueViolation } from './database.ts';
import { KnexOps, rowToUser, type KnexStore } from './knex-store.ts';
import { columnOf, compile, scimScopes, type Scope } from '../scim/sql-filter.ts';
import { dialectOf } from './dialect.ts';

type Row = Record<string, unknown>;

const CHUNK = 500;

/** What a user row needs for SCIM: fetching every column costs several times more per row on SQLite. */
const USER_FIELDS = ['id', 'user_name', 'email', 'email_original', 'external_id', 'given_name', 'family_name', 'display_name', 'status', 'instance_admin', 'created_at', 'updated_at', 'version', 'scim'];

/** What a listed user needs when it has a SCIM document (see queryUsers). */
const LIST_FIELDS = ['id', 'user_name', 'status', 'created_at', 'updated_at', 'version', 'scim'];

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

// ------------------------------------------------------------------ rows

function parseDoc(v: unknown): Record<string, unknown> | null {
  if (typeof v !== 'string' || v === '') return null;
  try {
    const doc = JSON.parse(v) as unknown;
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function toUserRow(r: Row): ScimUserRow {
  return { ...rowToUser(r), doc: parseDoc(r.scim) };
}

/** A user row whose document stays JSON text (see ScimUserRow.docJson). */
function toRawUserRow(r: Row): ScimUserRow {
  return { ...rowToUser(r), doc: null, docJson: typeof r.scim === 'string' && r.scim !== '' ? r.scim : null };
}

/** A user record back as the row it was read from (to apply an update to it without re-reading). */
function userRowOf(u: UserRecord): Row {
  return {
    id: u.id,
    email: u.email,
    email_original: u.emailOriginal,
    user_name: u.userName,
    external_id: u.externalId,
    given_name: u.givenName,
    family_name: u.familyName,
    display_name: u.displayName,
    status: u.status,
    instance_admin: u.instanceAdmin,
    created_at: u.createdAt,
    updated_at: u.updatedAt,
    version: u.version,
  };
}

function toGroupRow(r: Row): ScimGroupRow {
  return {
    id: String(r.id),
    displayName: String(r.display_name),
    externalId: r.external_id === null || r.external_id === undefined ? null : String(r.external_id),
    doc: parseDoc(r.scim),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    version: Number(r.version),
  };
}

/** A unique violation as the SCIM 409 it means; anything else unchanged. */
function uniqueness(e: unknown, values: Record<string, unknown>): unknown {
  if (!isUniqueViolation(e)) return e;
  // Which constraint: pg names it; SQLite and MySQL say it after the SQL text (which mentions every column).
  const err = e as { constraint?: unknown; message?: unknown };
  const msg = String(err.message ?? '');
  const where = typeof err.constraint === 'string' ? err.constraint : (/for key '([^']+)'/.exec(msg)?.[1] ?? /UNIQUE constraint failed: ([\w., ]+)/.exec(msg)?.[1] ?? '');
  if (/display_name/.test(where)) return scimError.uniqueness(`A Group with displayName "${String(values.displayName)}" already exists.`);
  return scimError.uniqueness(`A User with userName "${String(values.userName)}" already exists.`);
}

export class KnexScimOps implements ScimStoreOps {
  private readonly s: ReturnType<typeof scimScopes>;

  constructor(
    readonly db: Knex | Knex.Transaction,
    readonly prefix: string,
    readonly now: () => number,
  ) {
    this.s = scimScopes(prefix);
  }

  private t(name: string): string {
    return `${this.prefix}${name}`;
  }

  // ---------------------------------------------------------------- users

  private userColumns(columns: ScimWrite['columns']): Row {
    const out: Row = {};
    for (const [logical, value] of Object.entries(columns)) {
      const physical = this.s.userWrite[logical];
      if (physical === undefined) continue;
      if (physical === 'user_name' || physical === 'email') out[physical] = typeof value === 'string' ? value.toLowerCase() : null;
      else out[physical] = value;
      if (physical === 'email') out.email_original = typeof value === 'string' ? value : null;
    }
    return out;
  }

  private async writeEmails(userId: string, rows: ScimWrite['relations'][string], replace = true): Promise<void> {
    if (replace) await this.db(this.t('scim_emails')).where({ user_id: userId }).delete();
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
    if (data.length) await this.db(this.t('scim_emails')).insert(data);
  }

  /**
   * The groups of many users in two lookups: their memberships from the (user_id, group_id) index
   * alone, then the names of the distinct groups once each (a page of 100 users shares a few
   * dozen groups; joining the groups table for every membership row reads it once per row).
   * `rows` are fresh from the database: their `groups` are set in place.
   */
  private async attachGroups(rows: ScimUserRow[]): Promise<ScimUserRow[]> {
    const byUser = new Map<string, ScimUserRow>();
    for (const r of rows) {
      r.groups = [];
      byUser.set(r.id, r);
    }
    const pairs: Row[] = [];
    for (const ids of chunks([...byUser.keys()])) {
      pairs.push(...((await this.db(this.t('scim_group_members')).select('user_id', 'group_id').whereIn('user_id', ids)) as Row[]));
    }
    const names = new Map<string, { name: string; lower: string }>();
    for (const ids of chunks([...new Set(pairs.map((p) => String(p.group_id)))])) {
      const found = (await this.db(this.t('scim_groups')).select('id', 'display_name', 'display_name_lower').whereIn('id', ids)) as Row[];
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
  }

  private lockable(q: Knex.QueryBuilder, lock: boolean | undefined): Knex.QueryBuilder {
    if (lock && dialectOf(this.db) !== 'sqlite') q.forUpdate();
    return q;
  }

  /** Users with their groups in one query (a LEFT JOIN row per group); `lock` locks the user rows only. */
  private async usersWithGroups(where: (q: Knex.QueryBuilder) => void, lock = false): Promise<ScimUserRow[]> {
    const q = this.db({ u: this.t('users') })
      .leftJoin({ gm: this.t('scim_group_members') }, 'gm.user_id', 'u.id')
      .leftJoin({ gg: this.t('scim_groups') }, 'gg.id', 'gm.group_id')
      .select(...USER_FIELDS.map((c) => `u.${c}`), 'gg.id as g_id', 'gg.display_name as g_name')
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
  }

  /**
   * How a read that locks can join: SQLite needs no lock (one writer), PostgreSQL locks only the
   * user row (`FOR UPDATE OF u`), MySQL would lock the joined rows too, so it locks apart.
   */
  private joinLock(): 'none' | 'of' | 'apart' {
    const dialect = dialectOf(this.db);
    return dialect === 'sqlite' ? 'none' : dialect === 'pg' ? 'of' : 'apart';
  }

  async getUser(id: string, opts: { groups: boolean; lock?: boolean }): Promise<ScimUserRow | null> {
    if (opts.groups && (!opts.lock || this.joinLock() !== 'apart')) {
      return (await this.usersWithGroups((q) => q.where('u.id', id), opts.lock === true && this.joinLock() === 'of'))[0] ?? null;
    }
    const q = this.db(this.t('users')).select(USER_FIELDS).where({ id }).whereNotNull('user_name').first();
    const r = (await this.lockable(q, opts.lock)) as Row | undefined;
    if (!r) return null;
    const row = toUserRow(r);
    return opts.groups ? ((await this.attachGroups([row]))[0] ?? row) : row;
  }

  async getUsers(ids: string[], opts: { groups: boolean }): Promise<ScimUserRow[]> {
    const rows: ScimUserRow[] = [];
    for (const part of chunks([...new Set(ids)])) {
      if (opts.groups) rows.push(...(await this.usersWithGroups((q) => q.whereIn('u.id', part))));
      else rows.push(...((await this.db(this.t('users')).select(USER_FIELDS).whereIn('id', part).whereNotNull('user_name')) as Row[]).map(toUserRow));
    }
    return rows;
  }

  /** The filtered, SCIM-visible users (exposed for query-plan tests). */
  usersWhere(filter: ScimFilterNode | null): Knex.QueryBuilder {
    const q = this.db(this.t('users')).whereNotNull(`${this.t('users')}.user_name`);
    if (filter) {
      const c = compile(filter, this.s.users, this.prefix);
      q.whereRaw(c.sql, c.bindings as Knex.RawBinding[]);
    }
    return q;
  }

  groupsWhere(filter: ScimFilterNode | null): Knex.QueryBuilder {
    const q = this.db(this.t('scim_groups'));
    if (filter) {
      const c = compile(filter, this.s.groups, this.prefix);
      q.whereRaw(c.sql, c.bindings as Knex.RawBinding[]);
    }
    return q;
  }

  /** One page and the total; the count query is skipped when the page itself tells the total. */
  private async page(base: Knex.QueryBuilder, table: string, fields: string[] | null, scope: Scope, query: ScimQuery): Promise<{ total: number; rows: Row[] }> {
    let rows: Row[] = [];
    if (query.limit > 0) {
      const q = base.clone().select(fields ? fields.map((c) => `${table}.${c}`) : `${table}.*`);
      if (query.sort) {
        const c = columnOf(scope, query.sort.column);
        const expr = !query.sort.caseExact && !c.lowered ? 'lower(??)' : '??';
        q.orderByRaw(`case when ?? is null then 1 else 0 end, ${expr} ${query.sort.descending ? 'desc' : 'asc'}`, [c.sql, c.sql]);
      }
      q.orderBy(`${table}.id`).limit(query.limit).offset(query.offset);
      rows = (await q) as Row[];
      if (rows.length > 0 && rows.length < query.limit) return { total: query.offset + rows.length, rows };
      if (rows.length === 0 && query.offset === 0) return { total: 0, rows };
    }
    const counted = (await base.clone().count({ n: '*' })) as Row[];
    return { total: Number(counted[0]?.n ?? 0), rows };
  }

  async queryUsers(query: ScimQuery, opts: { groups: boolean; rawDocs?: boolean }): Promise<{ total: number; rows: ScimUserRow[] }> {
    // A listed user is rendered from its SCIM document; the other columns are read only for the
    // users that have none (made by an SSO login, never written through SCIM).
    const { total, rows } = await this.page(this.usersWhere(query.filter), this.t('users'), LIST_FIELDS, this.s.users, query);
    const bare = rows.filter((r) => typeof r.scim !== 'string' || r.scim === '').map((r) => String(r.id));
    if (bare.length) {
      const full = new Map<string, Row>();
      for (const part of chunks(bare)) for (const r of (await this.db(this.t('users')).select(USER_FIELDS).whereIn('id', part)) as Row[]) full.set(String(r.id), r);
      for (let i = 0; i < rows.length; i++) rows[i] = full.get(String(rows[i]?.id)) ?? (rows[i] as Row);
    }
    const users = rows.map(opts.rawDocs ? toRawUserRow : toUserRow);
    return { total, rows: opts.groups && users.length ? await this.attachGroups(users) : users };
  }

  async insertUser(input: ScimWrite & { id: string; status: UserStatus }): Promise<ScimUserRow> {
    const at = this.now();
    const row: Row = {
      id: input.id,
      instance_admin: false,
      ...this.userColumns(input.columns),
      status: input.status,
      scim: JSON.stringify(input.doc),
      created_at: at,
      updated_at: at,
      version: 1,
    };
    try {
      await this.db(this.t('users')).insert(row);
    } catch (e) {
      throw uniqueness(e, input.columns);
    }
    if (input.relations.emails) await this.writeEmails(input.id, input.relations.emails, false);
    return toUserRow(row);
  }

  /**
   * Updates one row, bumping its version; with `expectedVersion` only if the row still has it
   * (ETag If-Match). False when no row matched; a unique violation becomes a SCIM uniqueness error.
   */
  private async versionedUpdate(table: string, id: string, cols: Row, expectedVersion: number | null, at: number, values: Record<string, unknown>): Promise<boolean> {
    const q = this.db(this.t(table)).where({ id });
    if (expectedVersion !== null) q.andWhere('version', expectedVersion);
    try {
      return (await q.update({ ...cols, updated_at: at, version: this.db.raw('version + 1') })) > 0;
    } catch (e) {
      throw uniqueness(e, values);
    }
  }

  async updateUser(
    id: string,
    input: Partial<ScimWrite> & { status?: UserStatus },
    expectedVersion: number | null,
    base?: ScimUserRow,
  ): Promise<ScimUserRow | null> {
    const columns = input.columns ? this.userColumns(input.columns) : {};
    const cols: Row = { ...columns };
    if (input.doc) cols.scim = JSON.stringify(input.doc);
    if (input.status) cols.status = input.status;
    const at = this.now();
    if (!(await this.versionedUpdate('users', id, cols, expectedVersion, at, input.columns ?? {}))) return null;
    if (input.relations?.emails) await this.writeEmails(id, input.relations.emails);
    // The version check pinned the row: the base plus what was written is what is stored.
    if (base && base.id === id && expectedVersion === base.version) {
      return { ...toUserRow({ ...userRowOf(base), ...columns, status: input.status ?? base.status, updated_at: at, version: base.version + 1 }), doc: input.doc ?? base.doc };
    }
    const r = (await this.db(this.t('users')).select(USER_FIELDS).where({ id }).first()) as Row | undefined;
    return r ? toUserRow(r) : null;
  }

  async adoptionCandidates(userNameLower: string, emailLower: string | null): Promise<UserRecord[]> {
    const rows = (await this.db(this.t('users'))
      .whereNull('scim')
      .where((w) => {
        w.where({ user_name: userNameLower });
        if (emailLower !== null) w.orWhere({ email: emailLower });
      })
      .orderBy('id')
      .limit(3)) as Row[];
    return rows.map(rowToUser);
  }

  async touchUsers(ids: string[], activate: string[] = []): Promise<void> {
    const at = this.now();
    const promote = new Set(activate);
    for (const part of chunks([...new Set(ids)].sort())) {
      const up = part.filter((id) => promote.has(id));
      const patch: Row = { updated_at: at, version: this.db.raw('version + 1') };
      if (up.length) patch.status = this.db.raw(`case when ?? in (${up.map(() => '?').join(', ')}) then ? else ?? end`, ['id', ...up, 'active', 'status']);
      await this.db(this.t('users')).whereIn('id', part).update(patch);
    }
  }

  async existingUserIds(ids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks([...new Set(ids)])) {
      for (const r of (await this.db(this.t('users')).select('id').whereIn('id', part).whereNotNull('user_name')) as Row[]) out.add(String(r.id));
    }
    return out;
  }

  async membershipsOf(userIds: string[]): Promise<Map<string, Membership[]>> {
    const out = new Map<string, Membership[]>(userIds.map((id) => [id, []]));
    for (const part of chunks([...new Set(userIds)])) {
      const rows = (await this.db(this.t('memberships')).whereIn('user_id', part).orderBy(['user_id', 'organization_id', 'kind', 'name', 'source'])) as Row[];
      for (const r of rows) {
        // The core store's row shape (knex-store.ts rowToMembership).
        out.get(String(r.user_id))?.push({
          id: String(r.id),
          organization: String(r.organization_id),
          kind: r.kind === 'group' ? 'group' : 'role',
          name: String(r.name),
          source: String(r.source) as Membership['source'],
          mapper: r.mapper === null || r.mapper === undefined ? null : String(r.mapper),
          createdAt: Number(r.created_at),
        });
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- groups

  private groupColumns(columns: ScimWrite['columns']): Row {
    const out: Row = {};
    if ('displayName' in columns) {
      const name = String(columns.displayName ?? '');
      out.display_name = name;
      out.display_name_lower = name.toLowerCase();
    }
    if ('externalId' in columns) out.external_id = columns.externalId;
    return out;
  }

  private async attachMembers(rows: ScimGroupRow[]): Promise<ScimGroupRow[]> {
    const byGroup = new Map<string, ScimGroupRow>(rows.map((r) => [r.id, { ...r, members: [] }]));
    for (const ids of chunks([...byGroup.keys()])) {
      const found = (await this.db({ mm: this.t('scim_group_members') })
        .join({ uu: this.t('users') }, 'uu.id', 'mm.user_id')
        .select('mm.group_id', 'uu.id', 'uu.display_name', 'uu.user_name')
        .whereIn('mm.group_id', ids)
        .orderBy('uu.id')) as Row[];
      for (const f of found) {
        const display = f.display_name ?? f.user_name;
        byGroup.get(String(f.group_id))?.members?.push({ id: String(f.id), display: display === null || display === undefined ? null : String(display) });
      }
    }
    return rows.map((r) => byGroup.get(r.id) as ScimGroupRow);
  }

  async getGroup(id: string, opts: { members: boolean; lock?: boolean }): Promise<ScimGroupRow | null> {
    const r = (await this.lockable(this.db(this.t('scim_groups')).where({ id }).first(), opts.lock)) as Row | undefined;
    if (!r) return null;
    const row = toGroupRow(r);
    return opts.members ? ((await this.attachMembers([row]))[0] ?? row) : row;
  }

  async queryGroups(query: ScimQuery, opts: { members: boolean }): Promise<{ total: number; rows: ScimGroupRow[] }> {
    const { total, rows } = await this.page(this.groupsWhere(query.filter), this.t('scim_groups'), null, this.s.groups, query);
    const groups = rows.map(toGroupRow);
    return { total, rows: opts.members && groups.length ? await this.attachMembers(groups) : groups };
  }

  async insertGroup(input: ScimWrite & { id: string }): Promise<ScimGroupRow> {
    const at = this.now();
    const row: Row = { id: input.id, ...this.groupColumns(input.columns), scim: JSON.stringify(input.doc), created_at: at, updated_at: at, version: 1 };
    try {
      await this.db(this.t('scim_groups')).insert(row);
    } catch (e) {
      throw uniqueness(e, input.columns);
    }
    return toGroupRow(row);
  }

  async updateGroup(id: string, input: ScimWrite | null, expectedVersion: number | null, base?: ScimGroupRow): Promise<ScimGroupRow | null> {
    const columns = input ? this.groupColumns(input.columns) : {};
    const cols: Row = input ? { ...columns, scim: JSON.stringify(input.doc) } : {};
    const at = this.now();
    if (!(await this.versionedUpdate('scim_groups', id, cols, expectedVersion, at, input?.columns ?? {}))) return null;
    if (base && base.id === id && expectedVersion === base.version) {
      return {
        ...base,
        ...(input ? { displayName: String(columns.display_name ?? base.displayName), externalId: 'external_id' in columns ? ((columns.external_id as string | null) ?? null) : base.externalId, doc: input.doc } : {}),
        updatedAt: at,
        version: base.version + 1,
      };
    }
    return this.getGroup(id, { members: false });
  }

  async deleteGroup(id: string): Promise<boolean> {
    await this.db(this.t('scim_group_members')).where({ group_id: id }).delete();
    return (await this.db(this.t('scim_groups')).where({ id }).delete()) > 0;
  }

  async members(groupId: string): Promise<ScimMemberRef[]> {
    const row = (await this.attachMembers([{ id: groupId } as ScimGroupRow]))[0];
    return row?.members ?? [];
  }

  async memberIds(groupId: string): Promise<string[]> {
    const rows = (await this.db(this.t('scim_group_members')).select('user_id').where({ group_id: groupId })) as Row[];
    return rows.map((r) => String(r.user_id));
  }

  private async currentMembers(groupId: string, ids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks(ids)) {
      for (const r of (await this.db(this.t('scim_group_members')).select('user_id').where({ group_id: groupId }).whereIn('user_id', part)) as Row[]) {
        out.add(String(r.user_id));
      }
    }
    return out;
  }

  async addMembers(groupId: string, userIds: string[]): Promise<string[]> {
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return [];
    const present = await this.currentMembers(groupId, ids);
    const added = ids.filter((id) => !present.has(id));
    for (const part of chunks(added)) {
      await this.db(this.t('scim_group_members'))
        .insert(part.map((user_id) => ({ group_id: groupId, user_id })))
        .onConflict(['group_id', 'user_id'])
        .ignore();
    }
    return added;
  }

  async removeMembers(groupId: string, userIds: string[]): Promise<string[]> {
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return [];
    const present = [...(await this.currentMembers(groupId, ids))];
    for (const part of chunks(present)) await this.db(this.t('scim_group_members')).where({ group_id: groupId }).whereIn('user_id', part).delete();
    return present;
  }

  // ---------------------------------------------------------------- audit

  async auditMany(entries: TimedAuditEntry[]): Promise<void> {
    const rows = entries.map((e) => ({
      at: e.at,
      action: e.action,
      outcome: e.outcome ?? null,
      actor: e.actor ?? null,
      provider: e.provider ?? null,
      subject: e.subject ?? null,
      user_id: e.userId ?? null,
      reason: e.reason === null || e.reason === undefined ? null : e.reason.slice(0, 2000),
      details: e.details === undefined ? null : JSON.stringify(e.details),
    }));
    // 9 columns a row: 100 rows stay under SQLite's bound-parameter limit.
    for (let i = 0; i < rows.length; i += 100) await this.db(this.t('audit')).insert(rows.slice(i, i + 100));
  }
}

/** The SCIM store over the core knex store: its transactions carry both sets of operations. */
export class KnexScimStore extends KnexScimOps implements ScimStore {
  constructor(readonly store: KnexStore) {
    super(store.knex, store.prefix, store.now);
  }

  transaction<T>(fn: (tx: ScimTransaction) => Promise<T>): Promise<T> {
    return this.store.transaction((ops: StoreOps) => {
      if (!(ops instanceof KnexOps)) throw new TypeError('SCIM store: the core store must be a KnexStore');
      return fn({ store: ops, scim: new KnexScimOps(ops.db, this.prefix, this.now) });
    });
  }

  isRetryable(error: unknown): boolean {
    return isRetryableTxError(error);
  }
}
