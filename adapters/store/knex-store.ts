/**
 * The reference Store: knex over SQLite, PostgreSQL or MySQL. One class serves both the
 * top-level store and a transaction (it only holds a query runner).
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { idpLoggedOutAt, recordIdpLogout, type IdpLogoutEntry } from './idp-logouts.ts';
import type {
  AllowlistEntry,
  ApiTokenKind,
  ApiTokenRecord,
  AuditFilter,
  NewMembership,
  NewUser,
  OrganizationCatalogEntry,
  SamlStateCache,
  Store,
  StoreOps,
  UserListFilter,
  UserPatch,
} from '../../plugin/ports.ts';
import type { AuditEntry, AuditRecord, IdentityRecord, Membership, UserRecord, UserStatus } from '../../plugin/types.ts';
import { SHARED_EMAIL_ID_LIMIT, sharedEmailError } from '../../plugin/provisioning/shared-email.ts';
import { isRetryableTxError, isUniqueViolation } from './database.ts';
import { applyUserOrder, encodeUserCursor, userOrder } from './user-list-order.ts';
import { dialectOf } from './dialect.ts';

type Row = Record<string, unknown>;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

export function rowToUser(r: Row): UserRecord {
  return {
    id: String(r.id),
    email: str(r.email),
    emailOriginal: str(r.email_original),
    userName: str(r.user_name),
    externalId: str(r.external_id),
    givenName: str(r.given_name),
    familyName: str(r.family_name),
    displayName: str(r.display_name),
    status: String(r.status) as UserStatus,
    instanceAdmin: Boolean(r.instance_admin),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    version: num(r.version),
  };
}

function rowToIdentity(r: Row): IdentityRecord {
  return {
    id: String(r.id),
    userId: String(r.user_id),
    provider: String(r.provider),
    subject: String(r.subject),
    email: str(r.email),
    createdAt: num(r.created_at),
    lastLoginAt: r.last_login_at === null || r.last_login_at === undefined ? null : num(r.last_login_at),
  };
}

function rowToMembership(r: Row): Membership {
  return {
    id: String(r.id),
    organization: String(r.organization_id),
    kind: r.kind === 'group' ? 'group' : 'role',
    name: String(r.name),
    source: String(r.source) as Membership['source'],
    mapper: str(r.mapper),
    createdAt: num(r.created_at),
  };
}

function rowToToken(r: Row): ApiTokenRecord {
  const optNum = (v: unknown) => (v === null || v === undefined ? null : num(v));
  return {
    id: String(r.id),
    kind: r.kind === 'admin' ? 'admin' : 'scim',
    name: String(r.name),
    hash: String(r.hash),
    hint: String(r.hint),
    provider: str(r.provider),
    createdBy: str(r.created_by),
    createdAt: num(r.created_at),
    lastUsedAt: optNum(r.last_used_at),
    revokedAt: optNum(r.revoked_at),
  };
}

function rowToAudit(r: Row): AuditRecord {
  return {
    id: String(r.id),
    at: num(r.at),
    action: String(r.action),
    outcome: str(r.outcome) ?? undefined,
    actor: str(r.actor),
    provider: str(r.provider),
    subject: str(r.subject),
    userId: str(r.user_id),
    reason: str(r.reason),
    details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, unknown>) : undefined,
  };
}

function userColumns(u: Partial<NewUser>): Row {
  const out: Row = {};
  if (u.email !== undefined) out.email = u.email === null ? null : u.email.toLowerCase();
  if (u.emailOriginal !== undefined) out.email_original = u.emailOriginal;
  if (u.userName !== undefined) out.user_name = u.userName === null ? null : u.userName.toLowerCase();
  if (u.externalId !== undefined) out.external_id = u.externalId;
  if (u.givenName !== undefined) out.given_name = u.givenName;
  if (u.familyName !== undefined) out.family_name = u.familyName;
  if (u.displayName !== undefined) out.display_name = u.displayName;
  if (u.status !== undefined) out.status = u.status;
  if (u.instanceAdmin !== undefined) out.instance_admin = u.instanceAdmin;
  return out;
}

/**
 * Escapes LIKE metacharacters for use with LIKE_ESCAPE. The escape character is `!`, not a
 * backslash, because MySQL treats a backslash inside a string literal as an escape itself.
 */
export function escapeLike(s: string): string {
  return s.replace(/[!%_]/g, (c) => `!${c}`);
}

/** Append after `like ?`: the same clause works on SQLite, PostgreSQL and MySQL. */
export const LIKE_ESCAPE = "escape '!'";

/** Ends sessions kept outside the database (Redis); set when sessions live there. */
export type ExternalSessionRevoker = (userId: string) => Promise<number>;

