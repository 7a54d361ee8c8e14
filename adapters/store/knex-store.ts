/**
 * The reference Store: knex over SQLite, PostgreSQL or MySQL, composed of one store per port
 * (users.ts, identities.ts, memberships.ts, catalog.ts, settings.ts, audit.ts, api-tokens.ts,
 * sessions.ts, idp-logouts.ts) over one query runner. One class serves both the top-level store and a transaction.
 */
import type { Knex } from 'knex';
import type { SamlStateCache, Store, StoreOps } from '../../plugin/ports.ts';
import { knexApiTokens } from './api-tokens.ts';
import { knexAudit } from './audit.ts';
import { knexCatalog, seedOrganizations, type OrganizationSeed } from './catalog.ts';
import { isRetryableTxError, isUniqueViolation } from './database.ts';
import { dialectOf, type Dialect } from './dialect.ts';
import { knexIdentities } from './identities.ts';
import { knexIdpLogouts, sweepExpiredIdpLogouts } from './idp-logouts.ts';
import { knexMemberships } from './memberships.ts';
import { knexSamlCache, sweepExpiredSamlCache } from './saml-cache.ts';
import { knexSessions, sweepExpiredSessions, type ExternalSessionRevoker } from './sessions.ts';
import { knexSettings } from './settings.ts';
import { sqlContext, type Runner, type SqlContext } from './sql.ts';
import { knexUsers } from './users.ts';

// The StoreOps methods are the port stores' own, copied onto the instance in the constructor; this
// declaration gives the class their types, and the typed `ports` value there proves none is missing.
export interface KnexOps extends StoreOps {}

/** Every port of StoreOps on one query runner: the knex instance, or one transaction of it. */
export class KnexOps {
  /** The query runner: what the SCIM and webhook stores write through to join this transaction. */
  readonly db: Runner;
  readonly prefix: string;
  readonly now: () => number;
  readonly dialect: Dialect;
  protected readonly sql: SqlContext;
  /** Shared by a store and its transactions: the revoker is set after they were made. */
  protected readonly revokeExternal: { fn?: ExternalSessionRevoker };

  constructor(db: Runner, prefix: string, now: () => number = Date.now, revokeExternal: { fn?: ExternalSessionRevoker } = {}, dialect: Dialect = dialectOf(db)) {
    this.db = db;
    this.prefix = prefix;
    this.now = now;
    this.dialect = dialect;
    this.revokeExternal = revokeExternal;
    this.sql = sqlContext(db, prefix, now, dialect);
    const ports: StoreOps = {
      ...knexUsers(this.sql),
      ...knexIdentities(this.sql),
      ...knexMemberships(this.sql),
      ...knexCatalog(this.sql),
      ...knexSettings(this.sql),
      ...knexAudit(this.sql),
      ...knexApiTokens(this.sql),
      ...knexSessions(this.sql, revokeExternal),
      ...knexIdpLogouts(this.sql),
    };
    Object.assign(this, ports);
  }
}

export class KnexStore extends KnexOps implements Store, SamlStateCache {
  readonly knex: Knex;
  private readonly saml: SamlStateCache;

  constructor(knex: Knex, prefix: string, now: () => number = Date.now) {
    super(knex, prefix, now, {});
    this.knex = knex;
    this.saml = knexSamlCache(this.sql);
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
    const run = (trx: Knex.Transaction) => fn(new KnexOps(trx, this.prefix, this.now, this.revokeExternal, this.dialect));
    // InnoDB defaults to REPEATABLE READ, where reads after a row lock still see the snapshot
    // taken before it; READ COMMITTED (PostgreSQL's default) makes lock-then-read correct.
    if (this.dialect === 'mysql') return this.knex.transaction(run, { isolationLevel: 'read committed' });
    return this.knex.transaction(run);
  }

  /** Seeds organizations with their roles and groups from config (idempotent, additive). */
  seedOrganizations(orgs: OrganizationSeed[]): Promise<void> {
    return seedOrganizations(this.knex, this.sql, orgs);
  }

  saveRequestId(provider: string, requestId: string, expiresAt: number): Promise<void> {
    return this.saml.saveRequestId(provider, requestId, expiresAt);
  }

  consumeRequestId(provider: string, requestId: string): Promise<boolean> {
    return this.saml.consumeRequestId(provider, requestId);
  }

  rememberAssertion(provider: string, assertionId: string, expiresAt: number): Promise<boolean> {
    return this.saml.rememberAssertion(provider, assertionId, expiresAt);
  }

  /** Deletes expired SAML cache rows, sessions and IdP logouts; run periodically. */
  async sweepExpired(): Promise<void> {
    const at = this.now();
    await sweepExpiredSamlCache(this.sql, at);
    await sweepExpiredSessions(this.sql, at);
    await sweepExpiredIdpLogouts(this.sql, at);
  }

  close(): Promise<void> {
    return this.knex.destroy();
  }
}
