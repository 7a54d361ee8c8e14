/**
 * Core domain vocabulary shared by every stage of the login pipeline:
 * IdP assertion -> Claims -> gate -> Entitlements -> one provisioning transaction.
 */

/** Where a membership row came from; MANAGED sync and SCIM each remove only what they own. */
export type MembershipSource = 'sso' | 'scim' | 'static' | 'override';

/** A user's status; the one list that the config, the admin API, OpenAPI and the console read. */
export const USER_STATUSES = ['active', 'pending_approval', 'rejected', 'deprovisioned'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** What a first login of an unknown user does (contract section 4). */
export const FIRST_LOGIN_POLICIES = ['allow', 'reject', 'pending_approval'] as const;
export type FirstLoginPolicy = (typeof FIRST_LOGIN_POLICIES)[number];

/** ADDITIVE keeps what the claims do not give; MANAGED makes SSO memberships equal to them. */
export const SYNC_MODES = ['ADDITIVE', 'MANAGED'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];

/** Claims of one login, normalized (contract section 3). */
export interface Claims {
  /** Provider id from config. */
  provider: string;
  /** Stable subject at the IdP (OIDC `sub`, SAML NameID). */
  subject: string;
  /** Lower-cased email used for matching, or null when the IdP sent none. */
  email: string | null;
  /** The email as the IdP sent it. */
  emailOriginal: string | null;
  emailVerified: boolean;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  /** Group claim values, always an array (missing claim = empty). */
  groups: string[];
  /**
   * True when the IdP said the groups were not sent (Azure group overage:
   * `_claim_names.groups` or `hasgroups`). Not the same as "no groups".
   */
  groupsOverage: boolean;
  /** All claims/attributes as the IdP sent them. */
  raw: Record<string, unknown>;
}

/** One membership fact: a role or a group of a user in an organization. */
export interface MembershipKey {
  organization: string;
  kind: 'role' | 'group';
  name: string;
}

export interface Membership extends MembershipKey {
  id: string;
  source: MembershipSource;
  /** Which mapper (or admin/SCIM actor) produced it. */
  mapper: string | null;
  createdAt: number;
}

/** What a mapper grants for one organization. */
export interface Entitlement {
  organization: string;
  roles: string[];
  groups: string[];
  source: MembershipSource;
  /** Name of the mapper that produced this entitlement. */
  mapper: string;
}

export interface UserRecord {
  id: string;
  email: string | null;
  emailOriginal: string | null;
  userName: string | null;
  externalId: string | null;
  givenName: string | null;
  familyName: string | null;
  displayName: string | null;
  status: UserStatus;
  instanceAdmin: boolean;
  createdAt: number;
  updatedAt: number;
  version: number;
}

export interface IdentityRecord {
  id: string;
  userId: string;
  provider: string;
  subject: string;
  email: string | null;
  createdAt: number;
  lastLoginAt: number | null;
}

export interface AuditEntry {
  action: string;
  outcome?: string | undefined;
  actor?: string | null | undefined;
  provider?: string | null | undefined;
  subject?: string | null | undefined;
  userId?: string | null | undefined;
  reason?: string | null | undefined;
  details?: Record<string, unknown> | undefined;
}

export interface AuditRecord extends AuditEntry {
  id: string;
  at: number;
}
