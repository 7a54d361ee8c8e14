/**
 * The small interfaces (ports) the plugin needs from the outside. `adapters/` implements them
 * (openid-client, node-saml, knex, session stores); `plugin/` never imports `adapters/`.
 * Over 300 lines on purpose: every port in one file, so all the plugin asks of the outside reads in one place.
 */
import type {
  AuditEntry,
  AuditRecord,
  IdentityRecord,
  Membership,
  MembershipKey,
  MembershipSource,
  UserRecord,
  UserStatus,
} from './types.ts';

// ---------------------------------------------------------------- identity providers

/** What an IdP adapter hands back once the assertion is verified (signature, audience, state, nonce...). */
export interface VerifiedAssertion {
  /** OIDC `sub` or SAML NameID. */
  subject: string;
  /** All claims (OIDC: ID token claims merged with userinfo) or SAML attributes (+ `nameID`, `nameIDFormat`, `sessionIndex`). */
  raw: Record<string, unknown>;
  /** Where to send the browser after login, if the flow carried one (already checked same-origin by the router). */
  returnTo?: string | undefined;
  /** What the session keeps to end itself when the IdP says the user logged out (docs/logout.md). */
  idpSession?: IdpSession | undefined;
}

/** The IdP's side of a login session: its id there, and what an RP-initiated logout sends back. */
export interface IdpSession {
  /** OIDC `sid` (or SAML SessionIndex). */
  sid?: string | undefined;
  /** OIDC: the ID token, sent back as `id_token_hint` when we ask the IdP to end its session. */
  idTokenHint?: string | undefined;
  /** The subject at the IdP (SAML NameID), as a LogoutRequest names it. */
  subject?: string | undefined;
  /** SAML: the NameID's Format. */
  nameIdFormat?: string | undefined;
}

/** A logout message the IdP sent to our SAML SLO endpoint, checked (signature, issuer, destination). */
export type IdpLogoutMessage =
  | { kind: 'request'; id: string; subject: string; sid: string | undefined; relayState: string | undefined }
  | { kind: 'response'; success: boolean };

/** SAML Single Logout for a provider that has an SLO endpoint (docs/logout.md). */
export interface IdpLogoutChannel {
  /** Reads a LogoutRequest or LogoutResponse (HTTP-Redirect or HTTP-POST); throws ERR_INVALID_ASSERTION. */
  receive(input: { method: string; rawQuery: string; body: Record<string, unknown> }): Promise<IdpLogoutMessage>;
  /** The signed LogoutResponse (HTTP-Redirect URL) that answers a LogoutRequest we honoured. */
  answer(request: Extract<IdpLogoutMessage, { kind: 'request' }>): Promise<string>;
}

/** A back-channel logout token whose signature, issuer, audience and shape were verified. */
export interface VerifiedLogoutToken {
  jti: string;
  sid?: string | undefined;
  sub?: string | undefined;
  /** When its jti may be forgotten (ms). */
  expiresAt: number;
}

/** Per-browser scratch space that survives the round trip to the IdP (the pre-login session). */
export type FlowState = Record<string, unknown>;

export interface IdpAdapter {
  readonly id: string;
  readonly type: 'oidc' | 'saml';
  /**
   * Starts a login; returns the URL to send the browser to. May keep state in `flow`.
   * `loginHint`: the email typed on the chooser, for IdPs that prefill their form with it.
   */
  begin(input: { flow: FlowState; returnTo: string; loginHint?: string }): Promise<string>;
  /**
   * Verifies the IdP's answer at the callback/ACS. Throws GatehouseError with code
   * ERR_INVALID_ASSERTION or ERR_STATE_MISMATCH (both 401) on anything wrong.
   */
  complete(input: { flow: FlowState; method: string; url: URL; body: Record<string, unknown> }): Promise<VerifiedAssertion>;
  /** OIDC Back-Channel Logout 1.0: verifies a logout token (throws ERR_INVALID_ASSERTION). */
  verifyLogoutToken?(token: string): Promise<VerifiedLogoutToken>;
  /** RP-initiated logout (OIDC end_session, SAML LogoutRequest): the IdP's URL for this session, or null when it has none. */
  endSessionUrl?(input: { session: IdpSession; postLogoutRedirectUri: string }): Promise<string | null>;
  /** SAML Single Logout: the messages the IdP sends to `/auth/{id}/slo`. */
  logoutChannel?: IdpLogoutChannel | undefined;
  /** SAML SP metadata XML. */
  metadata?(): string;
  /** SAML with `metadataUrl`: the IdP metadata this adapter trusts, refreshed by plugin/runtime/metadata-refresh.ts. */
  idpMetadata?: IdpMetadataSource | undefined;
}

