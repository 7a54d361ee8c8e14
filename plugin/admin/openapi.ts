/**
 * The OpenAPI 3.1 document of the admin API, built from the route registry: request bodies and
 * query parameters are the zod schemas the handlers validate with (JSON Schema 2020-12).
 */
import { z } from 'zod';
import { DIRECTORY_EVENT_TYPES } from '../directory-events.ts';
import { FIRST_LOGIN_POLICIES, USER_STATUSES } from '../types.ts';
import { pathParams, type RouteDef } from './registry.ts';

type Json = Record<string, unknown>;

const obj = (properties: Json, required: string[] = []): Json => ({ type: 'object', properties, ...(required.length ? { required } : {}) });
const str = { type: 'string' };
const nstr = { type: ['string', 'null'] };
const time = { type: ['string', 'null'], format: 'date-time' };
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const arr = (items: Json) => ({ type: 'array', items });

/** Response shapes (documentation; the handlers build them in views.ts and the services). */
const SCHEMAS: Record<string, Json> = {
  Error: obj({ error: str, message: str, field: str, issues: arr(obj({ field: str, message: str })) }, ['error', 'message']),
  User: obj({
    id: str,
    email: nstr,
    username: nstr,
    givenName: nstr,
    familyName: nstr,
    displayName: nstr,
    externalId: nstr,
    status: { enum: [...USER_STATUSES] },
    instanceAdmin: { type: 'boolean' },
    createdAt: time,
    updatedAt: time,
  }),
  Membership: obj({
    id: str,
    organization: str,
    kind: { enum: ['role', 'group'] },
    name: str,
    source: { enum: ['sso', 'scim', 'static', 'override'] },
    mapper: nstr,
    createdAt: time,
  }),
  Identity: obj({ id: str, provider: str, subject: str, email: nstr, createdAt: time, lastLoginAt: time }),
  UserPage: obj({ users: arr(ref('User')), nextCursor: nstr }),
  UserDetail: obj({
    user: ref('User'),
    identities: arr(ref('Identity')),
    memberships: arr(ref('Membership')),
    overrides: arr(ref('Membership')),
    effective: arr(obj({ organization: str, roles: arr(str), groups: arr(str) })),
  }),
  Overrides: obj({ overrides: arr(ref('Membership')) }),
  Organization: obj({ id: str, name: nstr, roles: arr(str), groups: arr(str) }),
  Organizations: obj({ organizations: arr(ref('Organization')) }),
  AllowlistEntry: obj({ id: str, entry: str, createdBy: nstr, createdAt: time }),
  Allowlist: obj({ enabled: { type: 'boolean' }, allowDbOverrides: { type: 'boolean' }, configEntries: arr(str), entries: arr(ref('AllowlistEntry')) }),
  Provider: {
    type: 'object',
    description: 'The config file\'s provider shape without secret values (`clientSecret`, `privateKey`, `decryptionKey` show `{ "set": true|false }`), plus where it is defined.',
    properties: {
      id: str,
      type: { enum: ['oidc', 'saml'] },
      source: { enum: ['config', 'database'] },
      displayName: nstr,
      organization: nstr,
      domains: arr(str),
      firstLoginPolicy: { enum: [...FIRST_LOGIN_POLICIES], description: 'in force (the run-time toggle wins)' },
      configuredFirstLoginPolicy: { enum: [...FIRST_LOGIN_POLICIES] },
      clientSecret: obj({ set: { type: 'boolean' } }),
      privateKey: obj({ set: { type: 'boolean' } }),
      decryptionKey: obj({ set: { type: 'boolean' } }),
      metadataStatus: {
        type: ['object', 'null'],
        description: 'SAML with `metadataUrl`: the IdP metadata on the instance that answers (null without metadataUrl). `lastError` is set while reads fail (the last good copy stays in force); `certificates` are the signing certificates trusted now.',
        properties: {
          url: str,
          lastRefreshedAt: time,
          lastError: nstr,
          certificates: arr(obj({ subject: str, notAfter: time })),
        },
      },
      createdAt: time,
      updatedAt: time,
    },
    additionalProperties: true,
  },
  Providers: obj({ providers: arr(ref('Provider')) }),
  ProbeReport: obj(
    {
      ok: { type: 'boolean' },
      checks: arr(obj({ name: str, ok: { type: 'boolean' }, detail: str })),
      found: { type: 'object', description: 'OIDC discovery fields, or the SAML entity ID, SSO URL and signing certificates (subject, notAfter, expired)' },
      sp: obj({ redirectUri: str, acsUrl: str, spEntityId: str, spMetadataUrl: str }),
    },
    ['ok', 'checks', 'found', 'sp'],
  ),
  Provisioning: {
    type: 'object',
    description: 'The config file\'s `provisioning` block as in force, plus `source`: `config` (the file\'s) or `database` (saved through this API).',
    properties: { source: { enum: ['config', 'database'] }, syncMode: { enum: ['ADDITIVE', 'MANAGED'] }, defaultRole: str, groupsPattern: str, static: arr({ type: 'object' }), rules: { type: 'object' } },
    additionalProperties: true,
  },
  Policy: obj({ provider: str, firstLoginPolicy: { enum: [...FIRST_LOGIN_POLICIES] } }),
  Token: obj({ id: str, name: str, hint: str, provider: nstr, createdBy: nstr, createdAt: time, lastUsedAt: time, revokedAt: time }),
  Tokens: obj({ tokens: arr(ref('Token')) }),
  MintedToken: obj({ id: str, name: str, provider: nstr, token: str, createdAt: time }, ['token']),
  Webhook: obj({
    id: str,
    url: str,
    trigger: { enum: ['none', 'user_created_without_groups', 'login_without_groups', 'every_login'] },
    events: { ...arr({ enum: [...DIRECTORY_EVENT_TYPES] }), description: 'Directory events the endpoint subscribes to, besides its login trigger (docs/webhooks.md)' },
    providers: { ...arr({ type: 'string' }), description: 'Identity providers the endpoint is attached to: its login trigger fires for their logins only; empty: every provider' },
    fields: arr(str),
    payload: { type: 'object', additionalProperties: str },
    allowPrivateNetwork: { type: 'boolean' },
    source: { enum: ['config', 'api'] },
    enabled: { type: 'boolean' },
    disabledAt: time,
    disabledReason: nstr,
    secretHint: str,
    previousSecretValidUntil: time,
    createdAt: time,
    updatedAt: time,
  }),
  WebhookWithSecret: { allOf: [ref('Webhook'), obj({ secret: str }, ['secret'])] },
  Webhooks: obj({ webhooks: arr(ref('Webhook')), retryScheduleMs: arr({ type: 'integer' }) }),
  WebhookBody: obj(
    {
      type: { enum: ['user_created_without_groups', 'login_without_groups', 'every_login'] },
      timestamp: { type: 'string', format: 'date-time' },
      data: obj({
        user: obj({ id: str, email: nstr, username: nstr }, ['id', 'email', 'username']),
        provider: str,
        groups: arr(str),
        custom_payload: { type: 'object', additionalProperties: str },
      }),
    },
    ['type', 'timestamp', 'data'],
  ),
  DirectoryEventBody: obj(
    {
      type: { enum: [...DIRECTORY_EVENT_TYPES] },
      timestamp: { type: 'string', format: 'date-time' },
      data: obj(
        {
          user: obj({ id: str, email: nstr, username: nstr, first_name: nstr, last_name: nstr, name: nstr, status: { enum: [...USER_STATUSES] } }),
          changed: { ...arr(str), description: 'user.updated: the attributes that changed' },
          group: obj({ id: str, displayName: str }, ['id', 'displayName']),
          members: { ...arr(obj({ id: str }, ['id'])), description: 'At most 100 per delivery' },
          changes: {
            ...arr(obj({ user: { type: 'object' }, added: arr(ref('MembershipFact')), removed: arr(ref('MembershipFact')) })),
            description: 'membership.changed: at most 100 users per delivery',
          },
          source: { enum: ['scim', 'admin', 'sso', 'waiting_room'] },
          actor: str,
          custom_payload: { type: 'object', additionalProperties: str },
        },
        ['source', 'actor', 'custom_payload'],
      ),
    },
    ['type', 'timestamp', 'data'],
  ),
  MembershipFact: obj({ organization: str, kind: { enum: ['role', 'group'] }, name: str, source: { enum: ['sso', 'scim', 'static', 'override'] } }),
  WebhookExample: obj({
    endpointId: str,
    trigger: str,
    event: str,
    fires: { type: 'boolean' },
    headers: { type: ['object', 'null'] },
    body: { oneOf: [ref('WebhookBody'), ref('DirectoryEventBody'), { type: 'null' }] },
    raw: str,
  }),
  Delivery: obj({
    id: str,
    endpointId: str,
    type: str,
    status: { enum: ['pending', 'delivered', 'failed'] },
    userId: nstr,
    attempts: { type: 'integer' },
    nextAttemptAt: time,
    lastError: nstr,
    createdAt: time,
    deliveredAt: time,
    body: { oneOf: [ref('WebhookBody'), ref('DirectoryEventBody')] },
    attemptLog: arr(obj({ attempt: { type: 'integer' }, startedAt: time, durationMs: { type: 'integer' }, statusCode: { type: ['integer', 'null'] }, outcome: str, error: nstr, responseExcerpt: nstr, nextAttemptAt: time })),
  }),
  DeliveryPage: obj({ deliveries: arr(ref('Delivery')), nextCursor: nstr }),
  AuditEntry: obj({ id: str, at: time, action: str, outcome: nstr, actor: nstr, provider: nstr, subject: nstr, userId: nstr, reason: nstr, details: { type: ['object', 'null'] } }),
  AuditPage: obj({ entries: arr(ref('AuditEntry')), nextCursor: nstr }),
  Explanation: { type: 'object', description: 'Per mapper and organization: matched or not and why; the membership diff the login would apply.' },
};

