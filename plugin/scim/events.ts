/**
 * The directory events of SCIM writes (plugin/directory-events.ts), emitted inside the write's
 * transaction: a user's status and attribute changes, and the membership rows its mapping moved.
 */
import { emitDirectoryEvents, membershipEvents, type DirectoryEvent, type EventOrigin, type MembershipChange } from '../directory-events.ts';
import type { ScimRequestContext } from './context.ts';
import type { ScimTransaction, ScimUserRow } from './ports.ts';
import { stableStringify } from './schema/resource.ts';

export function scimOrigin(rc: ScimRequestContext): EventOrigin {
  return { source: 'scim', actor: rc.actor };
}

export function emitScimEvents(tx: ScimTransaction, rc: ScimRequestContext, events: readonly DirectoryEvent[]): Promise<void> {
  return emitDirectoryEvents(rc.ctx, tx.store, events);
}

/** Top-level attributes whose value differs between two documents, sorted. */
export function changedAttributes(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => stableStringify(before[k] ?? null) !== stableStringify(after[k] ?? null)).sort();
}

/**
 * A write over an existing user: deactivated or reactivated when `active` moved it, updated when
 * an attribute changed (both can come from one request), and its membership changes.
 */
export function userWriteEvents(
  rc: ScimRequestContext,
  before: { row: ScimUserRow; doc: Record<string, unknown> },
  after: { row: ScimUserRow; doc: Record<string, unknown> },
  memberships: Omit<MembershipChange, 'user'>,
): DirectoryEvent[] {
  const origin = scimOrigin(rc);
  const user = after.row;
  const events: DirectoryEvent[] = [];
  if (before.row.status !== 'deprovisioned' && user.status === 'deprovisioned') events.push({ ...origin, type: 'user.deactivated', user });
  if (before.row.status === 'deprovisioned' && user.status !== 'deprovisioned') events.push({ ...origin, type: 'user.reactivated', user });
  const changed = changedAttributes(before.doc, after.doc);
  if (changed.length) events.push({ ...origin, type: 'user.updated', user, changed });
  return [...events, ...membershipEvents(origin, [{ user, ...memberships }])];
}