/** A signing certificate the adapter trusts now. */
export interface TrustedCertificate {
  subject: string;
  /** ISO 8601. */
  notAfter: string;
  fingerprint256: string;
}

/** What is known of an IdP's metadata URL: its last good copy and its last read. */
export interface IdpMetadataState {
  url: string;
  /** How often it is read again. */
  refreshMs: number;
  /** When the copy in force was read (ms), null before any good read. */
  lastRefreshedAtMs: number | null;
  /** When the last read, good or not, was made (ms). */
  lastAttemptAtMs: number | null;
  /** Why the last read failed; null when it succeeded. */
  lastError: string | null;
  /** Failed reads since this instance started. */
  failures: number;
  /** The signing certificates trusted now: the last good copy's, else the configured `idpCert`. */
  certificates: TrustedCertificate[];
}

/** An IdP metadata URL read on a schedule; a failed read keeps the last good copy. */
export interface IdpMetadataSource {
  state(): IdpMetadataState;
  /** Reads the metadata now (one read at a time); resolves true when it succeeded. */
  refresh(): Promise<boolean>;
}

/** Shared SAML caches, in the database or Redis, so that any instance can take the response. */
export interface SamlStateCache {
  /** Remembers an AuthnRequest ID we issued. */
  saveRequestId(provider: string, requestId: string, expiresAt: number): Promise<void>;
  /** True once for a known, unexpired request ID; it is consumed. */
  consumeRequestId(provider: string, requestId: string): Promise<boolean>;
  /** Records an assertion ID until it expires; false when it was already seen (a replay). */
  rememberAssertion(provider: string, assertionId: string, expiresAt: number): Promise<boolean>;
}

// ---------------------------------------------------------------- store

export interface NewUser {
  email: string | null;
  emailOriginal: string | null;
  userName?: string | null;
  externalId?: string | null;
  givenName?: string | null;
  familyName?: string | null;
  displayName?: string | null;
  status: UserStatus;
  instanceAdmin?: boolean;
}

export type UserPatch = Partial<Omit<NewUser, 'email'>> & { email?: string | null };

export interface NewMembership extends MembershipKey {
  source: MembershipSource;
  mapper: string | null;
}

/** The orders the users list offers (admin API `sort`, console column headers). */
export const USER_SORTS = ['created', 'email', 'status'] as const;
export type UserSort = (typeof USER_SORTS)[number];
export type SortDir = 'asc' | 'desc';

/** Each order's direction when none is given: newest first, emails and statuses A to Z. */
export function defaultSortDir(sort: UserSort): SortDir {
  return sort === 'created' ? 'desc' : 'asc';
}

export interface UserListFilter {
  status?: UserStatus | undefined;
  provider?: string | undefined;
  q?: string | undefined;
  /** Default `created` (newest first); ties are broken by id, so paging is stable. */
  sort?: UserSort | undefined;
  /** Default: `defaultSortDir(sort)`. */
  dir?: SortDir | undefined;
  /** Opaque `nextCursor` of the previous page, valid only with the same sort and direction. */
  cursor?: string | undefined;
  limit?: number | undefined;
}

