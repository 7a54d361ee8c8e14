/** JSON shapes of the admin API (ids are strings, times ISO 8601). */
import type { AuditRecord, IdentityRecord, Membership, UserRecord } from '../types.ts';

export const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export function userView(u: UserRecord) {
  return {
    id: u.id,
    email: u.email,
    username: u.userName ?? u.email,
    givenName: u.givenName,
    familyName: u.familyName,
    displayName: u.displayName,
    externalId: u.externalId,
    status: u.status,
    instanceAdmin: u.instanceAdmin,
    createdAt: iso(u.createdAt),
    updatedAt: iso(u.updatedAt),
  };
}

export function identityView(i: IdentityRecord) {
  return { id: i.id, provider: i.provider, subject: i.subject, email: i.email, createdAt: iso(i.createdAt), lastLoginAt: iso(i.lastLoginAt) };
}

export function membershipView(m: Membership) {
  return { id: m.id, organization: m.organization, kind: m.kind, name: m.name, source: m.source, mapper: m.mapper, createdAt: iso(m.createdAt) };
}

export function auditView(a: AuditRecord) {
  return {
    id: a.id,
    at: iso(a.at),
    action: a.action,
    outcome: a.outcome ?? null,
    actor: a.actor ?? null,
    provider: a.provider ?? null,
    subject: a.subject ?? null,
    userId: a.userId ?? null,
    reason: a.reason ?? null,
    details: a.details ?? null,
  };
}
