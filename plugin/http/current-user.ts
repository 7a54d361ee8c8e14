/**
 * The signed-in user as the host application sees it (`req.user` after a Passport login, and
 * the library's guards), loaded fresh from the store, whichever way the request was signed in:
 * by the gateway's own session (`req.gatehouseUser`) or by Passport with `deserializeUser`.
 */
import type { RequestHandler } from 'express';
import type { Store } from '../ports.ts';
import type { Membership, UserStatus } from '../types.ts';

/** One organization's share of a user's memberships. */
export interface OrganizationMembership {
  organization: string;
  roles: string[];
  groups: string[];
}

/** `req.user` after a Gatehouse login: who the user is now, with their memberships per organization. */
export interface GatehouseUser {
  id: string;
  email: string | null;
  status: UserStatus;
  instanceAdmin: boolean;
  /** Empty until the user is active (a pending user has none). */
  memberships: OrganizationMembership[];
}

/** Groups membership rows per organization, roles and groups sorted. */
export function summarizeMemberships(rows: Membership[]): OrganizationMembership[] {
  const byOrg = new Map<string, { roles: Set<string>; groups: Set<string> }>();
  for (const m of rows) {
    let e = byOrg.get(m.organization);
    if (!e) byOrg.set(m.organization, (e = { roles: new Set(), groups: new Set() }));
    (m.kind === 'role' ? e.roles : e.groups).add(m.name);
  }
  return [...byOrg].map(([organization, e]) => ({ organization, roles: [...e.roles].sort(), groups: [...e.groups].sort() }));
}

/**
 * The user as they are now, or null when they may not have a session at all (deleted,
 * deprovisioned, rejected): two primary-key reads.
 */
export async function loadGatehouseUser(store: Store, id: string): Promise<GatehouseUser | null> {
  const user = await store.getUser(id);
  if (!user || user.status === 'deprovisioned' || user.status === 'rejected') return null;
  const memberships = user.status === 'active' ? summarizeMemberships(await store.listMemberships(id)) : [];
  return { id: user.id, email: user.email, status: user.status, instanceAdmin: user.instanceAdmin, memberships };
}

/** True for a value shaped like the `GatehouseUser` that `deserializeUser` gives. */
export function isGatehouseUser(value: unknown): value is GatehouseUser {
  if (!value || typeof value !== 'object') return false;
  const v = value as Partial<GatehouseUser>;
  return typeof v.id === 'string' && typeof v.status === 'string' && typeof v.instanceAdmin === 'boolean' && Array.isArray(v.memberships);
}

/**
 * For routers shared with the gateway (admin API, console, waiting room) mounted in a Passport
 * app: a Gatehouse `req.user` becomes the `req.gatehouseUser` those routers read.
 */
export function passportUserBridge(): RequestHandler {
  return (req, _res, next) => {
    const u = (req as { user?: unknown }).user;
    if (!req.gatehouseUser && isGatehouseUser(u)) {
      req.gatehouseUser = { id: u.id, status: u.status, instanceAdmin: u.instanceAdmin, provider: null };
    }
    next();
  };
}
