/**
 * The config file / library options (contract section 2), validated once at start.
 * `parseConfig` turns user input into a ResolvedConfig with defaults applied;
 * later stages trust the resolved object.
 * Over 300 lines on purpose: the whole file shape in one schema answers "which keys exist" in one place.
 */
import { z } from 'zod';
import { FIRST_LOGIN_POLICIES, SYNC_MODES } from '../types.ts';
import { DIRECTORY_EVENT_TYPES } from '../directory-events.ts';
import { webhookDeliverySchema } from '../webhooks/settings.ts';
import { emailDomain } from './domains.ts';

const DEFAULT_ROLES = ['owner', 'admin', 'viewer', 'member', 'contributor'];

const policy = z.enum(FIRST_LOGIN_POLICIES);
const stringList = z.array(z.string().min(1));

const roleMapping = z
  .object({
    fixed: stringList.optional(),
    claim: z.string().min(1).optional(),
    map: z.record(z.string(), z.union([z.string().min(1), stringList])).optional(),
    expression: z.string().min(1).optional(),
  })
  .strict()
  .refine((r) => [r.fixed, r.claim ?? r.map, r.expression].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of fixed, claim+map, expression',
  })
  .refine((r) => (r.claim === undefined) === (r.map === undefined), { message: 'claim and map go together' });

const rulePolicy = z
  .object({
    organization: z.string().min(1).optional(),
    roles: roleMapping.optional(),
  })
  .strict();

export const provisioningSchema = z
  .object({
    syncMode: z.enum(SYNC_MODES).default('ADDITIVE'),
    defaultRole: z.string().min(1).optional(),
    requireEntitlement: z.boolean().default(false),
    message: z.string().optional(),
    static: z
      .array(
        z
          .object({
            organization: z.string().min(1),
            role: z.string().min(1).optional(),
            groups: stringList.default([]),
          })
          .strict(),
      )
      .default([]),
    instanceAdmins: stringList.default([]),
    groupsPattern: z.string().min(1).optional(),
    rules: z
      .object({
        default: rulePolicy.optional(),
        organizations: z.record(z.string(), rulePolicy).default({}),
      })
      .strict()
      .optional(),
    /** When false, groups named by a mapper need not exist in the org (they are created). */
    requireExistingGroups: z.boolean().default(true),
  })
  .strict();

const claimPaths = z
  .object({
    subject: z.string().min(1).optional(),
    email: z.string().min(1).optional(),
    emailVerified: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    givenName: z.string().min(1).optional(),
    familyName: z.string().min(1).optional(),
    groups: z.string().min(1).optional(),
  })
  .strict()
  .default({});

const providerBase = {
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only'),
  displayName: z.string().optional(),
  claims: claimPaths,
  firstLoginPolicy: policy.default('allow'),
  organization: z.string().min(1).optional(),
  provisioning: provisioningSchema.optional(),
  /** Trust the IdP's email without an email_verified claim (SAML IdPs rarely send one). */
  trustEmail: z.boolean().optional(),
  /** The OIDC redirect URI / SAML ACS URL, when not `{server.baseUrl}/auth/{id}/callback`. */
  callbackUrl: z.string().url().optional(),
  /** false: kept, but signs nobody in (off every chooser; its login and callback answer 404). */
  enabled: z.boolean().default(true),
  /**
   * Sign-out here also ends the user's session at the IdP where the IdP supports it (OIDC
   * RP-initiated logout; SAML SLO with `logoutUrl`), as contract section 5 says; false: here only.
   */
  singleLogout: z.boolean().default(true),
  /** Where the IdP sends the browser after that logout (default `{server.baseUrl}/`); register it at the IdP. */
  postLogoutRedirectUri: z.string().url().optional(),
  /** Email domains whose users the sign-in page sends to this provider (home-realm discovery). */
  domains: z.array(emailDomain).optional(),
  /** Left off the sign-in chooser: reached only through one of its `domains` (an organization's own IdP). */
  discoverableOnly: z.boolean().optional(),
};

const oidcProvider = z
  .object({
    ...providerBase,
    type: z.literal('oidc'),
    issuer: z.string().url(),
    clientId: z.string().min(1),
    clientSecret: z.string().optional(),
    scopes: stringList.default(['openid', 'email', 'profile']),
    idTokenSignedResponseAlg: z.string().default('RS256'),
    /** Allow plain-HTTP issuers (loopback demo and tests). Defaults to true only for loopback hosts. */
    allowInsecureRequests: z.boolean().optional(),
  })
  .strict();