export class KnexOps implements StoreOps {
  constructor(
    readonly db: Knex | Knex.Transaction,
    readonly prefix: string,
    readonly now: () => number = Date.now,
    readonly revokeExternal: { fn?: ExternalSessionRevoker } = {},
  ) {}

  t(name: string): string {
    return `${this.prefix}${name}`;
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const r = (await this.db(this.t('users')).where({ id }).first()) as Row | undefined;
    return r ? rowToUser(r) : null;
  }

  async lockUser(id: string): Promise<UserRecord | null> {
    const q = this.db(this.t('users')).where({ id }).first();
    if (dialectOf(this.db) !== 'sqlite') q.forUpdate();
    const r = (await q) as Row | undefined;
    return r ? rowToUser(r) : null;
  }

  async getUserStatus(id: string): Promise<{ status: UserStatus; instanceAdmin: boolean } | null> {
    const r = (await this.db(this.t('users')).select('status', 'instance_admin').where({ id }).first()) as Row | undefined;
    return r ? { status: String(r.status) as UserStatus, instanceAdmin: Boolean(r.instance_admin) } : null;
  }

  async findUserByEmail(emailLower: string): Promise<UserRecord | null> {
    const email = emailLower.toLowerCase();
    const rows = (await this.db(this.t('users')).where({ email }).orderBy('id').limit(SHARED_EMAIL_ID_LIMIT)) as Row[];
    // Emails are not unique (005_shared_emails): several holders is a refusal, never the first row.
    if (rows.length > 1) throw sharedEmailError(email, rows.map((r) => String(r.id)));
    return rows[0] ? rowToUser(rows[0]) : null;
  }

  async insertUser(user: NewUser): Promise<UserRecord> {
    const at = this.now();
    const row: Row = { id: randomUUID(), instance_admin: false, ...userColumns(user), created_at: at, updated_at: at, version: 1 };
    await this.db(this.t('users')).insert(row);
    return rowToUser(row);
  }

  async updateUser(id: string, patch: UserPatch): Promise<UserRecord | null> {
    const cols = userColumns(patch);
    const n = await this.db(this.t('users'))
      .where({ id })
      .update({ ...cols, updated_at: this.now(), version: this.db.raw('version + 1') });
    return n > 0 ? this.getUser(id) : null;
  }

  async deleteUser(id: string): Promise<boolean> {
    await this.db(this.t('sessions')).where({ user_id: id }).delete();
    return (await this.db(this.t('users')).where({ id }).delete()) > 0;
  }

