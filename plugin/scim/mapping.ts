/**
 * SCIM feeds the same mapping rules as SSO: a SCIM user becomes Claims (subject = SCIM id, email,
 * names, groups = display names of its SCIM Groups, raw = the SCIM resource) and the engine plans
 * with source `scim`, so a group push grants roles exactly as a login with those groups would.
 * SCIM-sourced memberships are only ever removed here.
 *
 * Status: a user SCIM creates is `pending_approval` until the engine's access decision says the
 * mapping entitles it, then `active`; `deprovisioned`/`rejected` users are not mapped.
 */
import { fact, type MembershipChange, type MembershipFact } from '../directory-events.ts';
import { mappingInput, type MappingPlan } from '../mapping/index.ts';
import type { NewMembership } from '../ports.ts';
import { writePlan, writeRemovals } from '../provisioning/apply.ts';
import type { Claims, Membership, UserStatus } from '../types.ts';
import type { ScimRequestContext } from './context.ts';
import type { ScimTransaction, ScimUserRow } from './ports.ts';
import { isPlainObject } from './schema/resource.ts';

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** The primary email of a document (else the first one), as sent. */
export function primaryEmail(doc: Record<string, unknown>): string | null {
  const emails = Array.isArray(doc.emails) ? doc.emails.filter(isPlainObject) : [];
  const chosen = emails.find((e) => e.primary === true) ?? emails[0];
  return text(chosen?.value);
}

export function claimsFromUser(rc: ScimRequestContext, user: { id: string; doc: Record<string, unknown> | null; status: UserStatus }, groups: string[]): Claims {
  const doc = user.doc ?? {};
  const name = isPlainObject(doc.name) ? doc.name : {};
  const email = primaryEmail(doc);
  return {
    provider: rc.token.provider ?? 'scim',
    subject: user.id,
    email: email?.toLowerCase() ?? null,
    emailOriginal: email,
    // The IdP asserts the address it provisions.
    emailVerified: email !== null,
    name: text(doc.displayName) ?? text(name.formatted),
    givenName: text(name.givenName),
    familyName: text(name.familyName),
    groups,
    groupsOverage: false,
    raw: { ...doc, id: user.id, active: user.status !== 'deprovisioned', groups },
  };
}

/** The engine's plan for a SCIM user holding `current` (pure). */
function planFor(rc: ScimRequestContext, user: { id: string; doc: Record<string, unknown> | null; status: UserStatus }, groups: string[], current: Membership[]): MappingPlan {
  return rc.engine.plan(mappingInput(claimsFromUser(rc, user, groups), 'scim', current));
}

/** What mapping would grant a brand-new user (no groups, no memberships): decides active vs pending at create. */
export function entitledAtCreate(rc: ScimRequestContext, claims: Claims): boolean {
  return rc.engine.plan(mappingInput(claims, 'scim', [])).access.entitled;
}

/** On reactivation: active when mapping grants something or the user still holds memberships. */
export async function reactivationStatus(tx: ScimTransaction, rc: ScimRequestContext, user: ScimUserRow, groups: string[]): Promise<UserStatus> {
  const current = await tx.store.listMemberships(user.id);
  if (current.length > 0) return 'active';
  return planFor(rc, { ...user, status: 'active' }, groups, current).access.entitled ? 'active' : 'pending_approval';
}

export interface MappingResult {
  status: UserStatus;
  added: string[];
  removed: string[];
  /** The rows moved, for the membership.changed event. */
  facts: { added: MembershipFact[]; removed: MembershipFact[] };
}

const key = (m: { organization: string; kind: string; name: string }) => `${m.organization}:${m.kind}:${m.name}`;

const isMapped = (user: ScimUserRow): boolean => user.status !== 'deprovisioned' && user.status !== 'rejected';

/** A waiting user leaves the waiting room once the mapping entitles it. */
const promotes = (user: ScimUserRow, planned: MappingPlan): boolean => user.status === 'pending_approval' && planned.access.entitled;

/**
 * Maps one user inside the caller's transaction and promotes a pending user that is now entitled.
 * A push writes its plan whatever the access decision, which refuses SSO logins only: a refused
 * plan (MANAGED/requireEntitlement, nothing granted) adds nothing and still removes the SCIM-owned
 * rows that no longer apply.
 */
export async function syncUserMapping(tx: ScimTransaction, rc: ScimRequestContext, user: ScimUserRow, groups: string[]): Promise<MappingResult> {
  if (!isMapped(user)) return { status: user.status, added: [], removed: [], facts: { added: [], removed: [] } };
  const current = await tx.store.listMemberships(user.id);
  const planned = planFor(rc, user, groups, current);
  const { added, removed } = await writePlan(tx.store, user, current, planned);
  let status = user.status;
  if (promotes(user, planned)) {
    await tx.scim.updateUser(user.id, { status: 'active' }, user.version, user);
    status = 'active';
  }
  return { status, added: added.map(key), removed: removed.map(key), facts: { added: added.map(fact), removed: removed.map(fact) } };
}

/**
 * After a group push: every affected user's `groups` changed, so its mapping runs again and its
 * version moves. Batched: one query for the users and their groups, one for their memberships,
 * one plan each against those rows, then one statement for every insert and one for every version
 * bump and promotion. Each user's plan reads and writes only that user's rows, so no plan waits on
 * another one's inserts.
 */
export async function remapUsers(tx: ScimTransaction, rc: ScimRequestContext, userIds: Iterable<string>): Promise<{ promoted: number; changes: MembershipChange[] }> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return { promoted: 0, changes: [] };
  const promoted: string[] = [];
  const changes: MembershipChange[] = [];
  const users = (await tx.scim.getUsers(ids, { groups: true })).filter(isMapped);
  const held = await tx.scim.membershipsOf(users.map((u) => u.id));
  const inserts: { userId: string; rows: NewMembership[] }[] = [];
  for (const user of users) {
    const current = held.get(user.id) ?? (await tx.store.listMemberships(user.id));
    const planned = planFor(rc, user, (user.groups ?? []).map((g) => g.displayName), current);
    await writeRemovals(tx.store, user, planned);
    const { add, remove } = planned.memberships;
    if (add.length) inserts.push({ userId: user.id, rows: add });
    const promote = promotes(user, planned);
    if (promote) promoted.push(user.id);
    if (add.length || remove.length) changes.push({ user: promote ? { ...user, status: 'active' } : user, added: add.map(fact), removed: remove.map(fact) });
  }
  if (inserts.length) await tx.store.addMembershipsOfUsers(inserts);
  await tx.scim.touchUsers(ids, promoted);
  return { promoted: promoted.length, changes };
}
