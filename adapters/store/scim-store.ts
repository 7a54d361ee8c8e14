/**
 * The knex implementation of the SCIM store port, on SQLite, PostgreSQL and MySQL with one query
 * path: Users in scim-users.ts, Groups in scim-groups.ts, pages and versioned writes in
 * scim-paging.ts (002_scim tables). Filters compile to parameterized SQL in
 * adapters/scim/sql-filter.ts. Unique violations come back as ScimConflict values.
 */
import type { StoreOps } from '../../plugin/ports.ts';
import type { ScimStore, ScimStoreOps, ScimTransaction, TimedAuditEntry } from '../../plugin/scim/ports.ts';
import { scimScopes } from '../scim/sql-filter.ts';
import { auditMany } from './audit.ts';
import { isRetryableTxError } from './database.ts';
import type { Dialect } from './dialect.ts';
import { KnexOps, type KnexStore } from './knex-store.ts';
import { knexScimGroups, type KnexScimGroups } from './scim-groups.ts';
import { knexScimUsers, type KnexScimUsers } from './scim-users.ts';
import { sqlContext, type Runner, type SqlContext } from './sql.ts';

// As for KnexOps: the port methods are the Users' and Groups' stores', copied onto the instance.
export interface KnexScimOps extends ScimStoreOps, KnexScimUsers, KnexScimGroups {}

/** The SCIM store's operations on one query runner: the knex instance, or one transaction of it. */
export class KnexScimOps {
  protected readonly sql: SqlContext;

  constructor(db: Runner, prefix: string, now: () => number, dialect: Dialect) {
    this.sql = sqlContext(db, prefix, now, dialect);
    const scopes = scimScopes(prefix);
    const ports: KnexScimUsers & KnexScimGroups = { ...knexScimUsers(this.sql, scopes), ...knexScimGroups(this.sql, scopes) };
    Object.assign(this, ports);
  }

  auditMany(entries: TimedAuditEntry[]): Promise<void> {
    return auditMany(this.sql, entries);
  }
}

/** The SCIM store over the core knex store: its transactions carry both sets of operations. */
export class KnexScimStore extends KnexScimOps implements ScimStore {
  readonly store: KnexStore;

  constructor(store: KnexStore) {
    super(store.knex, store.prefix, store.now, store.dialect);
    this.store = store;
  }

  transaction<T>(fn: (tx: ScimTransaction) => Promise<T>): Promise<T> {
    return this.store.transaction((ops: StoreOps) => {
      if (!(ops instanceof KnexOps)) throw new TypeError('SCIM store: the core store must be a KnexStore');
      return fn({ store: ops, scim: new KnexScimOps(ops.db, this.sql.prefix, this.sql.now, ops.dialect) });
    });
  }

  isRetryable(error: unknown): boolean {
    return isRetryableTxError(error);
  }
}