export interface AuditFilter {
  user?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

export interface OrganizationCatalogEntry {
  id: string;
  name: string | null;
  roles: string[];
  groups: string[];
}

export interface AllowlistEntry {
  id: string;
  entry: string;
  createdBy: string | null;
  createdAt: number;
}

export type ApiTokenKind = 'scim' | 'admin';

export interface ApiTokenRecord {
  id: string;
  kind: ApiTokenKind;
  name: string;
  /** SHA-256 of the token, hex. The token itself is never stored. */
  hash: string;
  /** First characters of the token, for recognizing it in lists. */
  hint: string;
  provider: string | null;
  createdBy: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** Users: the core row of every person Gatehouse knows. */
export interface UserStore {
  getUser(id: string): Promise<UserRecord | null>;
  /**
   * Locks the user's row until the transaction ends (SELECT ... FOR UPDATE; SQLite already
   * serializes writers), so concurrent logins of one user apply their membership diffs one
   * after the other. Returns the row as it is now.
   */
  lockUser(id: string): Promise<UserRecord | null>;
  /** Cheap status probe used on every authenticated request. */
  getUserStatus(id: string): Promise<{ status: UserStatus; instanceAdmin: boolean } | null>;
  /**
   * The user whose email is `emailLower`, or null. Emails are not unique: when several users hold
   * it, throws the GatehouseError of plugin/provisioning/shared-email.ts (never picks one).
   */
  findUserByEmail(emailLower: string): Promise<UserRecord | null>;
  insertUser(user: NewUser): Promise<UserRecord>;
  updateUser(id: string, patch: UserPatch): Promise<UserRecord | null>;
  deleteUser(id: string): Promise<boolean>;
  listUsers(filter: UserListFilter): Promise<{ users: UserRecord[]; nextCursor: string | null }>;
}

/** Identities: a user's (provider, subject) pairs and the claims of their last login. */
export interface IdentityStore {
  findIdentity(provider: string, subject: string): Promise<IdentityRecord | null>;
  /** The identity and its user in one round trip, the user's row locked as by `lockUser`. */
  findIdentityAndLockUser(provider: string, subject: string): Promise<{ identity: IdentityRecord; user: UserRecord } | null>;
  /** Inserts unless (provider, subject) exists; returns the row that is there afterwards. */
  ensureIdentity(input: {
    userId: string;
    provider: string;
    subject: string;
    email: string | null;
    /** Set on the new row, so a first login needs no second write to record itself. */
    lastLoginAt?: number | undefined;
    lastClaims?: unknown;
  }): Promise<IdentityRecord & { inserted: boolean }>;
  listIdentities(userId: string): Promise<IdentityRecord[]>;
  /** Records a login on this identity, with the normalized claims kept for a later approval. */
  touchIdentity(id: string, at: number, lastClaims?: unknown): Promise<void>;
  getIdentityClaims(id: string): Promise<unknown>;
}

/** Memberships: the roles and groups a user holds in organizations, each with its source. */
export interface MembershipStore {
  listMemberships(userId: string): Promise<Membership[]>;
  /** Inserts the rows (a row that already exists is skipped); returns the rows as written. */
  addMemberships(userId: string, rows: NewMembership[]): Promise<Membership[]>;
  /** addMemberships for several users in as few statements as the database allows (existing rows are left as they are). */
  addMembershipsOfUsers(entries: { userId: string; rows: NewMembership[] }[]): Promise<void>;
  removeMemberships(userId: string, ids: string[]): Promise<void>;
}

/** The catalog: the organizations with their roles and groups, and the allowlist overrides. */
export interface CatalogStore {
  listOrganizations(): Promise<OrganizationCatalogEntry[]>;

