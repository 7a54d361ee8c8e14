/**
 * Real databases for tests: a fresh SQLite file, or a fresh PostgreSQL schema on the machine's
 * server (127.0.0.1:5432, database `test`). A test that needs PostgreSQL and cannot reach it fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { openDatabase, migrate, type DatabaseConfig } from '../../adapters/store/database.ts';
import { KnexStore } from '../../adapters/store/knex-store.ts';

export type DbKind = 'sqlite' | 'pg' | 'mysql';

/**
 * The database kinds every database test runs on: SQLite and PostgreSQL always; MySQL/MariaDB
 * too when GATEHOUSE_TEST_DBS names it (e.g. `sqlite,pg,mysql`).
 */
export const DB_KINDS: DbKind[] = (process.env.GATEHOUSE_TEST_DBS ?? 'sqlite,pg')
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is DbKind => s === 'sqlite' || s === 'pg' || s === 'mysql');

export const PG_CONNECTION = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};

export const MYSQL_CONNECTION = {
  host: process.env.MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.MYSQL_PORT ?? 3306),
  user: process.env.MYSQL_USER ?? 'root',
  password: process.env.MYSQL_PASSWORD ?? '',
};

export interface TestDatabase {
  kind: DbKind;
  config: DatabaseConfig;
  /** Drops the schema / deletes the file. */
  drop(): Promise<void>;
}

/** A brand-new, empty database (not migrated). */
export async function createTestDatabase(kind: DbKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
    return {
      kind,
      config: { client: 'sqlite3', connection: { filename: join(dir, 'gatehouse.sqlite') }, tablePrefix: 'gh_' },
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (kind === 'mysql') {
    const database = `gh_t_${randomBytes(6).toString('hex')}`;
    const admin = knexFactory({ client: 'mysql2', connection: MYSQL_CONNECTION, pool: { min: 0, max: 1 } });
    try {
      await admin.raw(`create database \`${database}\` character set utf8mb4`);
    } finally {
      await admin.destroy();
    }
    return {
      kind,
      config: { client: 'mysql2', connection: { ...MYSQL_CONNECTION, database }, pool: { min: 0, max: 10 }, tablePrefix: 'gh_' },
      async drop() {
        const a = knexFactory({ client: 'mysql2', connection: MYSQL_CONNECTION, pool: { min: 0, max: 1 } });
        try {
          await a.raw(`drop database if exists \`${database}\``);
        } finally {
          await a.destroy();
        }
      },
    };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: PG_CONNECTION, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`create schema "${schema}"`);
  } finally {
    await admin.destroy();
  }
  return {
    kind,
    config: { client: 'pg', connection: PG_CONNECTION, searchPath: [schema], pool: { min: 0, max: 10 }, tablePrefix: 'gh_' },
    async drop() {
      const a = knexFactory({ client: 'pg', connection: PG_CONNECTION, pool: { min: 0, max: 1 } });
      try {
        await a.raw(`drop schema if exists "${schema}" cascade`);
      } finally {
        await a.destroy();
      }
    },
  };
}

/** A migrated store on a fresh database; `close` also drops it. */
export async function createTestStore(kind: DbKind): Promise<{ store: KnexStore; db: TestDatabase; close(): Promise<void> }> {
  const db = await createTestDatabase(kind);
  const knex = openDatabase(db.config);
  await migrate(knex, 'gh_');
  const store = new KnexStore(knex, 'gh_');
  return {
    store,
    db,
    async close() {
      await store.close();
      await db.drop();
    },
  };
}
