/**
 * "Test connection" through the admin API against the real loopback IdPs of the harness: OIDC
 * discovery checked (issuer match, algorithm), SAML metadata read (entity ID, SSO URL, signing
 * certificate with its expiry), the copy-ready SP values; loopback refused unless allowed.
 * No SQL of its own: SQLite only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../plugin/tokens.ts';
import { Agent, type AgentResponse } from '../../support/agent.ts';
import { OIDC_ID, SAML_ID, startHarness, type Harness } from '../../support/harness.ts';

interface Report {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
  found: Record<string, unknown>;
  sp: Record<string, string>;
}

describe('provider test connection', () => {
  let h: Harness;
  let token: string;
  const call = (method: string, path: string, json?: unknown): Promise<AgentResponse> =>
    new Agent().request(`${h.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${token}` }, ...(json === undefined ? {} : { json }) });
  const failed = (r: Report) => r.checks.filter((c) => !c.ok).map((c) => c.name);

  beforeAll(async () => {
    h = await startHarness({ db: 'sqlite' });
    token = (await mintToken(h.gateway.store, { kind: 'admin', name: 'probe-test', actor: 'test' })).token;
  });
  afterAll(() => h?.close());

  it('OIDC: discovery fetched and checked, the redirect URI to register', async () => {
    const res = await call('POST', `/providers/${OIDC_ID}/test`, { allowPrivateNetwork: true });
    expect(res.status, res.text).toBe(200);
    const r = res.json<Report>();
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => c.name)).toEqual(['discovery', 'issuer', 'algorithm', 'endpoints', 'pkce']);
    expect(r.found).toMatchObject({ issuer: h.oidc.issuer, algorithms: expect.arrayContaining(['RS256']) });
    expect(r.sp).toEqual({ redirectUri: `${h.url}/auth/${OIDC_ID}/callback` });
  });

  it('OIDC: a body not yet saved, with a wrong issuer and an algorithm the IdP does not offer', async () => {
    const provider = { id: 'draft', type: 'oidc', issuer: `${h.oidc.issuer}/`, clientId: 'x', clientSecret: 'never-echoed-secret', idTokenSignedResponseAlg: 'ES512' };
    const res = await call('POST', '/providers/test', { provider, allowPrivateNetwork: true });
    const r = res.json<Report>();
    expect(r.ok).toBe(false);
    expect(failed(r)).toEqual(['issuer', 'algorithm']);
    expect(res.text).not.toContain('never-echoed-secret');
    expect((await call('GET', '/providers/draft')).status).toBe(404);
  });

  it('SAML: metadata read and matched, certificates with their expiry, the SP values', async () => {
    const res = await call('POST', `/providers/${SAML_ID}/test`, { metadataUrl: h.saml.metadataUrl, allowPrivateNetwork: true });
    const r = res.json<Report>();
    expect(failed(r)).toEqual([]);
    expect(r.found).toMatchObject({ entityId: 'urn:test:saml-idp', ssoUrl: h.saml.entryPoint, signingCertificates: [{ expired: false, notAfter: expect.any(String) }] });
    expect(r.sp).toEqual({ acsUrl: `${h.url}/auth/${SAML_ID}/callback`, spEntityId: 'urn:gatehouse:test-sp', spMetadataUrl: `${h.url}/auth/${SAML_ID}/metadata` });
  });

  it('refuses loopback targets unless allowed, as webhooks do; bad input is a 400', async () => {
    const r = (await call('POST', `/providers/${OIDC_ID}/test`)).json<Report>();
    expect(r.ok).toBe(false);
    expect(r.checks[0]).toMatchObject({ name: 'discovery', ok: false, detail: expect.stringMatching(/refused.*loopback/) });
    const saml = (await call('POST', `/providers/${SAML_ID}/test`, { metadataUrl: h.saml.metadataUrl })).json<Report>();
    expect(saml.checks.find((c) => c.name === 'metadata')).toMatchObject({ ok: false, detail: expect.stringMatching(/refused/) });
    expect((await call('POST', '/providers/nobody/test', {})).status).toBe(404);
    expect((await call('POST', '/providers/test', { provider: { id: 'x', type: 'oidc' } })).json()).toMatchObject({ error: 'ERR_VALIDATION', field: 'provider.issuer' });
    expect((await call('POST', `/providers/${SAML_ID}/test`, { metadataXml: '<x/>', allowPrivateNetwork: true })).json<Report>().checks.find((c) => c.name === 'metadata')).toMatchObject({ ok: false });
  });
});
