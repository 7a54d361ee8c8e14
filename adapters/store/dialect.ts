/** Which database a knex instance talks to, read once per knex client (not sniffed again by every caller). */
import type { Knex } from 'knex';

export type Dialect = 'sqlite' | 'pg' | 'mysql';

const known = new WeakMap<object, Dialect>();

/** The dialect of `db` (a knex instance or transaction): SQLite, PostgreSQL or MySQL/MariaDB. */
export function dialectOf(db: Knex | Knex.Transaction): Dialect {
  const cached = known.get(db.client);
  if (cached) return cached;
  const client = String(db.client.config.client);
  const dialect: Dialect | null = /sqlite/.test(client) ? 'sqlite' : /^(pg|postgres)/.test(client) ? 'pg' : /mysql/.test(client) ? 'mysql' : null;
  if (dialect === null) throw new TypeError(`unsupported knex client "${client}" (sqlite3, pg or mysql2)`);
  known.set(db.client, dialect);
  return dialect;
}
