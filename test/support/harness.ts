/**
 * End-to-end harness: a real OIDC provider and a real SAML IdP on loopback, the standalone
 * gateway on a fresh SQLite file or PostgreSQL schema, and helpers that log a browser in.
 */
import { randomBytes } from 'node:crypto';
import { parseConfig } from '../../plugin/config/parse.ts';
import type { ConfigInput } from '../../plugin/config/schema.ts';
import { createLogger } from '../../plugin/logger.ts';
import { startGateway, type Gateway } from '../../adapters/gateway/server.ts';
import type { BackendOptions } from '../../adapters/backend.ts';
import { startOidcIdp, type DemoOidcIdp, type DemoUser as OidcUser } from '../../adapters/demo/oidc-idp.ts';
import { generateKeyPairAndCert, type KeyPairAndCert } from '../../adapters/demo/certs.ts';
import { startSamlIdp, type SamlIdp } from '../../adapters/demo/saml-idp.ts';
import { createOidcAdapter } from '../../adapters/idp/oidc.ts';
import type { IdpAdapter } from '../../plugin/ports.ts';
import type { Agent, AgentResponse } from './agent.ts';
import { IDP_PASSWORD, loginThroughOidc, loginThroughSaml, oidcCallbackThrough, samlResponseThrough } from './idp-login.ts';
import { createTestDatabase, type DbKind, type TestDatabase } from './db.ts';
import { freePort } from './ports.ts';

export interface HarnessUser {
  username: string;
  email: string;
  groups: string[];
  emailVerified?: boolean;
  givenName?: string;
  familyName?: string;
  extraClaims?: Record<string, unknown>;
}

export const DEFAULT_USERS: HarnessUser[] = [
  { username: 'alice', email: 'alice@example.com', givenName: 'Alice', familyName: 'Anders', groups: ['chainloop_acme-corp_org-admin', 'chainloop_acme-corp_developers'] },
  { username: 'bob', email: 'bob@example.org', groups: [] },
  { username: 'carol', email: 'carol@example.com', groups: ['home-lab', 'admin'] },
  { username: 'dave', email: 'dave@other.test', groups: [] },
];

export const OIDC_ID = 'corp-oidc';
export const SAML_ID = 'corp-saml';
const returnQuery = (returnTo: string | undefined) => (returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : '');

export interface Harness {
  url: string;
  gateway: Gateway;
  oidc: DemoOidcIdp;
  saml: SamlIdp;
  db: TestDatabase;
  /** OIDC login up to (not including) the browser's request to our callback: returns that URL. */
  oidcCallbackUrl(agent: Agent, username: string): Promise<string>;
  /** Full OIDC login; returns the gateway's answer at the callback. */
  loginOidc(agent: Agent, username: string, opts?: { returnTo?: string }): Promise<AgentResponse>;
  /** Full SAML login (SP-initiated); returns the gateway's answer at the ACS. */
  loginSaml(agent: Agent, username: string, opts?: { returnTo?: string }): Promise<AgentResponse>;
  /** SAML up to the auto-post page: the SAMLResponse and RelayState the browser would post. */
  samlResponseFor(agent: Agent, username: string): Promise<{ acs: string; fields: Record<string, string> }>;
  me(agent: Agent): Promise<AgentResponse>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  db: DbKind;
  users?: HarnessUser[];
  /** Edits the config before it is parsed. */
  config?: (base: ConfigInput) => ConfigInput;
  /** Transport for the gateway's OIDC adapter (tests forge IdP answers with it). */
  oidcFetch?: typeof fetch;
  /** Gateway options (a logger that records, extra login hooks...); the harness's IdP adapters win. */
  gateway?: Omit<BackendOptions, 'idps'>;
  /** Where the OIDC IdP posts logout tokens (default: the gateway's back-channel logout endpoint). */
  oidcBackchannelUri?: (gatewayUrl: string) => string;
  /** SAML single logout on: an SP key pair made here, the IdP's SLO URL as `logoutUrl`, `singleLogout`. */
  samlSingleLogout?: boolean;
  /** The SAML IdP's first signing key (default: one made at start). */
  samlKeyPair?: KeyPairAndCert;
}

