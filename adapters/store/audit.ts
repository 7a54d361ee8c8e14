/** The audit port on knex: one row per entry, newest first when listed, paged by id. */
import type { AuditStore } from '../../plugin/ports.ts';
import type { AuditEntry } from '../../plugin/types.ts';
import { auditRow, rowToAudit, type Row } from './rows.ts';
import { chunks, type SqlContext } from './sql.ts';

/** The audit port on the runner of `c`. */
export function knexAudit(c: SqlContext): AuditStore {
  const { db, t } = c;
  return {
    async audit(entry) {
      await db(t('audit')).insert(auditRow(entry, c.now()));
    },

    async listAudit(filter) {
      const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
      const q = db(t('audit')).orderBy('id', 'desc').limit(limit + 1);
      if (filter.user) q.where('user_id', filter.user);
      if (filter.actor) q.where('actor', filter.actor);
      if (filter.action) q.where('action', filter.action);
      if (filter.since !== undefined) q.where('at', '>=', filter.since);
      if (filter.until !== undefined) q.where('at', '<=', filter.until);
      if (filter.cursor) q.where('id', '<', Number(filter.cursor));
      const rows = (await q) as Row[];
      const entries = rows.slice(0, limit).map(rowToAudit);
      return { entries, nextCursor: rows.length > limit ? (entries[entries.length - 1]?.id ?? null) : null };
    },
  };
}

/**
 * Many entries, each at its own time, in few statements (the SCIM read log is written in batches).
 * A reason longer than 2,000 characters is cut there.
 */
export async function auditMany(c: SqlContext, entries: (AuditEntry & { at: number })[]): Promise<void> {
  const rows = entries.map((e) => auditRow({ ...e, reason: e.reason === null || e.reason === undefined ? null : e.reason.slice(0, 2000) }, e.at));
  // 9 columns a row: 100 rows stay under SQLite's bound-parameter limit.
  for (const part of chunks(rows, 100)) await c.db(c.t('audit')).insert(part);
}
