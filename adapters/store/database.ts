/**
 * Opens the knex connection from the `database` config block and normalizes driver quirks
 * (PostgreSQL bigint as string, SQLite foreign keys and busy waits).
 */
import knexFactory, { type Knex } from 'knex';
import { resolve as resolvePath } from 'node:path';
import pg from 'pg';
import { checkpointInBackground, FALLBACK_AUTOCHECKPOINT_PAGES } from './sqlite-checkpointer.ts';
import { migrationSource, MIGRATIONS, type Migration } from './migrations/index.ts';
import { dialectOf } from './dialect.ts';

pg.types.setTypeParser(20, (v: string) => Number.parseInt(v, 10));

export interface DatabaseConfig {
  client: 'sqlite3' | 'pg' | 'mysql2';
  connection: unknown;
  pool?: Record<string, unknown> | undefined;
  tablePrefix: string;
  [key: string]: unknown;
}

/** What we touch of a better-sqlite3 connection. */
interface SqliteConnection {
  pragma(sql: string): unknown;
  prepare(sql: string): unknown;
}

/** Prepared statements kept per connection (the most recently used ones). */
const STATEMENT_CACHE_SIZE = 500;

/**
 * knex prepares every statement it runs anew; SQLite's prepare is a parse and a plan, a large
 * share of a small query's cost. The connection keeps the last statements it prepared, by SQL
 * text, and hands them back: knex only ever runs them to completion at once (`all`/`run`), and
 * SQLite re-prepares a kept statement by itself when a migration changed the schema under it.
 */
function cachePreparedStatements(conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, unknown>();
  conn.prepare = (sql: string) => {
    const hit = cache.get(sql);
    if (hit !== undefined) {
      // Map order is recency order: move the hit to the end.
      cache.delete(sql);
      cache.set(sql, hit);
      return hit;
    }
    const statement = prepare(sql);
    cache.set(sql, statement);
    if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    return statement;
  };
}

/**
 * How long a query waits for a pool connection before failing (`database.acquireConnectionTimeout`).
 * knex's own default is 60 s: during an outage every request would hang for a minute. A request
 * that gives up answers 503 with Retry-After instead (plugin/http/unavailable.ts).
 */
export const DEFAULT_ACQUIRE_CONNECTION_TIMEOUT_MS = 10_000;

/** Where knex's own messages go (pino's `debug` fits). */
export interface KnexMessageSink {
  debug(obj: Record<string, unknown>, msg: string): void;
}

/**
 * knex's own logger writes to stdout (console.log), e.g. a driver stack on every failed connection
 * attempt, ahead of the error it then throws anyway: that would break a command's machine-readable
 * stdout and its promised one-line reason. Its messages go to `sink` at debug level instead, or
 * nowhere.
 */
function knexLog(sink: KnexMessageSink | undefined): Knex.Config['log'] {
  const to = (level: string) => (message: unknown) => {
    if (!sink) return;
    const text = message instanceof Error ? message.message : typeof message === 'string' ? message : JSON.stringify(message);
    sink.debug({ knex: level }, text);
  };
  return { debug: to('debug'), warn: to('warn'), error: to('error'), deprecate: to('deprecate') };
}

/** Opens the pool; `log` receives knex's own messages at debug level (none are printed). */
export function openDatabase(config: DatabaseConfig, log?: KnexMessageSink): Knex {
  const { tablePrefix: _prefix, ...rest } = config;
  const base = { acquireConnectionTimeout: DEFAULT_ACQUIRE_CONNECTION_TIMEOUT_MS, ...rest, log: knexLog(log) } as Knex.Config;
  const filename = config.client === 'sqlite3' ? fileOf(config.connection) : null;
  if (config.client === 'sqlite3') {
    // `sqlite3` is the configuration name of the embedded database; the driver underneath is
    // better-sqlite3 (synchronous: no thread-pool hop per statement, several times cheaper per query).
    base.client = 'better-sqlite3';
    base.useNullAsDefault = true;
    base.pool = {
      afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) {
        try {
          cachePreparedStatements(conn);
          // busy_timeout first: switching to WAL needs a moment of exclusive access.
          conn.pragma('busy_timeout = 5000');
          conn.pragma('foreign_keys = ON');
          conn.pragma('journal_mode = WAL');
          // In WAL mode NORMAL never corrupts the file; a power cut may lose the last commits.
          conn.pragma('synchronous = NORMAL');
          // Checkpoints run in a worker thread (see sqlite-checkpointer.ts); this is the fallback.
          if (filename !== null) conn.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
        } catch (e) {
          return done(e as Error, conn);
        }
        done(null, conn);
      },
      ...(config.pool ?? {}),
      // Always one connection: better-sqlite3 runs statements on the main thread, so a second
      // connection waiting for the first one's write lock (busy_timeout) would block the event loop
      // the first one needs to commit, for the whole timeout. One writer is all SQLite has anyway.
      min: Math.min(Number(config.pool?.min ?? 1), 1),
      max: 1,
    } as Knex.PoolConfig;
  }
  const knex = knexFactory(base);
  if (filename !== null) {
    // Checkpoint in the background while a connection to the file is open (the first one
    // creates it, in WAL mode); the pool's connection events pair up, knex.destroy included.
    const pool = (knex.client as { pool?: { on(event: string, fn: () => void): void } }).pool;
    const releases: (() => void)[] = [];
    pool?.on('createSuccess', () => releases.push(checkpointInBackground(filename)));
    pool?.on('destroySuccess', () => releases.pop()?.());
  }
  return knex;
}

