/**
 * express-session store over the Gatehouse database. Each row carries the session's user id,
 * so deprovisioning can delete every session of a user at once.
 */
import session from 'express-session';
import type { Knex } from 'knex';

type Callback<T = void> = (err?: unknown, value?: T) => void;

function userIdOf(sess: session.SessionData): string | null {
  const g = (sess as unknown as { gatehouse?: { userId?: unknown } }).gatehouse;
  return typeof g?.userId === 'string' ? g.userId : null;
}

export class KnexSessionStore extends session.Store {
  private readonly table: string;

  constructor(
    private readonly db: Knex,
    prefix: string,
    private readonly defaultTtlMs = 8 * 60 * 60 * 1000,
  ) {
    super();
    this.table = `${prefix}sessions`;
  }

  private expiry(sess: session.SessionData): number {
    const exp = sess.cookie?.expires;
    if (exp) return new Date(exp).getTime();
    return Date.now() + this.defaultTtlMs;
  }

  override get(sid: string, cb: Callback<session.SessionData | null>): void {
    this.db(this.table)
      .select('sess', 'expires_at')
      .where({ sid })
      .first()
      .then((row: { sess: string; expires_at: number | string } | undefined) => {
        if (!row || Number(row.expires_at) <= Date.now()) return cb(undefined, null);
        cb(undefined, JSON.parse(row.sess) as session.SessionData);
      }, cb);
  }

  override set(sid: string, sess: session.SessionData, cb?: Callback): void {
    const row = { sid, sess: JSON.stringify(sess), user_id: userIdOf(sess), expires_at: this.expiry(sess) };
    this.db(this.table)
      .insert(row)
      .onConflict('sid')
      .merge(['sess', 'user_id', 'expires_at'])
      .then(() => cb?.(), (e: unknown) => cb?.(e));
  }

  override destroy(sid: string, cb?: Callback): void {
    this.db(this.table)
      .where({ sid })
      .delete()
      .then(() => cb?.(), (e: unknown) => cb?.(e));
  }

  override touch(sid: string, sess: session.SessionData, cb?: Callback): void {
    this.db(this.table)
      .where({ sid })
      .update({ expires_at: this.expiry(sess) })
      .then(() => cb?.(), (e: unknown) => cb?.(e));
  }

  override clear(cb?: Callback): void {
    this.db(this.table)
      .delete()
      .then(() => cb?.(), (e: unknown) => cb?.(e));
  }

  override length(cb: Callback<number>): void {
    this.db(this.table)
      .count<{ n: number | string }[]>({ n: '*' })
      .then((r) => cb(undefined, Number(r[0]?.n ?? 0)), cb);
  }
}
