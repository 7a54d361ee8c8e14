/**
 * Database rows as the records of plugin/ports.ts and back, written once for every store (the core
 * tables, SCIM, webhooks). Drivers differ in what they hand back (bigint columns as strings on
 * PostgreSQL, booleans as 0/1 on SQLite and MySQL), so fields are read through `str`, `num` and `Boolean`.
 */
import type { AllowlistEntry, ApiTokenRecord, NewUser } from '../../plugin/ports.ts';
import type { AuditEntry, AuditRecord, IdentityRecord, Membership, UserRecord, UserStatus } from '../../plugin/types.ts';

/** A row as a driver hands it back, before its columns are read. */
export type Row = Record<string, unknown>;

/** A nullable text column. */
export const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
/** A number column (PostgreSQL hands bigints back as strings). */
export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
/** A nullable number column. */
export const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));

/** A users row (at least the columns `userRowOf` gives back). */
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

/** A user record back as the row it was read from (to apply an update to it without reading it again). */
export function userRowOf(u: UserRecord): Row {
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

/** The columns of the fields a new user or a patch sets; email and userName are stored lower-cased. */
export function userColumns(u: Partial<NewUser>): Row {
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

/** An identities row. */
export function rowToIdentity(r: Row): IdentityRecord {
  return {
    id: String(r.id),
    userId: String(r.user_id),
    provider: String(r.provider),
    subject: String(r.subject),
    email: str(r.email),
    createdAt: num(r.created_at),
    lastLoginAt: optNum(r.last_login_at),
  };
}

/** A memberships row. */
export function rowToMembership(r: Row): Membership {
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

/** An allowlist row. */
export function rowToAllowlist(r: Row): AllowlistEntry {
  return { id: String(r.id), entry: String(r.entry), createdBy: str(r.created_by), createdAt: num(r.created_at) };
}

/** An api_tokens row. */
export function rowToToken(r: Row): ApiTokenRecord {
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

/** An audit row; `details` is stored as JSON text. */
export function rowToAudit(r: Row): AuditRecord {
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

/** The row of an audit entry written at `at` (the id is the database's). */
export function auditRow(e: AuditEntry, at: number): Row {
  return {
    at,
    action: e.action,
    outcome: e.outcome ?? null,
    actor: e.actor ?? null,
    provider: e.provider ?? null,
    subject: e.subject ?? null,
    user_id: e.userId ?? null,
    reason: e.reason ?? null,
    details: e.details === undefined ? null : JSON.stringify(e.details),
  };
}