export function baseConfig(p: { oidcIssuer: string; samlEntryPoint: string; samlIssuer: string; samlCert: string; db: TestDatabase }): ConfigInput {
  return {
    server: { port: 0, host: '127.0.0.1', sessionSecret: randomBytes(24).toString('hex') },
    database: p.db.config,
    organizations: [
      { id: 'acme-corp', groups: ['developers', 'compliance-team', 'development-team'] },
      { id: 'home-lab', roles: ['Admin', 'Member'] },
    ],
    providers: [
      { id: OIDC_ID, type: 'oidc', issuer: p.oidcIssuer, clientId: 'gatehouse', clientSecret: 'test-secret', scopes: ['openid', 'email', 'profile', 'groups'], firstLoginPolicy: 'allow' },
      { id: SAML_ID, type: 'saml', entryPoint: p.samlEntryPoint, idpIssuer: p.samlIssuer, idpCert: p.samlCert, issuer: 'urn:gatehouse:test-sp', firstLoginPolicy: 'allow' },
    ],
    provisioning: {
      syncMode: 'ADDITIVE',
      defaultRole: 'viewer',
      groupsPattern: 'chainloop_{ORG_NAME}_{GROUP_NAME}',
      rules: {
        organizations: {
          'home-lab': { organization: "contains(groups, '{{orgId}}')", roles: { expression: "contains(groups, 'admin') && 'Admin' || 'Member'" } },
        },
      },
    },
    log: { level: 'silent' },
  };
}

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const users = opts.users ?? DEFAULT_USERS;
  const db = await createTestDatabase(opts.db);
  // The OIDC client's redirect URI must be registered before the gateway starts: pick a free port first.
  const oidcUsers: OidcUser[] = users.map((u) => ({
    username: u.username,
    password: IDP_PASSWORD,
    email: u.email,
    emailVerified: u.emailVerified ?? true,
    ...(u.givenName ? { givenName: u.givenName } : {}),
    ...(u.familyName ? { familyName: u.familyName } : {}),
    groups: u.groups,
    ...(u.extraClaims ? { extraClaims: u.extraClaims } : {}),
  }));
  const samlIssuer = 'urn:test:saml-idp';
  const gatewayPort = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const spKeys = opts.samlSingleLogout ? generateKeyPairAndCert('Gatehouse test SP') : undefined;
  const saml = await startSamlIdp({
    issuer: samlIssuer,
    users: users.map((u) => ({ username: u.username, email: u.email, groups: u.groups, ...(u.givenName ? { givenName: u.givenName } : {}), ...(u.familyName ? { familyName: u.familyName } : {}) })),
    ...(spKeys ? { sp: { certPem: spKeys.certPem, sloUrl: `${gatewayUrl}/auth/${SAML_ID}/slo` } } : {}),
    ...(opts.samlKeyPair ? { keyPair: opts.samlKeyPair } : {}),
  });
  const oidc = await startOidcIdp({
    clients: [
      {
        clientId: 'gatehouse',
        clientSecret: 'test-secret',
        redirectUris: [`${gatewayUrl}/auth/${OIDC_ID}/callback`],
        backchannelLogoutUri: opts.oidcBackchannelUri?.(gatewayUrl) ?? `${gatewayUrl}/auth/${OIDC_ID}/backchannel-logout`,
        postLogoutRedirectUris: [`${gatewayUrl}/`],
      },
    ],
    users: oidcUsers,
    alwaysPromptLogin: true,
  });
  let base = baseConfig({ oidcIssuer: oidc.issuer, samlEntryPoint: saml.entryPoint, samlIssuer, samlCert: saml.certPem, db });
  base = { ...base, server: { ...base.server!, port: gatewayPort } };
  if (spKeys) {
    const slo = { privateKey: spKeys.privateKeyPem, publicCert: spKeys.certPem, logoutUrl: saml.sloUrl, singleLogout: true };
    base = { ...base, providers: base.providers!.map((p) => (p.id === SAML_ID ? { ...p, ...slo } : p)) };
  }
  const config = parseConfig(opts.config ? opts.config(base) : base);
  let gateway: Gateway;
  try {
    const idps = new Map<string, IdpAdapter>();
    const oidcConfig = config.providers.find((p) => p.id === OIDC_ID);
    if (opts.oidcFetch && oidcConfig?.type === 'oidc') {
      idps.set(OIDC_ID, createOidcAdapter(oidcConfig, { baseUrl: gatewayUrl, keyPath: `providers[${config.providers.indexOf(oidcConfig)}]`, customFetch: opts.oidcFetch }));
    }
    gateway = await startGateway(config, { logger: createLogger('silent'), ...(opts.gateway ?? {}), idps });
  } catch (e) {
    await oidc.close();
    await saml.close();
    await db.drop();
    throw e;
  }
  const url = gateway.url;

  const harness: Harness = {
    url,
    gateway,
    oidc,
    saml,
    db,
    oidcCallbackUrl(agent, username) {
      return oidcCallbackThrough(agent, `${url}/auth/${OIDC_ID}/login`, `${url}/auth/${OIDC_ID}/callback`, username);
    },
    loginOidc(agent, username, o = {}) {
      return loginThroughOidc(agent, `${url}/auth/${OIDC_ID}/login${returnQuery(o.returnTo)}`, `${url}/auth/${OIDC_ID}/callback`, username);
    },
    samlResponseFor(agent, username) {
      return samlResponseThrough(agent, `${url}/auth/${SAML_ID}/login`, username);
    },
    loginSaml(agent, username, o = {}) {
      return loginThroughSaml(agent, `${url}/auth/${SAML_ID}/login${returnQuery(o.returnTo)}`, username);
    },
    me(agent) {
      return agent.get(`${url}/auth/me`, { accept: 'application/json' });
    },
    async close() {
      await gateway.close();
      await oidc.close();
      await saml.close();
      await db.drop();
    },
  };
  return harness;
}