  listAllowlist(): Promise<AllowlistEntry[]>;
  addAllowlist(entry: string, createdBy: string | null): Promise<AllowlistEntry>;
  removeAllowlist(id: string): Promise<boolean>;
}

/** Runtime settings (first-login policies, the instance key, the catalog version): JSON values by key. */
export interface SettingsStore {
  getSetting<T = unknown>(key: string): Promise<T | null>;
  setSetting(key: string, value: unknown): Promise<void>;
  /** Stores `value` unless the key has one already; returns the value stored (first writer wins). */
  claimSetting<T>(key: string, value: T): Promise<T>;
}

/** The audit trail. */
export interface AuditStore {
  audit(entry: AuditEntry): Promise<void>;
  listAudit(filter: AuditFilter): Promise<{ entries: AuditRecord[]; nextCursor: string | null }>;
}

/** SCIM and admin API bearer tokens (their hashes). */
export interface ApiTokenStore {
  insertApiToken(row: Omit<ApiTokenRecord, 'lastUsedAt' | 'revokedAt'>): Promise<void>;
  findApiTokenByHash(hash: string): Promise<ApiTokenRecord | null>;
  listApiTokens(kind: ApiTokenKind): Promise<ApiTokenRecord[]>;
  /** Sets revoked_at (the row stays, so audit entries keep resolving); false when unknown or already revoked. */
  revokeApiToken(kind: ApiTokenKind, id: string, at: number): Promise<boolean>;
  touchApiToken(id: string, at: number): Promise<void>;
}

/** The sessions of a user, wherever they are kept (database, Redis). */
export interface UserSessionStore {
  /** Ends every session of a user at once (deprovisioning, rejection). */
  deleteSessionsOfUser(userId: string): Promise<number>;
}

/** Logouts an IdP announced (OIDC back-channel logout, docs/logout.md), which end the sessions they cover. */
export interface IdpLogoutStore {
  /**
   * Records that the IdP ended its session `sid` or every session of `subject` at `at`; false
   * when the token `jti` was recorded before (a replay), and nothing is written.
   */
  recordIdpLogout(entry: { provider: string; jti: string; sid: string | null; subject: string | null; at: number; expiresAt: number }): Promise<boolean>;
  /** The latest IdP logout (ms) that covers a session with this sid or subject, or null. */
  idpLoggedOutAt(provider: string, sid: string | null, subject: string): Promise<number | null>;
}

/**
 * Repository operations, every port above in one; every one runs inside the caller's transaction
 * when obtained from `transaction`. Code that needs only some asks for those ports.
 */
export interface StoreOps
  extends UserStore,
    IdentityStore,
    MembershipStore,
    CatalogStore,
    SettingsStore,
    AuditStore,
    ApiTokenStore,
    UserSessionStore,
    IdpLogoutStore {}

export interface Store extends StoreOps {
  /** One database transaction; retried by the caller on a serialization/unique conflict if it wishes. */
  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T>;
  /** True for errors worth retrying the whole transaction for (unique race, deadlock, busy). */
  isRetryable(error: unknown): boolean;
  /** Cheap liveness probe for `/healthz`. */
  ping(): Promise<void>;
}

// ---------------------------------------------------------------- rate limits (docs/security.md)

/** The unauthenticated surfaces with a per-client budget. */
export type RateLimitSurface = 'loginStart' | 'scimTokenFailures' | 'adminTokenFailures' | 'idpLogoutFailures';

/** What a limiter says of one attempt. */
export type RateLimitDecision = { limited: false } | { limited: true; retryAfterSeconds: number };

/** The answer of a limiter that does not limit. */
export const NOT_LIMITED: RateLimitDecision = { limited: false };

/** Per-client attempt counters, one budget per surface (config `rateLimits`). */
export interface RateLimiter {
  /** Counts one attempt by `client`; limited when it goes over the surface's budget. */
  consume(surface: RateLimitSurface, client: string): Promise<RateLimitDecision>;
  /** Whether `client` has spent the surface's budget, without counting anything. */
  peek(surface: RateLimitSurface, client: string): Promise<RateLimitDecision>;
  close(): Promise<void>;
}
