/**
 * Webhook endpoints attached to identity providers (Rafay's webhook configured on the identity
 * provider): an attached endpoint's login trigger fires for logins through those providers only;
 * an endpoint attached to none fires for every provider, as before. The attachment is checked at
 * save: an unknown provider is a 400 naming the entry (API) or a config error with its key path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../plugin/config/parse.ts';
import { resolveConfigEndpoints } from '../../../plugin/webhooks/endpoints.ts';
import { mintToken } from '../../../plugin/tokens.ts';
import { Agent } from '../../support/agent.ts';
import { DB_KINDS } from '../../support/db.ts';
import { OIDC_ID, SAML_ID, startHarness, type Harness } from '../../support/harness.ts';
import { eventually, startReceiver, webhookSecret, type Receiver } from './support.ts';

describe.each(DB_KINDS)('webhooks attached to a provider on %s', (kind) => {
  let h: Harness;
  let attached: Receiver;
  let everyone: Receiver;
  let token: string;
  const secret = webhookSecret();

  beforeAll(async () => {
    attached = await startReceiver({ secrets: [secret], path: '/attached' });
    everyone = await startReceiver({ secrets: [secret], path: '/everyone' });
    h = await startHarness({
      db: kind,
      config: (c) => ({
        ...c,
        webhooks: [
          { id: 'oidc-only', url: attached.url, secret, trigger: 'every_login', providers: [OIDC_ID], allowPrivateNetwork: true },
          { id: 'all', url: everyone.url, secret, trigger: 'every_login', allowPrivateNetwork: true },
        ],
        webhookDelivery: { pollIntervalMs: 50 },
        provisioning: { ...c.provisioning, instanceAdmins: ['carol@example.com'] },
      }),
    });
    token = (await mintToken(h.gateway.store, { kind: 'admin', name: 'hooks', actor: 'test' })).token;
  });
  afterAll(async () => {
    await h?.close();
    await attached?.close();
    await everyone?.close();
  });

  const api = (method: string, path: string, json?: unknown) =>
    new Agent().request(`${h.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${token}` }, ...(json === undefined ? {} : { json }) });
  const providerOf = (r: { verified: unknown }) => (r.verified as { data: { provider: string } }).data.provider;

  it('an attached endpoint hears logins through its provider only; an unattached one hears them all', async () => {
    await h.loginSaml(new Agent(), 'alice');
    await h.loginOidc(new Agent(), 'bob');
    const all = await everyone.waitFor(2);
    expect(all.map(providerOf).sort()).toEqual([OIDC_ID, SAML_ID].sort());
    const mine = await attached.waitFor(1);
    expect(mine.map(providerOf)).toEqual([OIDC_ID]);
    // Give a stray SAML delivery time to show up: none does.
    await eventually(async () => (await h.gateway.knex('gh_webhook_events').where({ endpoint_id: 'all', status: 'delivered' })).length === 2);
    expect(await h.gateway.knex('gh_webhook_events').where({ endpoint_id: 'oidc-only' })).toHaveLength(1);
  });

  it('attaches through the admin API, refusing an unknown provider with the entry named', async () => {
    const bad = await api('POST', '/webhooks', { url: 'https://hooks.example.com/x', trigger: 'every_login', providers: [SAML_ID, 'nope'] });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'providers[1]' });
    const ok = await api('POST', '/webhooks', { url: 'https://hooks.example.com/x', trigger: 'every_login', providers: [SAML_ID] });
    expect(ok.status).toBe(201);
    const id = ok.json<{ id: string; providers: string[] }>().id;
    expect((await api('GET', `/webhooks/${id}`)).json()).toMatchObject({ providers: [SAML_ID] });
    expect((await api('PATCH', `/webhooks/${id}`, { providers: [] })).json()).toMatchObject({ providers: [] });
    expect((await api('PATCH', `/webhooks/${id}`, { providers: ['ghost'] })).status).toBe(400);
  });

  it("the provider's console page lists its endpoints and links to a new one preset for it", async () => {
    const admin = new Agent();
    await h.loginOidc(admin, 'carol');
    const page = await admin.get(`${h.url}/admin/providers/${OIDC_ID}`, { accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.text).toContain('href="/admin/webhooks/oidc-only"');
    expect(page.text).not.toContain('href="/admin/webhooks/all"');
    expect(page.text).toContain(`href="/admin/webhooks?provider=${OIDC_ID}#new-endpoint"`);
    const form = await admin.get(`${h.url}/admin/webhooks?provider=${OIDC_ID}`, { accept: 'text/html' });
    expect(form.text).toContain(`name="providers" value="${OIDC_ID}" checked`);
    expect(form.text).toContain(`name="providers" value="${SAML_ID}">`);
  });
});

describe('webhooks attached to a provider in the config file', () => {
  it('refuses a provider the file does not define, naming the key', () => {
    const config = parseConfig({
      server: { sessionSecret: 'x'.repeat(32) },
      providers: [{ id: 'corp', type: 'oidc', issuer: 'https://idp.example.com', clientId: 'c' }],
    });
    expect(() => resolveConfigEndpoints([{ url: 'https://h.example.com', secret: webhookSecret(), trigger: 'every_login', providers: ['corp', 'other'] }] as never, config.providers.map((p) => p.id))).toThrow(
      'webhooks[0].providers[1]: no provider "other" in the config file (providers: corp)',
    );
  });
});
