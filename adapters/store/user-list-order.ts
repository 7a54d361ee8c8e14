/**
 * Keyset paging of the users list under each sort order: ORDER BY (key, id) in one direction and
 * a cursor that carries the last row's (key, id), so a page starts exactly after the previous one
 * whatever ties the key has. The cursor names its order; one from another order is refused.
 */
import type { Knex } from 'knex';
import { GatehouseError } from '../../plugin/errors.ts';
import { defaultSortDir, USER_SORTS, type SortDir, type UserListFilter, type UserSort } from '../../plugin/ports.ts';

interface Cursor {
  s: UserSort;
  d: SortDir;
  /** The sort key of the page's last row (a number for `created`). */
  k: string | number;
  id: string;
}

export interface UserOrder {
  sort: UserSort;
  dir: SortDir;
  /** SQL of the sort key; null emails sort as '' so that every database puts them first. */
  key: string;
}

/** The order a filter asks for, with defaults applied; `table` qualifies the columns. */
export function userOrder(filter: Pick<UserListFilter, 'sort' | 'dir'>, table: string): UserOrder {
  const sort = filter.sort ?? 'created';
  const dir = filter.dir ?? defaultSortDir(sort);
  const key = sort === 'created' ? `${table}.created_at` : sort === 'email' ? `coalesce(${table}.email, '')` : `${table}.status`;
  return { sort, dir, key };
}

const badCursor = (why: string) => new GatehouseError('ERR_VALIDATION', `cursor: ${why}`, { details: { field: 'cursor' } });

function decode(raw: string, order: UserOrder): Cursor {
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw badCursor('not a cursor from this list (use nextCursor as given)');
  }
  const v = c as Partial<Cursor> | null;
  const keyOk = order.sort === 'created' ? Number.isSafeInteger(v?.k) : typeof v?.k === 'string';
  if (typeof v !== 'object' || v === null || !USER_SORTS.includes(v.s as UserSort) || typeof v.id !== 'string' || !keyOk) {
    throw badCursor('not a cursor from this list (use nextCursor as given)');
  }
  if (v.s !== order.sort || v.d !== order.dir) throw badCursor(`it belongs to sort=${v.s}&dir=${v.d}; start again without it`);
  return v as Cursor;
}

/** `nextCursor` for a page whose last row is `last`. */
export function encodeUserCursor(order: UserOrder, last: { id: string; email: string | null; status: string; createdAt: number }): string {
  const k = order.sort === 'created' ? last.createdAt : order.sort === 'email' ? (last.email ?? '') : last.status;
  const c: Cursor = { s: order.sort, d: order.dir, k, id: last.id };
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

/** Adds ORDER BY (key, id) and, with a cursor, the "after the last row" condition. */
export function applyUserOrder(q: Knex.QueryBuilder, db: Knex | Knex.Transaction, order: UserOrder, table: string, cursor: string | undefined): void {
  const cmp = order.dir === 'asc' ? '>' : '<';
  if (cursor) {
    const c = decode(cursor, order);
    q.where((w) => {
      w.whereRaw(`${order.key} ${cmp} ?`, [c.k]).orWhere((t) => t.whereRaw(`${order.key} = ?`, [c.k]).andWhere(`${table}.id`, cmp, c.id));
    });
  }
  q.orderBy([
    { column: db.raw(order.key) as unknown as string, order: order.dir },
    { column: `${table}.id`, order: order.dir },
  ]);
}
