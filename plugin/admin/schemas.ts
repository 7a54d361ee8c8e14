/** Request schemas of the admin API; the OpenAPI document renders the same objects. */
import { z } from 'zod';
import { providerSchema } from '../config/schema.ts';
import { USER_SORTS } from '../ports.ts';
import { FIRST_LOGIN_POLICIES, USER_STATUSES } from '../types.ts';
import { DIRECTORY_EVENT_TYPES } from '../directory-events.ts';
import { OPTIONAL_FIELDS } from '../webhooks/payload.ts';
import { WEBHOOK_TRIGGERS } from '../webhooks/ports.ts';
import { secretProblem } from '../webhooks/signing.ts';

const name = z.string().trim().min(1).max(191);
const limit = z.coerce.number().int().min(1).max(500).optional();
const cursor = z.string().min(1).max(200).optional();

export const userStatus = z.enum(USER_STATUSES);

export const listUsersQuery = z.object({
  status: userStatus.optional(),
  provider: z.string().min(1).optional(),
  q: z.string().min(1).max(320).optional(),
  sort: z.enum(USER_SORTS).optional().describe('`created` (default), `email` or `status`; ties are ordered by id'),
  dir: z.enum(['asc', 'desc']).optional().describe('default: `desc` for `created` (newest first), `asc` otherwise'),
  cursor: cursor.describe('`nextCursor` of the previous page, with the same `sort` and `dir`'),
  limit,
});

export const createUserBody = z
  .object({
    email: z.email(),
    provider: z.string().min(1).optional(),
    organization: z.string().min(1).optional(),
    roles: z.array(name).optional(),
    groups: z.array(name).optional(),
    givenName: z.string().max(255).optional(),
    familyName: z.string().max(255).optional(),
    displayName: z.string().max(255).optional(),
  })
  .strict();

export const overrideBody = z
  .object({ organization: z.string().min(1), role: name.optional(), group: name.optional() })
  .strict()
  .refine((b) => b.role !== undefined || b.group !== undefined, { message: 'give a role, a group or both', path: ['role'] });

export const createOrganizationBody = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,190}$/, 'letters, digits, _ . - only'),
    name: z.string().max(255).optional(),
    roles: z.array(name).default(['owner', 'admin', 'viewer', 'member', 'contributor']),
    groups: z.array(name).default([]),
  })
  .strict();

export const replaceOrganizationBody = z
  .object({
    id: z.string().optional().describe('when given, the id of the path'),
    name: z.string().max(255).optional(),
    roles: z.array(name),
    groups: z.array(name).default([]),
  })
  .strict();

const probeOptions = {
  metadataUrl: z.string().url().optional().describe('SAML: fetch the IdP metadata from here'),
  metadataXml: z.string().max(1_000_000).optional().describe('SAML: the IdP metadata as is'),
  allowPrivateNetwork: z.boolean().default(false).describe('allow loopback, private and link-local targets (refused by default)'),
};

export const probeBody = z.object({ provider: providerSchema, ...probeOptions }).strict();
export const probeStoredBody = z.object(probeOptions).strict().default({ allowPrivateNetwork: false });

export const catalogNameBody = z.object({ name }).strict();

export const policyBody = z.object({ firstLoginPolicy: z.enum(FIRST_LOGIN_POLICIES) }).strict();

export const allowlistBody = z
  .object({
    entry: z
      .string()
      .trim()
      .max(320)
      .regex(/^(?:[^@\s]+@[^@\s]+\.[^@\s]+|@[^@\s]+\.[^@\s]+)$/, 'an email address or @domain'),
  })
  .strict();

export const tokenBody = z.object({ name, provider: z.string().min(1).optional() }).strict();

const secret = z
  .string()
  .refine((s) => secretProblem(s) === null, { message: 'must be whsec_ followed by a base64 key of 24-64 bytes' });
const trigger = z.enum(WEBHOOK_TRIGGERS);
const events = z.array(z.enum(DIRECTORY_EVENT_TYPES));
const fields = z.array(z.enum(OPTIONAL_FIELDS));
/** The providers an endpoint is attached to (its trigger fires for their logins only); empty: all. */
const providerIds = z.array(z.string().min(1).max(191)).max(100);
const payload = z.record(z.string().min(1).max(191), z.string().max(2000));
const url = z.url({ protocol: /^https?$/ });

export const createWebhookBody = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - only (max 64)').optional(),
    url,
    secret: secret.optional(),
    trigger: trigger.optional(),
    events: events.optional(),
    providers: providerIds.optional(),
    fields: fields.optional(),
    payload: payload.optional(),
    allowPrivateNetwork: z.boolean().optional(),
  })
  .strict();

export const updateWebhookBody = z
  .object({
    url: url.optional(),
    trigger: trigger.optional(),
    events: events.optional(),
    providers: providerIds.optional(),
    fields: fields.optional(),
    payload: payload.optional(),
    allowPrivateNetwork: z.boolean().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

export const rotateSecretBody = z
  .object({ secret: secret.optional(), overlapMs: z.number().int().min(0).max(30 * 24 * 60 * 60 * 1000).optional() })
  .strict()
  .default({});

export const exampleQuery = z.object({
  trigger: z.enum(['user_created_without_groups', 'login_without_groups', 'every_login']).optional(),
  /** A directory event's example instead of a login's. */
  event: z.enum(DIRECTORY_EVENT_TYPES).optional(),
  provider: z.string().min(1).optional(),
});

export const deliveriesQuery = z.object({ status: z.enum(['pending', 'delivered', 'failed']).optional(), cursor, limit });

/** ISO 8601 or epoch milliseconds. */
const instant = z
  .string()
  .transform((s, c) => {
    const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
    if (Number.isNaN(ms)) {
      c.addIssue({ code: 'custom', message: 'an ISO 8601 time or epoch milliseconds' });
      return z.NEVER;
    }
    return ms;
  })
  .optional();

export const auditQuery = z.object({
  user: z.string().min(1).optional(),
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  since: instant,
  until: instant,
  cursor: z.string().regex(/^\d+$/, 'a cursor from nextCursor').optional(),
  limit,
});

export const explainBody = z.object({ provider: z.string().min(1), claims: z.record(z.string(), z.unknown()) }).strict();