const samlProvider = z
  .object({
    ...providerBase,
    type: z.literal('saml'),
    /** The three IdP facts: required unless `metadataUrl` gives them (then they are the fallback). */
    entryPoint: z.string().url().optional(),
    idpIssuer: z.string().min(1).optional(),
    idpCert: z.union([z.string().min(1), stringList]).optional(),
    issuer: z.string().min(1),
    /** Our SP signing key (PEM or path), optional: signs AuthnRequests when set. */
    privateKey: z.string().optional(),
    publicCert: z.string().optional(),
    /**
     * Our SP encryption key pair (PEM or path), optional: the IdP encrypts assertions to
     * `decryptionCert` (published in the SP metadata) and we decrypt with `decryptionKey`.
     */
    decryptionKey: z.string().optional(),
    decryptionCert: z.string().optional(),
    /** The IdP's SingleLogoutService (HTTP-Redirect): enables SAML single logout (needs privateKey/publicCert). */
    logoutUrl: z.string().url().optional(),
    wantAssertionsSigned: z.boolean().default(true),
    wantAuthnResponseSigned: z.boolean().default(false),
    acceptedClockSkewMs: z.number().int().min(0).default(5000),
    requestIdExpirationPeriodMs: z.number().int().positive().default(8 * 60 * 60 * 1000),
    allowIdpInitiated: z.boolean().default(false),
    /** Accept RSA-SHA1 signatures and SHA-1 digests (NIST SP 800-131A disallows them): old IdPs only. */
    allowSha1Signatures: z.boolean().default(false),
    identifierFormat: z.string().optional(),
    /**
     * The IdP's metadata, read at start and every `metadataRefreshMs`: entryPoint and idpIssuer
     * left out come from it, and the signing certificates it lists are the ones trusted
     * (docs/saml.md#idp-metadata-refresh-and-certificate-rollover).
     */
    metadataUrl: z.string().url().optional(),
    /** How often `metadataUrl` is read again (default 1 h). */
    metadataRefreshMs: z.number().int().min(1000).default(60 * 60 * 1000),
    /** metadataUrl may point at loopback, private or link-local addresses (refused otherwise, as for webhooks). */
    allowPrivateNetwork: z.boolean().optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.metadataUrl?.startsWith('http:') && p.allowPrivateNetwork !== true) {
      // The certificates it lists are trusted: plain http would let anyone on the path pick them.
      ctx.addIssue({ code: 'custom', path: ['metadataUrl'], message: 'must be https (plain http only with allowPrivateNetwork, for an IdP on a loopback or private address)' });
    }
    if (p.metadataUrl !== undefined) return;
    for (const key of ['entryPoint', 'idpIssuer', 'idpCert'] as const) {
      if (p[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'required (or give metadataUrl to read it from the IdP metadata)' });
    }
  });

export const providerSchema = z.discriminatedUnion('type', [oidcProvider, samlProvider]);

const webhookSchema = z
  .object({
    id: z.string().min(1).optional(),
    url: z.string().url(),
    secret: z.string().min(1),
    trigger: z.enum(['none', 'user_created_without_groups', 'login_without_groups', 'every_login']).default('none'),
    /** Directory events (docs/webhooks.md), any subset, besides the login trigger. */
    events: z.array(z.enum(DIRECTORY_EVENT_TYPES)).default([]),
    /** Attached to these providers: the trigger fires for their logins only (default: every provider). */
    providers: z.array(z.string().min(1)).default([]),
    fields: stringList.default([]),
    payload: z.record(z.string(), z.string()).default({}),
    allowPrivateNetwork: z.boolean().default(false),
  })
  .strict();

/** One surface's budget: `points` attempts per client per `windowSeconds`. */
const rateWindow = (points: number, windowSeconds: number) =>
  z
    .object({
      points: z.number().int().positive().default(points),
      windowSeconds: z.number().int().positive().max(86_400).default(windowSeconds),
    })
    .strict()
    .default({ points, windowSeconds });

export const RATE_LIMIT_DEFAULTS = {
  enabled: true,
  store: 'auto',
  redisTimeoutMs: 250,
  loginStart: { points: 60, windowSeconds: 60 },
  scimTokenFailures: { points: 20, windowSeconds: 300 },
  adminTokenFailures: { points: 10, windowSeconds: 300 },
  idpLogoutFailures: { points: 30, windowSeconds: 300 },
} as const;

const rateLimitsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** `auto`: Redis when `sessions.store` is `redis` (at `sessions.url`), else this process's memory. */
    store: z.enum(['auto', 'memory', 'redis']).default('auto'),
    /** Redis for the counters; defaults to `sessions.url`. */
    redisUrl: z.string().url().optional(),
    /** Longest a request waits for Redis before the limiter lets it through (fail open). */
    redisTimeoutMs: z.number().int().positive().max(10_000).default(RATE_LIMIT_DEFAULTS.redisTimeoutMs),
    loginStart: rateWindow(RATE_LIMIT_DEFAULTS.loginStart.points, RATE_LIMIT_DEFAULTS.loginStart.windowSeconds),
    scimTokenFailures: rateWindow(RATE_LIMIT_DEFAULTS.scimTokenFailures.points, RATE_LIMIT_DEFAULTS.scimTokenFailures.windowSeconds),
    adminTokenFailures: rateWindow(RATE_LIMIT_DEFAULTS.adminTokenFailures.points, RATE_LIMIT_DEFAULTS.adminTokenFailures.windowSeconds),
    /** Refused logout messages (back-channel logout tokens, SAML SLO messages) per client. */
    idpLogoutFailures: rateWindow(RATE_LIMIT_DEFAULTS.idpLogoutFailures.points, RATE_LIMIT_DEFAULTS.idpLogoutFailures.windowSeconds),
  })
  .strict()
  .default({ ...RATE_LIMIT_DEFAULTS });

