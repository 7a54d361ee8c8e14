/**
 * Which existing user a SCIM `POST /Users` takes over instead of creating a new one. Users that
 * SCIM does not manage yet (no SCIM document: created by an admin, or by a first SSO login, whose
 * userName is its email) are adopted, so that provisioning after SSO came first keeps the
 * account, its identities and memberships:
 * 1. the unmanaged user whose userName equals the POSTed userName (case-insensitive), else
 * 2. the one unmanaged user whose email equals the POSTed primary email; when several unmanaged
 *    users share that email none is picked (the POST creates a new user).
 * A provider-scoped token adopts only a user with no identity at another provider.
 */
import type { UserRecord } from '../types.ts';
import type { ScimRequestContext } from './context.ts';
import type { ScimTransaction } from './ports.ts';

/** The user a POST of `userName` with primary email `email` adopts, or null (create a new one). */
export async function adoptionCandidate(tx: ScimTransaction, rc: ScimRequestContext, userName: string, email: string | null): Promise<UserRecord | null> {
  const nameLower = userName.toLowerCase();
  const emailLower = email?.toLowerCase() ?? null;
  const found = await tx.scim.adoptionCandidates(nameLower, emailLower);
  const byName = found.find((u) => u.userName === nameLower);
  const byEmail = found.filter((u) => emailLower !== null && u.email === emailLower);
  const chosen = byName ?? (byEmail.length === 1 ? byEmail[0] : undefined);
  if (!chosen) return null;
  if (rc.token.provider !== null) {
    const identities = await tx.store.listIdentities(chosen.id);
    if (identities.some((i) => i.provider !== rc.token.provider)) return null;
  }
  return chosen;
}
