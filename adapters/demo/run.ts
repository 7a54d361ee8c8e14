/**
 * `npm start`: the standalone gateway on the demo config (docs/demo/gatehouse.yaml), with a
 * built-in OIDC provider and a built-in SAML IdP on loopback. Data (SQLite file, the SAML IdP's
 * key made on first start, the session secret) lives in `.demo-data/` (git-ignored).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfigFile } from '../config/load.ts';
import { startGateway, type Gateway } from '../gateway/server.ts';
import { generateKeyPairAndCert } from './certs.ts';
import { startOidcIdp } from './oidc-idp.ts';
import { startSamlIdp } from './saml-idp.ts';

/** The package's root folder, from the sources (adapters/demo) or the build (dist/adapters/demo) alike. */
function packageRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('gatehouse: cannot find the package root of the demo');
    dir = up;
  }
  return dir;
}

export const DEMO_CONFIG_FILE = join(packageRoot(), 'docs/demo/gatehouse.yaml');

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
  dataDir?: string | undefined;
  gatewayPort?: number | undefined;
  oidcPort?: number | undefined;
  samlPort?: number | undefined;
}

export interface Demo {
  gateway: Gateway;
  oidcIssuer: string;
  samlEntryPoint: string;
  close(): Promise<void>;
}

function loadOrCreate<T>(file: string, make: () => T, write: (v: T) => void, read: () => T): T {
  if (existsSync(file)) return read();
  const v = make();
  write(v);
  return v;
}

export async function startDemo(opts: DemoOptions = {}): Promise<Demo> {
  const dataDir = resolve(opts.dataDir ?? '.demo-data');
  mkdirSync(dataDir, { recursive: true });
  const keyFile = join(dataDir, 'saml-idp-key.pem');
  const certFile = join(dataDir, 'saml-idp-cert.pem');
  const keyPair = loadOrCreate(
    certFile,
    () => generateKeyPairAndCert('Gatehouse Demo SAML IdP'),
    (p) => {
      writeFileSync(keyFile, p.privateKeyPem, { mode: 0o600 });
      writeFileSync(certFile, p.certPem);
    },
    () => ({ privateKeyPem: readFileSync(keyFile, 'utf8'), certPem: readFileSync(certFile, 'utf8') }),
  );
  const secretFile = join(dataDir, 'session-secret');
  const sessionSecret = loadOrCreate(
    secretFile,
    () => randomBytes(32).toString('base64url'),
    (s) => writeFileSync(secretFile, s, { mode: 0o600 }),
    () => readFileSync(secretFile, 'utf8').trim(),
  );

  const gatewayPort = opts.gatewayPort ?? Number(process.env.GATEHOUSE_PORT ?? 3000);
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const oidc = await startOidcIdp({
    port: opts.oidcPort ?? Number(process.env.GATEHOUSE_DEMO_OIDC_PORT ?? 3001),
    clients: [
      {
        clientId: 'gatehouse-demo',
        clientSecret: 'demo-client-secret',
        redirectUris: [`${gatewayUrl}/auth/demo-oidc/callback`],
        // Sign-out ends the IdP session too (contract section 5), and the IdP's own logout reaches us.
        postLogoutRedirectUris: [`${gatewayUrl}/`],
        backchannelLogoutUri: `${gatewayUrl}/auth/demo-oidc/backchannel-logout`,
      },
    ],
    users: DEMO_USERS,
  });
  let saml: Awaited<ReturnType<typeof startSamlIdp>> | undefined;
  try {
    saml = await startSamlIdp({
      port: opts.samlPort ?? Number(process.env.GATEHOUSE_DEMO_SAML_PORT ?? 3002),
      issuer: 'urn:gatehouse:demo-idp',
      users: DEMO_USERS,
      keyPair,
    });
    const env = {
      ...process.env,
      GATEHOUSE_PORT: String(gatewayPort),
      GATEHOUSE_DEMO_OIDC_PORT: new URL(oidc.issuer).port,
      GATEHOUSE_DEMO_SAML_PORT: new URL(saml.entryPoint).port,
      GATEHOUSE_DEMO_DATA_DIR: dataDir,
      GATEHOUSE_SESSION_SECRET: sessionSecret,
    };
    const gateway = await startGateway(loadConfigFile(DEMO_CONFIG_FILE, env));
    const idp = saml;
    return {
      gateway,
      oidcIssuer: oidc.issuer,
      samlEntryPoint: saml.entryPoint,
      async close() {
        await gateway.close();
        await oidc.close();
        await idp.close();
      },
    };
  } catch (e) {
    await oidc.close();
    await saml?.close();
    throw e;
  }
}