export const configSchema = z
  .object({
    server: z
      .object({
        port: z.number().int().min(0).max(65535).default(3000),
        host: z.string().default('127.0.0.1'),
        baseUrl: z.string().url().optional(),
        /** Required by the standalone gateway; a library user whose app owns the sessions may leave it out. */
        sessionSecret: z.union([z.string().min(16), z.array(z.string().min(16)).min(1)]).optional(),
        trustProxy: z.union([z.boolean(), z.number(), z.string()]).default(false),
        sessionMaxAgeMs: z.number().int().positive().default(8 * 60 * 60 * 1000),
      })
      .strict()
      .default({ port: 3000, host: '127.0.0.1', trustProxy: false, sessionMaxAgeMs: 8 * 60 * 60 * 1000 }),
    database: z
      .object({
        client: z.enum(['sqlite3', 'pg', 'mysql2']).default('sqlite3'),
        connection: z.unknown().default({ filename: './gatehouse.sqlite' }),
        pool: z.record(z.string(), z.unknown()).optional(),
        tablePrefix: z.string().default('gh_'),
      })
      .passthrough()
      .default({ client: 'sqlite3', connection: { filename: './gatehouse.sqlite' }, tablePrefix: 'gh_' }),
    sessions: z
      .object({
        store: z.enum(['database', 'redis', 'memory']).default('database'),
        url: z.string().optional(),
        cookieName: z.string().default('gatehouse.sid'),
        // Redis only: a command (session read/write) that has no answer after this long fails,
        // so an outage answers 503 at once instead of holding requests.
        commandTimeoutMs: z.number().int().positive().default(2_000),
        connectTimeoutMs: z.number().int().positive().default(5_000),
      })
      .strict()
      .default({ store: 'database', cookieName: 'gatehouse.sid', commandTimeoutMs: 2_000, connectTimeoutMs: 5_000 }),
    organizations: z
      .array(
        z
          .object({
            id: z.string().min(1),
            name: z.string().optional(),
            roles: stringList.default(DEFAULT_ROLES),
            groups: stringList.default([]),
          })
          .strict(),
      )
      .default([]),
    providers: z.array(providerSchema).default([]),
    allowlist: z
      .object({
        enabled: z.boolean().default(false),
        entries: stringList.default([]),
        allowDbOverrides: z.boolean().default(false),
        message: z.string().default('Your account is not allowed to sign in here. Ask your administrator for access.'),
      })
      .strict()
      .default({ enabled: false, entries: [], allowDbOverrides: false, message: 'Your account is not allowed to sign in here. Ask your administrator for access.' }),
    provisioning: provisioningSchema.default({
      syncMode: 'ADDITIVE',
      requireEntitlement: false,
      static: [],
      instanceAdmins: [],
      requireExistingGroups: true,
    }),
    scim: z
      .object({
        enabled: z.boolean().default(false),
        // Answered ahead of every other route: a path of its own, never the root nor Gatehouse's own prefixes.
        basePath: z
          .string()
          .regex(/^\/[\w.~-]+(?:\/[\w.~-]+)*\/?$/, 'must be a path below the root, such as /scim/v2')
          .refine((p) => !/^\/(?:auth|admin|healthz|metrics)(?:\/|$)/i.test(p), 'must not start with /auth, /admin, /healthz or /metrics (Gatehouse routes)')
          .default('/scim/v2'),
      })
      .strict()
      .default({ enabled: false, basePath: '/scim/v2' }),
    secrets: z
      .object({
        /**
         * Seals the secrets of providers managed at run time (AES-256-GCM): a string or a list,
         * the first seals, all open (rotation). Default: the GATEHOUSE_ENCRYPTION_KEY variable.
         */
        encryptionKey: z.union([z.string().min(32, 'at least 32 characters'), z.array(z.string().min(32, 'at least 32 characters')).min(1)]).optional(),
      })
      .strict()
      .default({}),
    webhooks: z.array(webhookSchema).default([]),
    webhookDelivery: webhookDeliverySchema,
    waitingRoom: z
      .object({ message: z.string().default('Your account is waiting for an administrator to approve it.') })
      .strict()
      .default({ message: 'Your account is waiting for an administrator to approve it.' }),
    rateLimits: rateLimitsSchema,
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type ResolvedConfig = z.output<typeof configSchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type OidcProviderConfig = Extract<ProviderConfig, { type: 'oidc' }>;
export type SamlProviderConfig = Extract<ProviderConfig, { type: 'saml' }>;
export type ProvisioningConfig = z.output<typeof provisioningSchema>;
export type RateLimitsConfig = z.output<typeof rateLimitsSchema>;
export type OrganizationConfig = ResolvedConfig['organizations'][number];
export type WebhookConfig = ResolvedConfig['webhooks'][number];
export type RulePolicy = z.output<typeof rulePolicy>;
export type RoleMapping = z.output<typeof roleMapping>;