  async listUsers(filter: UserListFilter): Promise<{ users: UserRecord[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const users_ = this.t('users');
    const order = userOrder(filter, users_);
    const q = this.db(users_).select(`${users_}.*`).limit(limit + 1);
    applyUserOrder(q, this.db, order, users_, filter.cursor);
    if (filter.status) q.where('status', filter.status);
    if (filter.provider) {
      q.whereExists(
        this.db(this.t('identities'))
          .select(this.db.raw('1'))
          .whereRaw(`${this.t('identities')}.user_id = ${this.t('users')}.id`)
          .andWhere('provider', filter.provider),
      );
    }
    if (filter.q) {
      const like = `%${escapeLike(filter.q.toLowerCase())}%`;
      q.where((w) => {
        w.whereRaw(`email like ? ${LIKE_ESCAPE}`, [like])
          .orWhereRaw(`user_name like ? ${LIKE_ESCAPE}`, [like])
          .orWhereRaw(`lower(display_name) like ? ${LIKE_ESCAPE}`, [like]);
      });
    }
    const rows = (await q) as Row[];
    const users = rows.slice(0, limit).map(rowToUser);
    const last = users[users.length - 1];
    return { users, nextCursor: rows.length > limit && last ? encodeUserCursor(order, last) : null };
  }

  async findIdentity(provider: string, subject: string): Promise<IdentityRecord | null> {
    const r = (await this.db(this.t('identities')).where({ provider, subject }).first()) as Row | undefined;
    return r ? rowToIdentity(r) : null;
  }

  async findIdentityAndLockUser(provider: string, subject: string): Promise<{ identity: IdentityRecord; user: UserRecord } | null> {
    const u = this.t('users');
    const i = this.t('identities');
    const q = this.db(i)
      .join(u, `${u}.id`, `${i}.user_id`)
      .select(
        `${u}.*`,
        `${i}.id as i_id`,
        `${i}.email as i_email`,
        `${i}.created_at as i_created_at`,
        `${i}.last_login_at as i_last_login_at`,
      )
      .where(`${i}.provider`, provider)
      .andWhere(`${i}.subject`, subject)
      .first();
    if (dialectOf(this.db) !== 'sqlite') q.forUpdate(u);
    const r = (await q) as Row | undefined;
    if (!r) return null;
    return {
      user: rowToUser(r),
      identity: rowToIdentity({
        id: r.i_id,
        user_id: r.id,
        provider,
        subject,
        email: r.i_email,
        created_at: r.i_created_at,
        last_login_at: r.i_last_login_at,
      }),
    };
  }

  async ensureIdentity(input: {
    userId: string;
    provider: string;
    subject: string;
    email: string | null;
    lastLoginAt?: number | undefined;
    lastClaims?: unknown;
  }): Promise<IdentityRecord & { inserted: boolean }> {
    const row = {
      id: randomUUID(),
      user_id: input.userId,
      provider: input.provider,
      subject: input.subject,
      email: input.email,
      created_at: this.now(),
      last_login_at: input.lastLoginAt ?? null,
      last_claims: input.lastClaims === undefined ? null : JSON.stringify(input.lastClaims),
    };
    const insert = this.db(this.t('identities')).insert(row).onConflict(['provider', 'subject']).ignore();
    if (dialectOf(this.db) !== 'mysql') {
      // RETURNING gives a row only when this insert made it: then it is `row`, no need to read it back.
      const made = (await insert.returning('id')) as Row[];
      if (made.length > 0) return { ...rowToIdentity(row), inserted: true };
    } else await insert;
    const found = await this.findIdentity(input.provider, input.subject);
    if (!found) throw new Error('identity vanished after upsert');
    return { ...found, inserted: found.id === row.id };
  }

  async listIdentities(userId: string): Promise<IdentityRecord[]> {
    const rows = (await this.db(this.t('identities')).where({ user_id: userId }).orderBy('created_at')) as Row[];
    return rows.map(rowToIdentity);
  }

  async touchIdentity(id: string, at: number, lastClaims?: unknown): Promise<void> {
    const patch: Row = { last_login_at: at };
    if (lastClaims !== undefined) patch.last_claims = JSON.stringify(lastClaims);
    await this.db(this.t('identities')).where({ id }).update(patch);
  }

  async getIdentityClaims(id: string): Promise<unknown> {
    const r = (await this.db(this.t('identities')).select('last_claims').where({ id }).first()) as Row | undefined;
    return r && typeof r.last_claims === 'string' ? (JSON.parse(r.last_claims) as unknown) : null;
  }

  async listMemberships(userId: string): Promise<Membership[]> {
    const rows = (await this.db(this.t('memberships'))
      .where({ user_id: userId })
      .orderBy(['organization_id', 'kind', 'name', 'source'])) as Row[];
    return rows.map(rowToMembership);
  }

  async addMemberships(userId: string, rows: NewMembership[]): Promise<Membership[]> {
    if (rows.length === 0) return [];
    const data = this.membershipRows(userId, rows);
    await this.insertMembershipRows(data);
    return data.map(rowToMembership);
  }

  async addMembershipsOfUsers(entries: { userId: string; rows: NewMembership[] }[]): Promise<void> {
    await this.insertMembershipRows(entries.flatMap((e) => this.membershipRows(e.userId, e.rows)));
  }

  private membershipRows(userId: string, rows: NewMembership[]): Row[] {
    const at = this.now();
    return rows.map((m) => ({
      id: randomUUID(),
      user_id: userId,
      organization_id: m.organization,
      kind: m.kind,
      name: m.name,
      source: m.source,
      mapper: m.mapper,
      created_at: at,
    }));
  }

  /** 200 rows a statement (8 columns: far below every database's bound-parameter limit); a row already there is left alone. */
  private async insertMembershipRows(data: Row[]): Promise<void> {
    for (let i = 0; i < data.length; i += 200) {
      await this.db(this.t('memberships'))
        .insert(data.slice(i, i + 200))
        .onConflict(['user_id', 'organization_id', 'kind', 'name', 'source'])
        .ignore();
    }
  }

  async removeMemberships(userId: string, ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await this.db(this.t('memberships'))
        .where({ user_id: userId })
        .whereIn('id', ids.slice(i, i + 500))
        .delete();
    }
  }

