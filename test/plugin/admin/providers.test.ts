/**
 * Identity providers managed at run time through the admin API (contract section 9), on both
 * databases, against a real OIDC provider on loopback: created through the API and logged in
 * through without a restart; validation errors name the field; config-file providers are
 * read-only; secrets never leave the process in a response, a log line, an audit row or the
 * table (ciphertext only).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcIdp, type DemoOidcIdp } from '../../../adapters/demo/oidc-idp.ts';
import { mintToken } from '../../../plugin/tokens.ts';
import { Agent, type AgentResponse } from '../../support/agent.ts';
import { DB_KINDS } from '../../support/db.ts';
import { OIDC_ID, startHarness, type Harness } from '../../support/harness.ts';
import { IDP_PASSWORD, loginThroughOidc, loginThroughSaml, oidcCallbackThrough } from '../../support/idp-login.ts';
import { captureLogs } from '../../support/log-capture.ts';

const RT = 'rt-oidc';
const SECRET = `rt-client-secret-${randomBytes(12).toString('hex')}`;

describe.each(DB_KINDS)('run-time providers on %s', (kind) => {
  let h: Harness;
  let idp: DemoOidcIdp;
  let token: string;
  const logs = captureLogs('debug');
  const client = new Agent();
  const call = (method: string, path: string, json?: unknown): Promise<AgentResponse> =>
    client.request(`${h.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${token}` }, ...(json === undefined ? {} : { json }) });
  const rtBody = (extra: Record<string, unknown> = {}) => ({
    id: RT,
    type: 'oidc',
    displayName: 'Run-time OIDC',
    issuer: idp.issuer,
    clientId: 'rt-client',
    clientSecret: SECRET,
    scopes: ['openid', 'email', 'profile', 'groups'],
    domains: ['example.com'],
    provisioning: {
      defaultRole: 'viewer',
      rules: { organizations: { 'home-lab': { organization: "contains(groups, 'home-lab')", roles: { claim: 'groups', map: { admin: 'Admin' } } } } },
    },
    ...extra,
  });
  const login = (agent: Agent, user: string) => loginThroughOidc(agent, `${h.url}/auth/${RT}/login`, `${h.url}/auth/${RT}/callback`, user);

  beforeAll(async () => {
    h = await startHarness({
      db: kind,
      config: (c) => ({ ...c, secrets: { encryptionKey: randomBytes(32).toString('base64') } }),
      gateway: { logger: logs.logger },
    });
    idp = await startOidcIdp({
      clients: [{ clientId: 'rt-client', clientSecret: SECRET, redirectUris: [`${h.url}/auth/${RT}/callback`] }],
      users: [{ username: 'carol', password: IDP_PASSWORD, email: 'carol@example.com', emailVerified: true, groups: ['home-lab', 'admin'] }],
      alwaysPromptLogin: true,
    });
    token = (await mintToken(h.gateway.store, { kind: 'admin', name: 'providers-test', actor: 'test' })).token;
  });
  afterAll(async () => {
    await h?.close();
    await idp?.close();
  });

  it('creates an OIDC provider that serves logins at once, mapped by its own provisioning block', async () => {
    expect((await new Agent().get(`${h.url}/auth/${RT}/login`)).status).toBe(404);
    const res = await call('POST', '/providers', rtBody());
    expect(res.status).toBe(201);
    expect(res.json()).toMatchObject({ id: RT, source: 'database', clientSecret: { set: true }, domains: ['example.com'], firstLoginPolicy: 'allow' });

    const agent = new Agent();
    expect((await login(agent, 'carol')).status).toBe(302);
    const me = (await h.me(agent)).json<{ memberships: unknown[] }>();
    expect(me.memberships).toEqual([{ organization: 'home-lab', roles: ['Admin'], groups: [] }]);

    const list = (await call('GET', '/providers')).json<{ providers: { id: string; source: string }[] }>();
    expect(list.providers.map((p) => `${p.id}:${p.source}`)).toEqual(['corp-oidc:config', 'corp-saml:config', `${RT}:database`]);
    // Home-realm discovery routes its domain to it at once.
    const discovered = await new Agent().get(`${h.url}/auth/discover?email=someone%40example.com`);
    expect(discovered.text).toContain(`url=/auth/${RT}/login?login_hint=`);
    const explained = await call('POST', '/explain', { provider: RT, claims: { sub: 'x', email: 'x@example.com', groups: ['home-lab', 'admin'] } });
    expect(explained.json()).toMatchObject({ provider: RT, entitlements: [{ organization: 'home-lab', roles: ['Admin'] }] });
  });

  it('creates a SAML provider from its IdP metadata URL (fetched under the private-network guard) and logs in through it', async () => {
    const refused = await call('POST', '/providers', { id: 'rt-saml', type: 'saml', metadataUrl: h.saml.metadataUrl, issuer: 'urn:gatehouse:rt-sp' });
    expect(refused.status).toBe(400);
    expect(refused.json()).toMatchObject({ field: 'metadataUrl', message: expect.stringMatching(/refused.*loopback/) });

    const res = await call('POST', '/providers', { id: 'rt-saml', type: 'saml', metadataUrl: h.saml.metadataUrl, allowPrivateNetwork: true, issuer: 'urn:gatehouse:rt-sp', trustEmail: true });
    expect(res.status, res.text).toBe(201);
    expect(res.json()).toMatchObject({ source: 'database', entryPoint: h.saml.entryPoint, idpIssuer: 'urn:test:saml-idp', idpCert: [h.saml.certPem.replace(/\r/g, '')], privateKey: { set: false } });
    const agent = new Agent();
    expect((await loginThroughSaml(agent, `${h.url}/auth/rt-saml/login`, 'alice')).status).toBe(302);
    expect((await h.me(agent)).json()).toMatchObject({ user: { email: 'alice@example.com' } });
    const list = (await call('GET', '/providers')).json<{ providers: { id: string }[] }>();
    expect(list.providers.map((p) => p.id)).toContain('rt-saml');
  });

  it('keeps the secret sealed: the table holds ciphertext only, and no answer, audit row or log line holds it', async () => {
    const rows = await h.gateway.knex('gh_providers').where({ id: RT });
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(SECRET);
    expect(JSON.parse(rows[0].secrets).clientSecret).toMatch(/^v1\.[0-9a-f]{12}\./);
    const answers = [await call('GET', '/providers'), await call('GET', `/providers/${RT}`)];
    for (const a of answers) expect(a.text).not.toContain(SECRET);
    const audit = await h.gateway.knex('gh_audit').where('action', 'like', 'provider.%');
    expect(audit.map((r: { action: string }) => r.action)).toContain('provider.create');
    expect(JSON.stringify(audit)).not.toContain(SECRET);
    expect(audit.find((r: { action: string }) => r.action === 'provider.create')).toMatchObject({ actor: expect.stringContaining('providers-test') });
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(logs.lines)).not.toContain(SECRET);
  });

  it('replaces a provider: a secret left out (or sent back as GET shows it) keeps the stored one', async () => {
    const shown = (await call('GET', `/providers/${RT}`)).json<Record<string, unknown>>();
    const put = await call('PUT', `/providers/${RT}`, { ...shown, displayName: 'Renamed' });
    expect(put.status).toBe(200);
    expect(put.json()).toMatchObject({ displayName: 'Renamed', clientSecret: { set: true } });
    // The client secret is still the right one: the IdP accepts the code exchange.
    expect((await login(new Agent(), 'carol')).status).toBe(302);
    const audit = await h.gateway.knex('gh_audit').where({ action: 'provider.update' }).first();
    expect(JSON.parse(audit.details)).toMatchObject({ fields: ['displayName'] });
  });

  it('refuses invalid providers with a 400 naming the field, and stores nothing', async () => {
    const bad = async (body: Record<string, unknown>, field: string, message: RegExp) => {
      const res = await call('POST', '/providers', body);
      expect(res.status, res.text).toBe(400);
      expect(res.json()).toMatchObject({ error: 'ERR_VALIDATION', field, message: expect.stringMatching(message) });
    };
    const base = rtBody({ id: 'rt-two', domains: undefined, clientSecret: undefined });
    await bad({ ...base, provisioning: { rules: { organizations: { 'home-lab': { organization: "contains(groups, 'x'" } } } } }, 'provisioning.rules.organizations.home-lab.organization', /position \d+/);
    await bad({ ...base, provisioning: { rules: { organizations: { 'home-lab': { roles: { fixed: ['Boss'] } } } } } }, 'provisioning.rules.organizations.home-lab.roles.fixed[0]', /role "Boss" does not exist/);
    await bad({ ...base, domains: ['example.org', 'example.com'] }, 'domains[1]', /claimed by provider "rt-oidc"/);
    await bad({ ...base, domains: ['Example.COM'] }, 'domains[0]', /lower case/);
    await bad({ ...base, discoverableOnly: true }, 'discoverableOnly', /needs domains/);
    await bad({ ...base, issuer: 'not a url' }, 'issuer', /URL/i);
    await bad({ ...base, idTokenSignedResponseAlg: 'HS256' }, 'idTokenSignedResponseAlg', /not supported/);
    await bad({ ...base, claims: { groups: 'groups[' } }, 'claims.groups', /./);
    await bad({ ...base, organization: 'nowhere' }, 'organization', /unknown organization/);
    await bad({ ...base, type: 'ldap' }, 'type', /./);
    const samlBase = { id: 'rt-two', type: 'saml', entryPoint: 'https://idp.example.com/sso', idpIssuer: 'urn:x', issuer: 'urn:sp' };
    await bad({ ...samlBase, idpCert: '/etc/hostname' }, 'idpCert', /must be PEM here/);
    await bad({ ...samlBase, idpCert: [h.saml.certPem, '/etc/passwd'] }, 'idpCert[1]', /must be PEM here/);
    await bad({ ...base, extra: true }, 'body', /extra/);
    expect((await call('GET', '/providers/rt-two')).status).toBe(404);
    expect((await call('POST', '/providers', { ...base, id: OIDC_ID })).status).toBe(409);
    expect((await call('POST', '/providers', { ...base, id: RT })).status).toBe(409);
  });

  it('keeps config-file providers read-only except for the policy toggle', async () => {
    const shown = (await call('GET', `/providers/${OIDC_ID}`)).json<Record<string, unknown>>();
    expect(shown).toMatchObject({ source: 'config', clientSecret: { set: true } });
    expect(JSON.stringify(shown)).not.toContain('test-secret');
    expect((await call('PUT', `/providers/${OIDC_ID}`, shown)).status).toBe(409);
    expect((await call('DELETE', `/providers/${OIDC_ID}`)).status).toBe(409);
    expect((await call('PUT', `/providers/${OIDC_ID}/policy`, { firstLoginPolicy: 'pending_approval' })).status).toBe(200);
    expect((await call('GET', `/providers/${OIDC_ID}`)).json()).toMatchObject({ firstLoginPolicy: 'pending_approval', configuredFirstLoginPolicy: 'allow' });
    await call('PUT', `/providers/${OIDC_ID}/policy`, { firstLoginPolicy: 'allow' });
  });

  it('disables a provider: off the chooser and discovery, its logins answer 404, a login in flight is refused; enabled again, it serves', async () => {
    const inFlight = new Agent();
    const callback = await oidcCallbackThrough(inFlight, `${h.url}/auth/${RT}/login`, `${h.url}/auth/${RT}/callback`, 'carol');
    const off = await call('PUT', `/providers/${RT}/enabled`, { enabled: false });
    expect(off.status).toBe(200);
    expect(off.json()).toMatchObject({ id: RT, enabled: false });
    expect((await inFlight.get(callback)).status).toBe(404);
    expect((await new Agent().get(`${h.url}/auth/${RT}/login`)).status).toBe(404);
    expect((await new Agent().get(`${h.url}/`)).text).not.toContain(`/auth/${RT}/login`);
    const discovered = await new Agent().get(`${h.url}/auth/discover?email=${encodeURIComponent('carol@example.com')}`);
    expect(discovered.text).not.toContain(`/auth/${RT}/login`);
    expect((await call('PUT', `/providers/${OIDC_ID}/enabled`, { enabled: false })).status).toBe(409);
    expect((await call('PUT', `/providers/${RT}/enabled`, { enabled: 'no' })).status).toBe(400);
    expect(await h.gateway.knex('gh_audit').where({ action: 'provider.disable', provider: RT })).toHaveLength(1);

    expect((await call('PUT', `/providers/${RT}/enabled`, { enabled: true })).json()).toMatchObject({ enabled: true });
    expect((await login(new Agent(), 'carol')).status).toBe(302);
    expect((await new Agent().get(`${h.url}/`)).text).toContain(`/auth/${RT}/login`);
  });

  it('a login in flight when its provider is edited completes; when it is deleted, it is refused cleanly (404)', async () => {
    const edited = new Agent();
    const editedCallback = await oidcCallbackThrough(edited, `${h.url}/auth/${RT}/login`, `${h.url}/auth/${RT}/callback`, 'carol');
    const shown = (await call('GET', `/providers/${RT}`)).json<Record<string, unknown>>();
    expect((await call('PUT', `/providers/${RT}`, { ...shown, displayName: 'Edited mid-login' })).status).toBe(200);
    expect((await edited.get(editedCallback)).status).toBe(302);

    const deleted = new Agent();
    const deletedCallback = await oidcCallbackThrough(deleted, `${h.url}/auth/${RT}/login`, `${h.url}/auth/${RT}/callback`, 'carol');
    expect((await call('DELETE', `/providers/${RT}`)).status).toBe(204);
    expect((await deleted.get(deletedCallback)).status).toBe(404);
    expect(logs.lines.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('deletes a provider: its logins are refused at once, and the deletion is audited', async () => {
    expect((await new Agent().get(`${h.url}/auth/${RT}/login`)).status).toBe(404);
    expect((await call('GET', `/providers/${RT}`)).status).toBe(404);
    expect((await call('DELETE', `/providers/${RT}`)).status).toBe(404);
    expect(await h.gateway.knex('gh_audit').where({ action: 'provider.delete', provider: RT })).toHaveLength(1);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await new Agent().get(`${h.url}/admin/api/openapi.json`)).json<{ paths: Record<string, Record<string, unknown>> }>();
    expect(Object.keys(doc.paths['/providers'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/providers/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
    expect(Object.keys(doc.paths['/providers/{id}/enabled'] ?? {})).toEqual(['put']);
  });
});
