/**
 * Directory events: what changed in the directory (users, SCIM groups, memberships, the waiting
 * room), stated by the code that changed it, inside its own transaction. Hooks (the webhook outbox)
 * turn them into deliveries in that transaction, so a rolled-back change sends nothing.
 */
import type { GatehouseContext } from './context.ts';
import type { StoreOps } from './ports.ts';
import type { MembershipKey, MembershipSource, UserRecord } from './types.ts';

export const DIRECTORY_EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'user.deleted',
  'group.created',
  'group.deleted',
  'group.members_added',
  'group.members_removed',
  'membership.changed',
  'user.approved',
  'user.rejected',
] as const;
export type DirectoryEventType = (typeof DIRECTORY_EVENT_TYPES)[number];

export function isDirectoryEventType(v: string): v is DirectoryEventType {
  return (DIRECTORY_EVENT_TYPES as readonly string[]).includes(v);
}

/** Which surface made the change. */
export type DirectorySource = 'scim' | 'admin' | 'sso' | 'waiting_room';

/** Who made it: `scim:<token name>`, the admin's label, `idp:<provider>`. */
export interface EventOrigin {
  source: DirectorySource;
  actor: string;
}

export type EventUser = Pick<UserRecord, 'id' | 'email' | 'userName' | 'givenName' | 'familyName' | 'displayName' | 'status'>;

export interface EventGroup {
  id: string;
  displayName: string;
}

export interface MembershipFact extends MembershipKey {
  source: MembershipSource;
}

/** One user's membership rows that were added and removed by one change. */
export interface MembershipChange {
  user: EventUser;
  added: MembershipFact[];
  removed: MembershipFact[];
}

type UserEventType = Exclude<DirectoryEventType, `group.${string}` | 'membership.changed'>;

export type DirectoryEvent = EventOrigin &
  (
    | { type: UserEventType; user: EventUser; /** user.updated: the attributes that changed. */ changed?: string[] | undefined }
    | { type: 'group.created' | 'group.deleted'; group: EventGroup }
    | { type: 'group.members_added' | 'group.members_removed'; group: EventGroup; /** User ids. */ members: string[] }
    | { type: 'membership.changed'; changes: MembershipChange[] }
  );

/** Runs inside the transaction that made the changes (e.g. the webhook outbox writes its rows). */
export type DirectoryHook = (tx: StoreOps, events: readonly DirectoryEvent[]) => Promise<void>;

/** Hands the events to every hook, in the caller's transaction; nothing when there are none. */
export async function emitDirectoryEvents(ctx: Pick<GatehouseContext, 'directoryHooks'>, tx: StoreOps, events: readonly DirectoryEvent[]): Promise<void> {
  if (events.length === 0) return;
  for (const hook of ctx.directoryHooks) await hook(tx, events);
}

/** The membership.changed events of these changes (none when no row moved). */
export function membershipEvents(origin: EventOrigin, changes: readonly MembershipChange[]): DirectoryEvent[] {
  const moved = changes.filter((c) => c.added.length > 0 || c.removed.length > 0);
  return moved.length ? [{ ...origin, type: 'membership.changed', changes: moved }] : [];
}

export const fact = (m: MembershipFact): MembershipFact => ({ organization: m.organization, kind: m.kind, name: m.name, source: m.source });