  async listOrganizations(): Promise<OrganizationCatalogEntry[]> {
    // Sequential: inside a transaction all three share one connection.
    const orgs = (await this.db(this.t('organizations')).select('id', 'name').orderBy('id')) as Row[];
    const roles = (await this.db(this.t('roles')).select('organization_id', 'name')) as Row[];
    const groups = (await this.db(this.t('groups')).select('organization_id', 'name')) as Row[];
    const byId = new Map<string, OrganizationCatalogEntry>();
    for (const o of orgs) byId.set(String(o.id), { id: String(o.id), name: str(o.name), roles: [], groups: [] });
    for (const r of roles) byId.get(String(r.organization_id))?.roles.push(String(r.name));
    for (const g of groups) byId.get(String(g.organization_id))?.groups.push(String(g.name));
    return [...byId.values()];
  }

  async listAllowlist(): Promise<AllowlistEntry[]> {
    const rows = (await this.db(this.t('allowlist')).orderBy('created_at')) as Row[];
    return rows.map((r) => ({ id: String(r.id), entry: String(r.entry), createdBy: str(r.created_by), createdAt: num(r.created_at) }));
  }

  async addAllowlist(entry: string, createdBy: string | null): Promise<AllowlistEntry> {
    const row = { id: randomUUID(), entry: entry.trim().toLowerCase(), created_by: createdBy, created_at: this.now() };
    try {
      await this.db(this.t('allowlist')).insert(row);
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const existing = (await this.db(this.t('allowlist')).where({ entry: row.entry }).first()) as Row;
      return { id: String(existing.id), entry: row.entry, createdBy: str(existing.created_by), createdAt: num(existing.created_at) };
    }
    return { id: row.id, entry: row.entry, createdBy, createdAt: row.created_at };
  }

  async removeAllowlist(id: string): Promise<boolean> {
    return (await this.db(this.t('allowlist')).where({ id }).delete()) > 0;
  }

  async getSetting<T = unknown>(key: string): Promise<T | null> {
    const r = (await this.db(this.t('settings')).where({ key }).first()) as Row | undefined;
    return r ? (JSON.parse(String(r.value)) as T) : null;
  }

  async setSetting(key: string, value: unknown): Promise<void> {
    await this.db(this.t('settings'))
      .insert({ key, value: JSON.stringify(value), updated_at: this.now() })
      .onConflict('key')
      .merge(['value', 'updated_at']);
  }

  async claimSetting<T>(key: string, value: T): Promise<T> {
    await this.db(this.t('settings')).insert({ key, value: JSON.stringify(value), updated_at: this.now() }).onConflict('key').ignore();
    return (await this.getSetting<T>(key)) as T;
  }

  async audit(entry: AuditEntry): Promise<void> {
    await this.db(this.t('audit')).insert({
      at: this.now(),
      action: entry.action,
      outcome: entry.outcome ?? null,
      actor: entry.actor ?? null,
      provider: entry.provider ?? null,
      subject: entry.subject ?? null,
      user_id: entry.userId ?? null,
      reason: entry.reason ?? null,
      details: entry.details === undefined ? null : JSON.stringify(entry.details),
    });
  }

  async listAudit(filter: AuditFilter): Promise<{ entries: AuditRecord[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const q = this.db(this.t('audit')).orderBy('id', 'desc').limit(limit + 1);
    if (filter.user) q.where('user_id', filter.user);
    if (filter.actor) q.where('actor', filter.actor);
    if (filter.action) q.where('action', filter.action);
    if (filter.since !== undefined) q.where('at', '>=', filter.since);
    if (filter.until !== undefined) q.where('at', '<=', filter.until);
    if (filter.cursor) q.where('id', '<', Number(filter.cursor));
    const rows = (await q) as Row[];
    const entries = rows.slice(0, limit).map(rowToAudit);
    return { entries, nextCursor: rows.length > limit ? (entries[entries.length - 1]?.id ?? null) : null };
  }

  async insertApiToken(row: Omit<ApiTokenRecord, 'lastUsedAt' | 'revokedAt'>): Promise<void> {
    await this.db(this.t('api_tokens')).insert({
      id: row.id,
      kind: row.kind,
      name: row.name,
      hash: row.hash,
      hint: row.hint,
      provider: row.provider,
      created_by: row.createdBy,
      created_at: row.createdAt,
      last_used_at: null,
      revoked_at: null,
    });
  }

  async findApiTokenByHash(hash: string): Promise<ApiTokenRecord | null> {
    const r = (await this.db(this.t('api_tokens')).where({ hash }).first()) as Row | undefined;
    return r ? rowToToken(r) : null;
  }

  async listApiTokens(kind: ApiTokenKind): Promise<ApiTokenRecord[]> {
    const rows = (await this.db(this.t('api_tokens')).where({ kind }).orderBy('created_at')) as Row[];
    return rows.map(rowToToken);
  }

  async revokeApiToken(kind: ApiTokenKind, id: string, at: number): Promise<boolean> {
    return (await this.db(this.t('api_tokens')).where({ kind, id }).whereNull('revoked_at').update({ revoked_at: at })) > 0;
  }

  async touchApiToken(id: string, at: number): Promise<void> {
    await this.db(this.t('api_tokens')).where({ id }).update({ last_used_at: at });
  }

  async deleteSessionsOfUser(userId: string): Promise<number> {
    const n = await this.db(this.t('sessions')).where({ user_id: userId }).delete();
    const external = this.revokeExternal.fn ? await this.revokeExternal.fn(userId) : 0;
    return n + external;
  }

  recordIdpLogout(entry: IdpLogoutEntry): Promise<boolean> {
    return recordIdpLogout(this.db, this.t('idp_logouts'), entry);
  }

  idpLoggedOutAt(provider: string, sid: string | null, subject: string): Promise<number | null> {
    return idpLoggedOutAt(this.db, this.t('idp_logouts'), provider, sid, subject);
  }
}

export class KnexStore extends KnexOps implements Store, SamlStateCache {
  constructor(
    readonly knex: Knex,
    prefix: string,
    now: () => number = Date.now,
  ) {
    super(knex, prefix, now, {});
  }

