/**
 * What every table store of one query runner shares (the runner, its dialect, the table names, the
 * clock), and the SQL helpers they all use: LIKE escaping, statement chunking, row locks.
 */
import type { Knex } from 'knex';
import type { Dialect } from './dialect.ts';

/** A knex instance or a transaction of it: every table store runs on either. */
export type Runner = Knex | Knex.Transaction;

export interface SqlContext {
  readonly db: Runner;
  /** Resolved once by the store that made the context, never sniffed again per query. */
  readonly dialect: Dialect;
  readonly prefix: string;
  readonly now: () => number;
  /** The prefixed name of a table. */
  t(name: string): string;
}

/** The context of `db`, whose dialect the store resolved (dialect.ts `dialectOf`) when it was made. */
export function sqlContext(db: Runner, prefix: string, now: () => number, dialect: Dialect): SqlContext {
  return { db, dialect, prefix, now, t: (name) => `${prefix}${name}` };
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

/** 500 ids a statement keep `where in (...)` far below every database's bound-parameter limit. */
export function chunks<T>(items: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Adds FOR UPDATE (of `table` when given) where the database has row locks; SQLite has none and
 * needs none, since it serializes writers.
 */
export function lockRows(q: Knex.QueryBuilder, dialect: Dialect, table?: string): Knex.QueryBuilder {
  if (dialect === 'sqlite') return q;
  return table === undefined ? q.forUpdate() : q.forUpdate(table);
}
