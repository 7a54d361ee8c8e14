/**
 * Keeps the login benchmark honest as Gatehouse changes: after one Gatehouse login and one bare
 * login of two new subjects, the rows each wrote must have the same shape (same tables, row counts,
 * columns, and which columns are null). A difference means bench/lib/bare.ts needs updating.
 */
import type { Knex } from 'knex';

type Row = Record<string, unknown>;

const shape = (r: Row) =>
  Object.keys(r)
    .sort()
    .map((k) => `${k}:${r[k] === null || r[k] === undefined ? 'null' : typeof r[k]}`)
    .join(',');

async function rowsOf(knex: Knex, prefix: string, subject: string): Promise<Record<string, string[]>> {
  const identity = (await knex(`${prefix}identities`).where({ subject }).first()) as Row | undefined;
  const userId = identity ? String(identity.user_id) : '';
  const pick = async (table: string, where: Row) => ((await knex(`${prefix}${table}`).where(where)) as Row[]).map(shape).sort();
  return {
    users: await pick('users', { id: userId }),
    identities: await pick('identities', { user_id: userId }),
    memberships: await pick('memberships', { user_id: userId }),
    audit: await pick('audit', { user_id: userId }),
    webhook_events: await pick('webhook_events', { user_id: userId }),
  };
}

/** Tables whose rows differ in shape between the two subjects' logins (empty when they match). */
export async function rowShapeDifferences(knex: Knex, prefix: string, gatehouseSubject: string, bareSubject: string): Promise<string[]> {
  const g = await rowsOf(knex, prefix, gatehouseSubject);
  const b = await rowsOf(knex, prefix, bareSubject);
  return Object.keys(g).filter((t) => JSON.stringify(g[t]) !== JSON.stringify(b[t]));
}