  /** Sessions in Redis: deleting a user's sessions must reach there too. */
  setExternalSessionRevoker(fn: ExternalSessionRevoker): void {
    this.revokeExternal.fn = fn;
  }

  async ping(): Promise<void> {
    await this.knex.raw('select 1');
  }

  isRetryable(error: unknown): boolean {
    return isUniqueViolation(error) || isRetryableTxError(error);
  }

  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> {
    const run = (trx: Knex.Transaction) => fn(new KnexOps(trx, this.prefix, this.now, this.revokeExternal));
    // InnoDB defaults to REPEATABLE READ, where reads after a row lock still see the snapshot
    // taken before it; READ COMMITTED (PostgreSQL's default) makes lock-then-read correct.
    if (dialectOf(this.knex) === 'mysql') return this.knex.transaction(run, { isolationLevel: 'read committed' });
    return this.knex.transaction(run);
  }

  /** Seeds organizations with their roles and groups from config (idempotent, additive). */
  async seedOrganizations(orgs: { id: string; name?: string | undefined; roles: string[]; groups: string[] }[]): Promise<void> {
    const at = this.now();
    await this.knex.transaction(async (trx) => {
      for (const o of orgs) {
        await trx(this.t('organizations'))
          .insert({ id: o.id, name: o.name ?? null, created_at: at })
          .onConflict('id')
          .merge(['name']);
        if (o.roles.length) {
          await trx(this.t('roles'))
            .insert(o.roles.map((name) => ({ organization_id: o.id, name })))
            .onConflict(['organization_id', 'name'])
            .ignore();
        }
        if (o.groups.length) {
          await trx(this.t('groups'))
            .insert(o.groups.map((name) => ({ organization_id: o.id, name })))
            .onConflict(['organization_id', 'name'])
            .ignore();
        }
      }
    });
  }

  async saveRequestId(provider: string, requestId: string, expiresAt: number): Promise<void> {
    await this.knex(this.t('saml_requests'))
      .insert({ provider, request_id: requestId, expires_at: expiresAt })
      .onConflict(['provider', 'request_id'])
      .ignore();
  }

  async consumeRequestId(provider: string, requestId: string): Promise<boolean> {
    const n = await this.knex(this.t('saml_requests'))
      .where({ provider, request_id: requestId })
      .andWhere('expires_at', '>', this.now())
      .delete();
    return n > 0;
  }

  async rememberAssertion(provider: string, assertionId: string, expiresAt: number): Promise<boolean> {
    try {
      await this.knex(this.t('saml_assertions')).insert({ provider, assertion_id: assertionId, expires_at: expiresAt });
      return true;
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      // A row past its expiry is stale; anything else is a replay.
      const n = await this.knex(this.t('saml_assertions'))
        .where({ provider, assertion_id: assertionId })
        .andWhere('expires_at', '<=', this.now())
        .update({ expires_at: expiresAt });
      return n > 0;
    }
  }

  /** Deletes expired SAML cache rows and sessions; run periodically. */
  async sweepExpired(): Promise<void> {
    const at = this.now();
    await this.knex(this.t('saml_requests')).where('expires_at', '<=', at).delete();
    await this.knex(this.t('saml_assertions')).where('expires_at', '<=', at).delete();
    await this.knex(this.t('sessions')).where('expires_at', '<=', at).delete();
    await this.knex(this.t('idp_logouts')).where('expires_at', '<=', at).delete();
  }

  close(): Promise<void> {
    return this.knex.destroy();
  }
}
