/**
 * What SCIM Users and Groups write and list alike: a page with its total (RFC 7644 §3.4.2.4) and
 * an update that bumps the version, only from the version the client saw (ETag If-Match).
 */
import type { Knex } from 'knex';
import type { ScimConflict, ScimQuery } from '../../plugin/scim/ports.ts';
import { columnOf, type Scope } from '../scim/sql-filter.ts';
import type { Row } from './rows.ts';
import { conflictOf } from './scim-rows.ts';
import type { SqlContext } from './sql.ts';

/** One page and the total; the count query is skipped when the page itself tells the total. */
export async function page(base: Knex.QueryBuilder, table: string, fields: string[] | null, scope: Scope, query: ScimQuery): Promise<{ total: number; rows: Row[] }> {
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

/**
 * Updates one row, bumping its version; with `expectedVersion` only if the row still has it.
 * False when no row matched; a unique violation is the conflict it means (`values`: the logical
 * columns written, to name the value taken).
 */
export async function versionedUpdate(
  c: SqlContext,
  table: string,
  id: string,
  cols: Row,
  expectedVersion: number | null,
  at: number,
  values: Record<string, unknown>,
): Promise<boolean | ScimConflict> {
  const q = c.db(c.t(table)).where({ id });
  if (expectedVersion !== null) q.andWhere('version', expectedVersion);
  try {
    return (await q.update({ ...cols, updated_at: at, version: c.db.raw('version + 1') })) > 0;
  } catch (e) {
    const conflict = conflictOf(e, values);
    if (conflict) return conflict;
    throw e;
  }
}

/** Inserts a row; a unique violation is the conflict it means, as for versionedUpdate. */
export async function insertUnique(c: SqlContext, table: string, row: Row, values: Record<string, unknown>): Promise<ScimConflict | null> {
  try {
    await c.db(c.t(table)).insert(row);
    return null;
  } catch (e) {
    const conflict = conflictOf(e, values);
    if (conflict) return conflict;
    throw e;
  }
}