function jsonSchema(schema: z.ZodType): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

function queryParameters(schema: z.ZodType): Json[] {
  const js = jsonSchema(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: js.required?.includes(name) ?? false, schema: s }));
}

function operation(r: RouteDef): Json {
  const responses: Json = {};
  for (const [status, v] of Object.entries(r.responses)) {
    const desc = typeof v === 'string' ? v : v.description;
    const schema = typeof v === 'string' ? (Number(status) >= 400 ? 'Error' : null) : v.schema;
    responses[status] = schema && status !== '204' ? { description: desc, content: { 'application/json': { schema: ref(schema) } } } : { description: desc };
  }
  if (!r.public) {
    responses['401'] ??= { description: 'No or invalid credentials', content: { 'application/json': { schema: ref('Error') } } };
    responses['403'] ??= { description: 'Not an instance admin, or a session request that is not JSON', content: { 'application/json': { schema: ref('Error') } } };
  }
  if (r.body) responses['400'] ??= { description: 'Validation error; `field` names the bad field', content: { 'application/json': { schema: ref('Error') } } };
  const parameters = [
    ...pathParams(r.path).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...(r.query ? queryParameters(r.query) : []),
  ];
  return {
    operationId: `${r.method}${r.path.replace(/\{([^}]+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    tags: [r.tag],
    ...(parameters.length ? { parameters } : {}),
    ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
    responses,
    ...(r.public ? { security: [] } : {}),
  };
}

export function buildOpenApi(routes: readonly RouteDef[], info: { version: string; serverUrl?: string | undefined; cookieName?: string | undefined }): Json {
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const item = (paths[r.path] ??= {});
    item[r.method] = operation(r);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse admin API',
      version: info.version,
      description:
        'Users, the waiting room, overrides, identity providers, organizations, provisioning, allowlist, FirstLoginPolicy, SCIM tokens, webhooks, audit log and explain. ' +
        'Authenticate with an instance-admin session (state-changing requests must be JSON) or an admin API token (`gatehouse admin-token mint`).',
    },
    servers: [{ url: info.serverUrl ?? '/admin/api' }],
    security: [{ adminToken: [] }, { session: [] }],
    paths,
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'An admin API token (gatehouse_admin_...)' },
        session: { type: 'apiKey', in: 'cookie', name: info.cookieName ?? 'gatehouse.sid', description: 'An instance admin\'s session' },
      },
      schemas: SCHEMAS,
    },
  };
}