/** The database file of a SQLite connection config, absolute; null for an in-memory database. */
function fileOf(connection: unknown): string | null {
  const filename = (connection as { filename?: unknown } | null)?.filename;
  if (typeof filename !== 'string' || filename === '' || filename === ':memory:' || filename.startsWith('file:')) return null;
  return resolvePath(filename);
}

export const MIGRATION_TABLE = 'gatehouse_migrations';

/** Creates or upgrades the schema; safe to call on every start and from several instances. */
/**
 * Runs `fn` while holding a server-side lock named after the prefix (PostgreSQL advisory lock,
 * MySQL GET_LOCK), so that instances starting together migrate one after the other. knex's own
 * migration lock table is created racily on a fresh database; this closes that window. SQLite
 * has one writer anyway; the retries in `migrate` cover it.
 */
async function withServerLock<T>(db: Knex, prefix: string, fn: () => Promise<T>): Promise<T> {
  const dialect = dialectOf(db);
  const isPg = dialect === 'pg';
  const isMysql = dialect === 'mysql';
  if (!isPg && !isMysql) return fn();
  const name = `gatehouse_migrate_${prefix}`;
  const conn: unknown = await db.client.acquireConnection();
  const run = (sql: string, bindings: unknown[]) => db.raw(sql, bindings as never).connection(conn as never);
  try {
    if (isPg) await run('select pg_advisory_lock(hashtext(?))', [name]);
    else await run('select get_lock(?, 120)', [name]);
    try {
      return await fn();
    } finally {
      if (isPg) await run('select pg_advisory_unlock(hashtext(?))', [name]);
      else await run('select release_lock(?)', [name]);
    }
  } finally {
    await db.client.releaseConnection(conn);
  }
}

export async function migrate(db: Knex, prefix: string, migrations: Migration[] = MIGRATIONS): Promise<string[]> {
  return withServerLock(db, prefix, () => migrateWithRetries(db, prefix, migrations));
}

async function migrateWithRetries(db: Knex, prefix: string, migrations: Migration[]): Promise<string[]> {
  // Instances starting together: knex refuses while another holds the migration lock, so wait.
  for (let attempt = 1; ; attempt++) {
    try {
      if (dialectOf(db) === 'sqlite') {
        // Create knex's lock table and its single row ourselves, in statements SQLite runs
        // atomically, so two first starts cannot both insert a row (which leaves the lock stuck).
        const lock = `${prefix}${MIGRATION_TABLE}_lock`;
        await db.raw(`create table if not exists "${lock}" ("index" integer not null primary key autoincrement, "is_locked" integer)`);
        await db.raw(`insert or ignore into "${lock}" ("index", "is_locked") values (1, 0)`);
      }
      const [, applied] = (await db.migrate.latest({
        migrationSource: migrationSource(prefix, migrations),
        tableName: `${prefix}${MIGRATION_TABLE}`,
      })) as [number, string[]];
      return applied;
    } catch (e) {
      if (!isMigrationRace(e) || attempt >= 60) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Another instance got to the migration table (or its lock) first: wait and look again. */
function isMigrationRace(e: unknown): boolean {
  const err = e as { name?: string; code?: string; errno?: number; message?: string };
  return (
    err.name === 'MigrationLocked' ||
    (err.code === 'SQLITE_ERROR' && /already exists/.test(err.message ?? '')) ||
    err.code === '42P07' ||
    err.code === '23505' ||
    err.code === 'ER_TABLE_EXISTS_ERROR' ||
    err.errno === 1050 ||
    err.code === 'ER_DUP_ENTRY' ||
    isSqliteBusy(err)
  );
}

/** True for a unique-constraint violation on any of the three databases. */
export function isUniqueViolation(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { code?: string; errno?: number; message?: string };
  return (
    err.code === '23505' ||
    err.code === 'ER_DUP_ENTRY' ||
    err.errno === 1062 ||
    // better-sqlite3 reports SQLite's extended result codes.
    err.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/** True for errors worth retrying the whole transaction for (deadlock, serialization, busy). */
export function isRetryableTxError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { code?: string; errno?: number };
  return (
    err.code === '40001' ||
    err.code === '40P01' ||
    err.code === 'ER_LOCK_DEADLOCK' ||
    err.errno === 1213 ||
    isSqliteBusy(err)
  );
}

/** SQLITE_BUSY and its extended codes (better-sqlite3 reports e.g. SQLITE_BUSY_SNAPSHOT). */
function isSqliteBusy(err: { code?: string }): boolean {
  return typeof err.code === 'string' && /^SQLITE_BUSY(_|$)/.test(err.code);
}
