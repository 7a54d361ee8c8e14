/**
 * SCIM feeds the same mapping rules as SSO: a SCIM user becomes Claims (subject = SCIM id, email,
 * names, groups = display names of its SCIM Groups, raw = the SCIM resource) and `applyMapping`
 * runs with source `scim`, so a group push grants roles exactly as a login with those groups
 * would. SCIM-sourced memberships are only ever removed here.
 *
 * Status: a user SCIM creates is `pending_approval` until a mapping yields an entitlement, then
 * `active`; `deprovisioned`/`rejected` users are not mapped.
 */
import { GatehouseError } from '../errors.ts';
import { planMembershipSync } from '../mapping/index.ts';
import type { MappingOutcome } from '../mapping/index.ts';
import { applyMapping } from '../provisioning/apply.ts';
import type { NewMembership, StoreOps } from '../ports.ts';
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

export function isEntitled(outcome: MappingOutcome): boolean {
  return outcome.entitlements.length > 0 || outcome.instanceAdmin;
}

/** What mapping would grant a brand-new user (no groups, no memberships): decides active vs pending at create. */
export function entitledAtCreate(rc: ScimRequestContext, claims: Claims): boolean {
  return isEntitled(rc.engine.evaluate({ claims, source: 'scim', current: [], email: claims.email }));
}

/** On reactivation: active when mapping grants something or the user still holds memberships. */
export async function reactivationStatus(tx: ScimTransaction, rc: ScimRequestContext, user: ScimUserRow, groups: string[]): Promise<UserStatus> {
  const current = await tx.store.listMemberships(user.id);
  if (current.length > 0) return 'active';
  const claims = claimsFromUser(rc, { ...user, status: 'active' }, groups);
  return isEntitled(rc.engine.evaluate({ claims, source: 'scim', current, email: claims.email })) ? 'active' : 'pending_approval';
}

export interface MappingResult {
  status: UserStatus;
  added: string[];
  removed: string[];
}

const key = (m: { organization: string; kind: string; name: string }) => `${m.organization}:${m.kind}:${m.name}`;

/**
 * Maps one user inside the caller's transaction and promotes a pending user that is now
 * entitled. With MANAGED/requireEntitlement and nothing granted, access stays blocked as for SSO,
 * but the SCIM-owned rows that no longer apply are still removed.
 */
export async function syncUserMapping(
  tx: ScimTransaction,
  rc: ScimRequestContext,
  user: ScimUserRow,
  groups: string[],
  options: { deferPromotion?: boolean } = {},
): Promise<MappingResult> {
  if (user.status === 'deprovisioned' || user.status === 'rejected') return { status: user.status, added: [], removed: [] };
  const claims = claimsFromUser(rc, user, groups);
  let outcome: MappingOutcome;
  let added: string[] = [];
  let removed: string[] = [];
  try {
    const applied = await applyMapping(tx.store, rc.ctx, rc.engine, user, claims, 'scim');
    outcome = applied.outcome;
    added = applied.added.map(key);
    removed = applied.removed.map(key);
  } catch (e) {
    if (!(e instanceof GatehouseError && e.code === 'ERR_NO_ENTITLEMENT')) throw e;
    const current = await tx.store.listMemberships(user.id);
    outcome = rc.engine.evaluate({ claims, source: 'scim', current, email: claims.email });
    const plan = planMembershipSync({ current, outcome, syncMode: rc.engine.syncMode, source: 'scim' });
    if (plan.remove.length) await tx.store.removeMemberships(user.id, plan.remove.map((m) => m.id));
    removed = plan.remove.map(key);
  }
  let status = user.status;
  if (status === 'pending_approval' && isEntitled(outcome)) {
    if (!options.deferPromotion) await tx.scim.updateUser(user.id, { status: 'active' }, user.version, user);
    status = 'active';
  }
  return { status, added, removed };
}

/**
 * After a group push: every affected user's `groups` changed, so its mapping runs again and its
 * version moves. Batched: one query for the users and their groups, one mapping each, then one
 * statement for every version bump and promotion.
 */
export async function remapUsers(tx: ScimTransaction, rc: ScimRequestContext, userIds: Iterable<string>): Promise<{ promoted: number; changed: number }> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return { promoted: 0, changed: 0 };
  const promoted: string[] = [];
  let changed = 0;
  const users = await tx.scim.getUsers(ids, { groups: true });
  const inserts: { userId: string; rows: NewMembership[] }[] = [];
  const view = { ...tx, store: batchedStore(tx.store, await tx.scim.membershipsOf(users.map((u) => u.id)), inserts) };
  for (const user of users) {
    const result = await syncUserMapping(view, rc, user, (user.groups ?? []).map((g) => g.displayName), { deferPromotion: true });
    if (result.status !== user.status) promoted.push(user.id);
    if (result.added.length || result.removed.length) changed++;
  }
  if (inserts.length) await tx.store.addMembershipsOfUsers(inserts);
  await tx.scim.touchUsers(ids, promoted);
  return { promoted: promoted.length, changed };
}

/**
 * The transaction's store for a batch of users mapped one after the other: each user's first
 * `listMemberships` is answered from rows read for all of them in one query (later calls, after
 * writes, go to the database), and the memberships each mapping adds are collected for one
 * insert at the end. Each user's mapping reads and writes only that user's rows, and reads them
 * before it writes, so no mapping waits on another one's inserts.
 */
function batchedStore(store: StoreOps, prefetched: Map<string, Membership[]>, inserts: { userId: string; rows: NewMembership[] }[]): StoreOps {
  const view = Object.create(store) as StoreOps;
  view.listMemberships = async (userId: string) => {
    const rows = prefetched.get(userId);
    if (rows === undefined) return store.listMemberships(userId);
    prefetched.delete(userId);
    return rows;
  };
  view.addMemberships = async (userId: string, rows: NewMembership[]) => {
    if (rows.length === 0) return [];
    inserts.push({ userId, rows });
    // What the store's addMemberships gives back, without the database's ids (no caller reads them).
    return rows.map((m) => ({ ...m, id: '', createdAt: Date.now() }));
  };
  return view;
}
