/**
 * A real gateway with SCIM enabled on a fresh SQLite file or PostgreSQL schema, no IdP providers
 * unless a test injects one, a minted SCIM token, and a small SCIM client over real HTTP.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { startGateway, type Gateway } from '../../../adapters/gateway/server.ts';
import { parseConfig } from '../../../plugin/config/parse.ts';
import type { ConfigInput } from '../../../plugin/config/schema.ts';
import { createLogger } from '../../../plugin/logger.ts';
import type { IdpAdapter } from '../../../plugin/ports.ts';
import { mintToken } from '../../../plugin/tokens.ts';
import { createTestDatabase, type DbKind, type TestDatabase } from '../../support/db.ts';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface ScimResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

export interface ScimClient {
  request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ScimResponse<T>>;
  get<T = Record<string, unknown>>(path: string, headers?: Record<string, string>): Promise<ScimResponse<T>>;
  post<T = Record<string, unknown>>(path: string, body: unknown, headers?: Record<string, string>): Promise<ScimResponse<T>>;
  put<T = Record<string, unknown>>(path: string, body: unknown, headers?: Record<string, string>): Promise<ScimResponse<T>>;
  patch<T = Record<string, unknown>>(path: string, body: unknown, headers?: Record<string, string>): Promise<ScimResponse<T>>;
  delete(path: string, headers?: Record<string, string>): Promise<ScimResponse>;
}

export function scimClient(base: string, token: string | null): ScimClient {
  const request = async <T,>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ScimResponse<T>> => {
    const h: Record<string, string> = { accept: 'application/scim+json', ...headers };
    if (token !== null) h.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/scim+json';
    }
    const res = await fetch(`${base}${path}`, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, headers: res.headers, text, body: parsed as T };
  };
  return {
    request,
    get: (path, headers) => request('GET', path, undefined, headers),
    post: (path, body, headers) => request('POST', path, body, headers),
    put: (path, body, headers) => request('PUT', path, body, headers),
    patch: (path, body, headers) => request('PATCH', path, body, headers),
    delete: (path, headers) => request('DELETE', path, undefined, headers),
  };
}

export interface ScimServer {
  gateway: Gateway;
  db: TestDatabase;
  url: string;
  /** `${url}/scim/v2` */
  base: string;
  token: string;
  tokenId: string;
  tokenName: string;
  scim: ScimClient;
  /** Mints another SCIM token (optionally scoped to a provider). */
  mint(name: string, provider?: string): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

export const ORGS = [
  { id: 'acme-corp', roles: ['owner', 'admin', 'viewer', 'member', 'contributor'], groups: ['developers', 'compliance-team'] },
  { id: 'home-lab', roles: ['Admin', 'Member'] },
];

/** An IdP adapter that never runs (SCIM tests only need the provider id to exist). */
export function inertIdp(id: string, type: 'oidc' | 'saml' = 'oidc'): IdpAdapter {
  return {
    id,
    type,
    begin: async () => {
      throw new Error('not used in SCIM tests');
    },
    complete: async () => {
      throw new Error('not used in SCIM tests');
    },
  };
}

export async function startScimServer(
  kind: DbKind,
  opts: { config?: (base: ConfigInput) => ConfigInput; idps?: Map<string, IdpAdapter>; tokenName?: string; logger?: Logger } = {},
): Promise<ScimServer> {
  const db = await createTestDatabase(kind);
  const base: ConfigInput = {
    server: { port: 0, host: '127.0.0.1', sessionSecret: randomBytes(24).toString('hex') },
    database: db.config,
    organizations: ORGS,
    provisioning: { syncMode: 'ADDITIVE', groupsPattern: 'chainloop_{ORG_NAME}_{GROUP_NAME}' },
    scim: { enabled: true, basePath: '/scim/v2' },
    log: { level: 'silent' },
  };
  const config = parseConfig(opts.config ? opts.config(base) : base);
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, { logger: opts.logger ?? createLogger('silent'), ...(opts.idps ? { idps: opts.idps } : {}) });
  } catch (e) {
    await db.drop();
    throw e;
  }
  const mint = async (name: string, provider?: string) => {
    const minted = await mintToken(gateway.store, { kind: 'scim', name, provider: provider ?? null, actor: 'test' });
    return { id: minted.id, token: minted.token };
  };
  const tokenName = opts.tokenName ?? 'okta-test';
  const first = await mint(tokenName);
  const scimBase = `${gateway.url}${config.scim.basePath}`;
  return {
    gateway,
    db,
    url: gateway.url,
    base: scimBase,
    token: first.token,
    tokenId: first.id,
    tokenName,
    scim: scimClient(scimBase, first.token),
    mint,
    async close() {
      await gateway.close();
      await db.drop();
    },
  };
}

/** A realistic user body, as Okta sends it on "Create Okta user with realistic values". */
export function oktaUser(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const [local = 'user'] = userName.split('@');
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: local.charAt(0).toUpperCase() + local.slice(1), familyName: 'Tester' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: `${local} Tester`,
    locale: 'en-US',
    externalId: `00u${randomBytes(6).toString('hex')}`,
    groups: [],
    password: 'not-stored-1!',
    active: true,
    ...extra,
  };
}

/** An Entra ID (Azure AD) user body, as its provisioning service sends it. */
export function entraUser(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    externalId: randomBytes(8).toString('hex'),
    userName,
    active: true,
    displayName: 'Entra User',
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: 'Entra User', familyName: 'User', givenName: 'Entra' },
    roles: [],
    [ENTERPRISE]: { employeeNumber: '701984', department: 'Engineering' },
    ...extra,
  };
}

export function patchOps(...operations: Record<string, unknown>[]): Record<string, unknown> {
  return { schemas: [PATCH_OP], Operations: operations };
}
