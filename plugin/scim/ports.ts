/**
 * What the SCIM server needs from storage. `adapters/store/scim-store.ts` implements it with knex;
 * the plugin never sees SQL. Columns and relations are the logical names of the resource registry
 * (`storage` in the attribute definitions); the adapter maps them to tables and columns.
 */
import type { AuditEntry, Membership, UserRecord, UserStatus } from '../types.ts';
import type { StoreOps } from '../ports.ts';

export type ScimColumnValue = string | number | boolean | null;

/** A filter after resolution against the registry: storage columns, typed values. */
export type ScimFilterNode =
  | { kind: 'and' | 'or'; terms: ScimFilterNode[] }
  | { kind: 'not'; term: ScimFilterNode }
  | {
      kind: 'compare';
      column: string;
      op: 'eq' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
      /** Strings of case-insensitive attributes are NOT lowered here; the store lowers both sides. dateTime values are epoch ms. */
      value: string | number | boolean;
      type: 'string' | 'number' | 'boolean' | 'dateTime';
      caseExact: boolean;
    }
  | { kind: 'present'; column: string; type: 'string' | 'number' | 'boolean' | 'dateTime' }
  /** True when at least one row of the relation (emails, groups, members) satisfies `where` (any row when null). */
  | { kind: 'some'; relation: string; where: ScimFilterNode | null };

export interface ScimSort {
  column: string;
  caseExact: boolean;
  descending: boolean;
}

export interface ScimQuery {
  filter: ScimFilterNode | null;
  sort: ScimSort | null;
  /** 0-based (SCIM startIndex - 1). */
  offset: number;
  /** 0 asks for the total only. */
  limit: number;
}

export interface ScimGroupRef {
  id: string;
  displayName: string;
}

export interface ScimMemberRef {
  id: string;
  display: string | null;
}

/** A user as SCIM sees it: the core row plus the stored SCIM document. */
export interface ScimUserRow extends UserRecord {
  /** The attributes as last written through SCIM (canonical names), or null for a user never written by SCIM. */
  doc: Record<string, unknown> | null;
  /**
   * The document as stored (JSON text), when the rows were read with `rawDocs` (a page to be
   * written out as is); `doc` is then null.
   */
  docJson?: string | null;
  /** Loaded when asked for. */
  groups?: ScimGroupRef[];
}

export interface ScimGroupRow {
  id: string;
  displayName: string;
  externalId: string | null;
  doc: Record<string, unknown> | null;
  createdAt: number;
  updatedAt: number;
  version: number;
  /** Loaded when asked for. */
  members?: ScimMemberRef[];
}

/** What a write stores: the document, the filterable columns and the rows of writable relations. */
export interface ScimWrite {
  doc: Record<string, unknown>;
  columns: Record<string, ScimColumnValue>;
  /** Present relations are rewritten (e.g. `emails`); absent ones are left alone. */
  relations: Record<string, Record<string, ScimColumnValue>[]>;
}

/**
 * A write the store refused because a unique attribute (userName of a User, displayName of a
 * Group, both case-insensitive) is taken; `value` is the one written. The SCIM layer answers it
 * with 409 `uniqueness` (plugin/scim/errors.ts `throwOnConflict`).
 */
export interface ScimConflict {
  conflict: 'userName' | 'displayName';
  value: string;
}

export interface TimedAuditEntry extends AuditEntry {
  at: number;
}

/** SCIM Users: the core users table as SCIM sees it. */
export interface ScimUserStore {
  /**
   * SCIM-visible users only (those with a userName). `lock` holds the row until the transaction
   * ends (SELECT ... FOR UPDATE; SQLite serializes writers anyway), so concurrent writes queue.
   */
  getUser(id: string, opts: { groups: boolean; lock?: boolean }): Promise<ScimUserRow | null>;
  getUsers(ids: string[], opts: { groups: boolean }): Promise<ScimUserRow[]>;
  queryUsers(query: ScimQuery, opts: { groups: boolean; rawDocs?: boolean }): Promise<{ total: number; rows: ScimUserRow[] }>;
  /** A ScimConflict when the userName (case-insensitive) is taken. */
  insertUser(input: ScimWrite & { id: string; status: UserStatus }): Promise<ScimUserRow | ScimConflict>;
  /**
   * Writes the document/columns/relations and status; bumps version. With `expectedVersion`, only
   * when the row still has it. Null when no row was written (gone, or changed meanwhile); a
   * ScimConflict like insertUser.
   */
  updateUser(
    id: string,
    input: Partial<ScimWrite> & { status?: UserStatus },
    expectedVersion: number | null,
    /** The row as read (its version = expectedVersion): the result is built from it without reading again. */
    base?: ScimUserRow,
  ): Promise<ScimUserRow | ScimConflict | null>;
  /**
   * Users SCIM does not manage yet (no SCIM document: created by an admin or a first SSO login)
   * whose userName is `userNameLower` or whose email is `emailLower`, at most three; the rule that
   * picks the one to adopt is `adoptionCandidate` (plugin/scim/adoption.ts).
   */
  adoptionCandidates(userNameLower: string, emailLower: string | null): Promise<UserRecord[]>;
  /** Bumps version/lastModified (their `groups` changed); the `activate` ones become `active` in the same statement. */
  touchUsers(ids: string[], activate?: string[]): Promise<void>;
  /** The subset of ids that are SCIM-visible users. */
  existingUserIds(ids: string[]): Promise<Set<string>>;
  /** Memberships of many users at once (as `StoreOps.listMemberships` orders them), for group pushes. */
  membershipsOf(userIds: string[]): Promise<Map<string, Membership[]>>;
}

/** SCIM Groups and their members. */
export interface ScimGroupStore {
  getGroup(id: string, opts: { members: boolean; lock?: boolean }): Promise<ScimGroupRow | null>;
  queryGroups(query: ScimQuery, opts: { members: boolean }): Promise<{ total: number; rows: ScimGroupRow[] }>;
  /** A ScimConflict when the displayName (case-insensitive) is taken. */
  insertGroup(input: ScimWrite & { id: string }): Promise<ScimGroupRow | ScimConflict>;
  /** Like updateUser; a null write only bumps version/lastModified. */
  updateGroup(id: string, input: ScimWrite | null, expectedVersion: number | null, base?: ScimGroupRow): Promise<ScimGroupRow | ScimConflict | null>;
  deleteGroup(id: string): Promise<boolean>;
  members(groupId: string): Promise<ScimMemberRef[]>;
  memberIds(groupId: string): Promise<string[]>;
  /** Returns the ids that were not members before. */
  addMembers(groupId: string, userIds: string[]): Promise<string[]>;
  /** Returns the ids that were members. */
  removeMembers(groupId: string, userIds: string[]): Promise<string[]>;
}

/** Operations; inside `transaction` they run in the caller's transaction. */
export interface ScimStoreOps extends ScimUserStore, ScimGroupStore {
  /** Many audit rows in few statements (the read log is written in batches). */
  auditMany(entries: TimedAuditEntry[]): Promise<void>;
}

export interface ScimTransaction {
  scim: ScimStoreOps;
  /** The core store in the same transaction (memberships, sessions, audit, status). */
  store: StoreOps;
}

export interface ScimStore extends ScimStoreOps {
  transaction<T>(fn: (tx: ScimTransaction) => Promise<T>): Promise<T>;
  /** Deadlocks, serialization failures, busy databases: worth running the transaction again. */
  isRetryable(error: unknown): boolean;
}
