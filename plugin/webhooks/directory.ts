/**
 * Directory events as deliveries: one body per subscribed endpoint, written to the outbox inside
 * the transaction that made the change. Lists that grow with one request (a group's members, the
 * users whose memberships a group push moved) are cut into parts of MEMBERS_PER_DELIVERY, so one
 * SCIM request that touches 1,000 memberships sends ten deliveries per event type, not 1,000.
 */
import type { DirectoryEvent, DirectoryHook, EventUser, MembershipChange } from '../directory-events.ts';
import { newMessageId } from './hook.ts';
import type { NewWebhookEvent, WebhookEndpoint, WebhookStore } from './ports.ts';

/** Members (or users of membership.changed) per delivery. */
export const MEMBERS_PER_DELIVERY = 100;

export interface DirectoryUserView {
  id: string;
  email: string | null;
  username: string | null;
  first_name: string | null;
  last_name: string | null;
  name: string | null;
  status: EventUser['status'];
}

/** The body of a directory event delivery (docs/webhooks.md, contract section 7). */
export interface DirectoryBody {
  type: DirectoryEvent['type'];
  timestamp: string;
  data: {
    user?: DirectoryUserView;
    changed?: string[];
    group?: { id: string; displayName: string };
    members?: { id: string }[];
    changes?: { user: DirectoryUserView; added: MembershipChange['added']; removed: MembershipChange['removed'] }[];
    source: DirectoryEvent['source'];
    actor: string;
    custom_payload: Record<string, string>;
  };
}

export function userView(u: EventUser): DirectoryUserView {
  return {
    id: u.id,
    email: u.email,
    username: u.userName ?? u.email,
    first_name: u.givenName,
    last_name: u.familyName,
    name: u.displayName,
    status: u.status,
  };
}

function parts<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += MEMBERS_PER_DELIVERY) out.push(list.slice(i, i + MEMBERS_PER_DELIVERY));
  return out;
}

/** The data of an event without its origin, one entry per delivery. */
function payloads(event: DirectoryEvent): Omit<DirectoryBody['data'], 'source' | 'actor' | 'custom_payload'>[] {
  switch (event.type) {
    case 'group.created':
    case 'group.deleted':
      return [{ group: { ...event.group } }];
    case 'group.members_added':
    case 'group.members_removed':
      return parts(event.members).map((ids) => ({ group: { ...event.group }, members: ids.map((id) => ({ id })) }));
    case 'membership.changed':
      return parts(event.changes).map((list) => ({ changes: list.map((c) => ({ user: userView(c.user), added: c.added, removed: c.removed })) }));
    default:
      return [{ user: userView(event.user), ...(event.changed ? { changed: event.changed } : {}) }];
  }
}

/** The bodies one event sends to one endpoint (several when its lists are long). */
export function directoryBodies(event: DirectoryEvent, endpoint: Pick<WebhookEndpoint, 'payload'>, at: number): DirectoryBody[] {
  return payloads(event).map((data) => ({
    type: event.type,
    timestamp: new Date(at).toISOString(),
    data: { ...data, source: event.source, actor: event.actor, custom_payload: { ...endpoint.payload } },
  }));
}

/** A made-up event of each type, for `GET /admin/api/webhooks/{id}/example?event=`. */
export function exampleDirectoryEvent(type: DirectoryEvent['type']): DirectoryEvent {
  const origin = { source: 'scim' as const, actor: 'scim:okta' };
  const user: EventUser = { id: '00000000-0000-4000-8000-000000000000', email: 'jane.doe@example.com', userName: 'jane.doe@example.com', givenName: 'Jane', familyName: 'Doe', displayName: 'Jane Doe', status: 'active' };
  const group = { id: '00000000-0000-4000-8000-0000000000aa', displayName: 'chainloop_acme-corp_developers' };
  switch (type) {
    case 'group.created':
    case 'group.deleted':
      return { ...origin, type, group };
    case 'group.members_added':
    case 'group.members_removed':
      return { ...origin, type, group, members: [user.id] };
    case 'membership.changed':
      return { ...origin, type, changes: [{ user, added: [{ organization: 'acme-corp', kind: 'group', name: 'developers', source: 'scim' }], removed: [] }] };
    case 'user.approved':
    case 'user.rejected':
      return { source: 'waiting_room', actor: 'admin-token:automation', type, user: { ...user, status: type === 'user.approved' ? 'active' : 'rejected' } };
    case 'user.deactivated':
      return { ...origin, type, user: { ...user, status: 'deprovisioned' } };
    case 'user.updated':
      return { ...origin, type, user, changed: ['displayName'] };
    default:
      return { ...origin, type, user };
  }
}

const userIdOf = (event: DirectoryEvent): string | null => ('user' in event ? event.user.id : null);

/** The outbox hook for directory events; the dispatcher is nudged once the change committed. */
export function createDirectoryEventHook(deps: { store: WebhookStore; now: () => number; onCommitted: () => void }): DirectoryHook {
  return async (tx, events) => {
    const endpoints = (await deps.store.listFiringEndpoints(tx)).filter((e) => e.events.length > 0);
    if (endpoints.length === 0) return;
    const at = deps.now();
    const rows: NewWebhookEvent[] = [];
    for (const event of events) {
      for (const endpoint of endpoints) {
        if (!endpoint.events.includes(event.type)) continue;
        for (const body of directoryBodies(event, endpoint, at)) {
          rows.push({ id: newMessageId(), endpointId: endpoint.id, type: event.type, body: JSON.stringify(body), userId: userIdOf(event), createdAt: at });
        }
      }
    }
    if (rows.length === 0) return;
    await deps.store.enqueue(tx, rows);
    deps.store.afterCommit(tx, deps.onCommitted);
  };
}
