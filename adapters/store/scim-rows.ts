/**
 * SCIM rows: users with their stored SCIM document, groups, and a unique violation as the conflict
 * it means. The core user columns are read by rows.ts `rowToUser`, as for every other store.
 */
import type { ScimConflict, ScimGroupRow, ScimUserRow } from '../../plugin/scim/ports.ts';
import { isUniqueViolation } from './database.ts';
import { num, rowToUser, str, type Row } from './rows.ts';

/** What a user row needs for SCIM: fetching every column costs several times more per row on SQLite. */
export const USER_FIELDS = ['id', 'user_name', 'email', 'email_original', 'external_id', 'given_name', 'family_name', 'display_name', 'status', 'instance_admin', 'created_at', 'updated_at', 'version', 'scim'];

/** What a listed user needs when it has a SCIM document (see scim-users.ts queryUsers). */
export const LIST_FIELDS = ['id', 'user_name', 'status', 'created_at', 'updated_at', 'version', 'scim'];

function parseDoc(v: unknown): Record<string, unknown> | null {
  if (typeof v !== 'string' || v === '') return null;
  try {
    const doc = JSON.parse(v) as unknown;
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A user row with its SCIM document parsed (null when it has none or it is not a JSON object). */
export function toUserRow(r: Row): ScimUserRow {
  return { ...rowToUser(r), doc: parseDoc(r.scim) };
}

/** A user row whose document stays JSON text (see ScimUserRow.docJson). */
export function toRawUserRow(r: Row): ScimUserRow {
  return { ...rowToUser(r), doc: null, docJson: typeof r.scim === 'string' && r.scim !== '' ? r.scim : null };
}

/** A group row with its SCIM document parsed. */
export function toGroupRow(r: Row): ScimGroupRow {
  return {
    id: String(r.id),
    displayName: String(r.display_name),
    externalId: str(r.external_id),
    doc: parseDoc(r.scim),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    version: num(r.version),
  };
}

/** A unique violation as the conflict it means (`values`: the logical columns written); null for any other error. */
export function conflictOf(e: unknown, values: Record<string, unknown>): ScimConflict | null {
  if (!isUniqueViolation(e)) return null;
  // Which constraint: pg names it; SQLite and MySQL say it after the SQL text (which mentions every column).
  const err = e as { constraint?: unknown; message?: unknown };
  const msg = String(err.message ?? '');
  const where = typeof err.constraint === 'string' ? err.constraint : (/for key '([^']+)'/.exec(msg)?.[1] ?? /UNIQUE constraint failed: ([\w., ]+)/.exec(msg)?.[1] ?? '');
  if (/display_name/.test(where)) return { conflict: 'displayName', value: String(values.displayName) };
  return { conflict: 'userName', value: String(values.userName) };
}
