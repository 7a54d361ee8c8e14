/**
 * For tests of Gatehouse as a library: the real OIDC provider and SAML IdP on loopback, set up
 * for a host app at `appUrl`, and the library config object that points at them.
 */
import type { ConfigInput } from '../../plugin/config/schema.ts';
import { startOidcIdp, type DemoOidcIdp } from '../../adapters/demo/oidc-idp.ts';
import { startSamlIdp, type SamlIdp } from '../../adapters/demo/saml-idp.ts';
import type { TestDatabase } from './db.ts';
import { DEFAULT_USERS, type HarnessUser } from './harness.ts';
import { IDP_PASSWORD } from './idp-login.ts';

export const LIB_OIDC = 'corp-oidc';
export const LIB_SAML = 'corp-saml';

export interface LibraryIdps {
  oidc: DemoOidcIdp;
  saml: SamlIdp;
  /**
   * The library config: no `server.sessionSecret` (the app owns sessions); OIDC `allow`, SAML
   * `pending_approval` with a trusted email; an allowlist that refuses `@other.test`; SCIM on.
   */
  config(db: TestDatabase, extra?: Partial<ConfigInput>): ConfigInput;
  close(): Promise<void>;
}

export async function startLibraryIdps(appUrl: string, users: HarnessUser[] = DEFAULT_USERS): Promise<LibraryIdps> {
  const saml = await startSamlIdp({ issuer: 'urn:test:library-idp', users: users.map((u) => ({ username: u.username, email: u.email, groups: u.groups })) });
  const oidc = await startOidcIdp({
    clients: [{ clientId: 'app', clientSecret: 'app-secret', redirectUris: [`${appUrl}/auth/${LIB_OIDC}/callback`] }],
    users: users.map((u) => ({ username: u.username, password: IDP_PASSWORD, email: u.email, emailVerified: true, groups: u.groups })),
    alwaysPromptLogin: true,
  });
  return {
    oidc,
    saml,
    config: (db, extra = {}) => ({
      server: { baseUrl: appUrl },
      database: db.config,
      organizations: [{ id: 'acme-corp', groups: ['developers', 'compliance-team'] }],
      providers: [
        { id: LIB_OIDC, type: 'oidc', issuer: oidc.issuer, clientId: 'app', clientSecret: 'app-secret', scopes: ['openid', 'email', 'profile', 'groups'] },
        { id: LIB_SAML, type: 'saml', entryPoint: saml.entryPoint, idpIssuer: 'urn:test:library-idp', idpCert: saml.certPem, issuer: 'urn:app:sp', firstLoginPolicy: 'pending_approval', trustEmail: true },
      ],
      allowlist: { enabled: true, entries: ['@example.com', '@example.org'], message: 'Ask IT for access.' },
      provisioning: { defaultRole: 'viewer', groupsPattern: 'chainloop_{ORG_NAME}_{GROUP_NAME}', instanceAdmins: ['alice@example.com'] },
      scim: { enabled: true },
      log: { level: 'silent' },
      ...extra,
    }),
    async close() {
      await oidc.close();
      await saml.close();
    },
  };
}
