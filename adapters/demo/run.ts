/**
 * `npm start`: the standalone gateway on a demo config, with a built-in OIDC provider and a
 * built-in SAML IdP on loopback. Data (SQLite file, the SAML IdP's key made on first start)
 * lives in `.demo-data/` (git-ignored).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseConfig } from '../../plugin/config/parse.ts';
import type { ConfigInput } from '../../plugin/config/schema.ts';
import { startGateway, type Gateway } from '../gateway/server.ts';
import { generateKeyPairAndCert } from './certs.ts';
import { startOidcIdp } from './oidc-idp.ts';
import { startSamlIdp } from './saml-idp.ts';
import { randomBytes } from 'node:crypto';

export const DEMO_USERS = [
  {
    username: 'alice',
    password: 'alice',
    email: 'alice@example.com',
    givenName: 'Alice',
    familyName: 'Admin',
    groups: ['chainloop_acme-corp_org-admin', 'chainloop_acme-corp_developers', 'home-lab', 'admin'],
  },
  { username: 'bob', password: 'bob', email: 'bob@example.org', givenName: 'Bob', familyName: 'Nogroups', groups: [] as string[] },
  { username: 'carol', password: 'carol', email: 'carol@example.com', givenName: 'Carol', familyName: 'Viewer', groups: ['chainloop_acme-corp_org-viewer', 'home-lab'] },
  { username: 'root', password: 'root', email: 'root@example.com', givenName: 'Root', familyName: 'Operator', groups: [] as string[] },
];

export interface DemoOptions {
  dataDir?: string;
  gatewayPort?: number;
  oidcPort?: number;
  samlPort?: number;
  log?: string;
}

export interface Demo {
  gateway: Gateway;
  oidcIssuer: string;
  samlEntryPoint: string;
  close(): Promise<void>;
}

function loadOrCreateIdpKey(dataDir: string): { privateKeyPem: string; certPem: string } {
  const keyFile = join(dataDir, 'saml-idp-key.pem');
  const certFile = join(dataDir, 'saml-idp-cert.pem');
  if (existsSync(keyFile) && existsSync(certFile)) {
    return { privateKeyPem: readFileSync(keyFile, 'utf8'), certPem: readFileSync(certFile, 'utf8') };
  }
  const pair = generateKeyPairAndCert('Gatehouse Demo SAML IdP');
  writeFileSync(keyFile, pair.privateKeyPem, { mode: 0o600 });
  writeFileSync(certFile, pair.certPem);
  return pair;
}

function loadOrCreateSecret(dataDir: string): string {
  const file = join(dataDir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export function demoConfig(p: { gatewayUrl: string; port: number; host: string; dataDir: string; oidcIssuer: string; samlEntryPoint: string; samlIssuer: string; samlCert: string; sessionSecret: string; log: string }): ConfigInput {
  return {
    server: { port: p.port, host: p.host, baseUrl: p.gatewayUrl, sessionSecret: p.sessionSecret },
    database: { client: 'sqlite3', connection: { filename: join(p.dataDir, 'gatehouse.sqlite') } },
    sessions: { store: 'database' },
    organizations: [
      { id: 'acme-corp', roles: ['owner', 'admin', 'viewer', 'member', 'contributor'], groups: ['developers', 'compliance-team', 'development-team'] },
      { id: 'home-lab', roles: ['Admin', 'Member'] },
    ],
    providers: [
      {
        id: 'demo-oidc',
        displayName: 'Demo OIDC provider',
        type: 'oidc',
        issuer: p.oidcIssuer,
        clientId: 'gatehouse-demo',
        clientSecret: 'demo-client-secret',
        scopes: ['openid', 'email', 'profile', 'groups'],
        claims: { groups: 'groups' },
        firstLoginPolicy: 'allow',
      },
      {
        id: 'demo-saml',
        displayName: 'Demo SAML IdP',
        type: 'saml',
        entryPoint: p.samlEntryPoint,
        idpIssuer: p.samlIssuer,
        idpCert: p.samlCert,
        issuer: 'urn:gatehouse:demo-sp',
        claims: { email: 'email', groups: 'groups' },
        firstLoginPolicy: 'allow',
      },
    ],
    provisioning: {
      syncMode: 'ADDITIVE',
      defaultRole: 'viewer',
      static: [{ organization: 'acme-corp', role: 'viewer', groups: ['compliance-team', 'development-team'] }],
      instanceAdmins: ['root@example.com'],
      groupsPattern: 'chainloop_{ORG_NAME}_{GROUP_NAME}',
      rules: {
        organizations: {
          'home-lab': {
            organization: "contains(groups, '{{orgId}}')",
            roles: { expression: "contains(groups, 'admin') && 'Admin' || 'Member'" },
          },
        },
      },
    },
    log: { level: p.log as 'info' },
  };
}

export async function startDemo(opts: DemoOptions = {}): Promise<Demo> {
  const host = '127.0.0.1';
  const dataDir = resolve(opts.dataDir ?? '.demo-data');
  mkdirSync(dataDir, { recursive: true });
  const gatewayPort = opts.gatewayPort ?? Number(process.env.GATEHOUSE_PORT ?? 3000);
  const gatewayUrl = `http://${host}:${gatewayPort}`;
  const oidc = await startOidcIdp({
    port: opts.oidcPort ?? Number(process.env.GATEHOUSE_DEMO_OIDC_PORT ?? 3001),
    clients: [{ clientId: 'gatehouse-demo', clientSecret: 'demo-client-secret', redirectUris: [`${gatewayUrl}/auth/demo-oidc/callback`] }],
    users: DEMO_USERS,
  });
  const samlIssuer = 'urn:gatehouse:demo-idp';
  const saml = await startSamlIdp({
    port: opts.samlPort ?? Number(process.env.GATEHOUSE_DEMO_SAML_PORT ?? 3002),
    issuer: samlIssuer,
    users: DEMO_USERS,
    keyPair: loadOrCreateIdpKey(dataDir),
  });
  try {
    const config = parseConfig(
      demoConfig({
        gatewayUrl,
        port: gatewayPort,
        host,
        dataDir,
        oidcIssuer: oidc.issuer,
        samlEntryPoint: saml.entryPoint,
        samlIssuer,
        samlCert: saml.certPem,
        sessionSecret: loadOrCreateSecret(dataDir),
        log: opts.log ?? 'info',
      }),
    );
    const gateway = await startGateway(config);
    return {
      gateway,
      oidcIssuer: oidc.issuer,
      samlEntryPoint: saml.entryPoint,
      async close() {
        await gateway.close();
        await oidc.close();
        await saml.close();
      },
    };
  } catch (e) {
    await oidc.close();
    await saml.close();
    throw e;
  }
}
