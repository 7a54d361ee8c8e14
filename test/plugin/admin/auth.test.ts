/**
 * Who may call /admin/api: instance-admin sessions and admin tokens; everyone else 401/403.
 * Session requests that change state must be JSON (CSRF); bearer requests are exempt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../plugin/tokens.ts';
import { DB_KINDS } from '../../support/db.ts';
import { Agent, startTestGateway, type TestGateway } from '../webhooks/support.ts';

describe.each(DB_KINDS)('admin API authorization on %s', (kind) => {
  let t: TestGateway;
  let admin: Agent;
  let plain: Agent;
  let adminId: string;
  let token: string;
  const api = (path: string) => `${t.url}/admin/api${path}`;
  const bearer = (tok: string) => ({ authorization: `Bearer ${tok}` });

  beforeAll(async () => {
    t = await startTestGateway(kind);
    t.users.set('root', { sub: 'root', email: 'root@example.com', email_verified: true });
    t.users.set('pat', { sub: 'pat', email: 'pat@example.com', email_verified: true });
    admin = new Agent();
    plain = new Agent();
    await t.login(admin, 'root');
    await t.login(plain, 'pat');
    const root = await t.gw.store.findUserByEmail('root@example.com');
    adminId = root!.id;
    await t.gw.store.updateUser(adminId, { instanceAdmin: true });
    token = (await mintToken(t.gw.store, { kind: 'admin', name: 'automation', actor: 'test' })).token;
  });
  afterAll(() => t.close());

  it('answers 401 without credentials, with a Bearer challenge', async () => {
    const res = await new Agent().get(api('/users'));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.json()).toMatchObject({ error: 'ERR_UNAUTHENTICATED' });
  });

  it('answers 403 to a signed-in user who is not an instance admin', async () => {
    const res = await plain.get(api('/users'));
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ error: 'ERR_FORBIDDEN' });
  });

  it("lets an instance admin's session in", async () => {
    const res = await admin.get(api('/users'));
    expect(res.status).toBe(200);
    expect(res.json<{ users: unknown[] }>().users.length).toBeGreaterThanOrEqual(2);
  });

  it('lets an admin token in, and refuses unknown, malformed and SCIM tokens with 401', async () => {
    expect((await new Agent().get(api('/users'), bearer(token))).status).toBe(200);
    expect((await new Agent().get(api('/users'), bearer('gha_nope'))).status).toBe(401);
    expect((await new Agent().get(api('/users'), { authorization: 'Basic abc' })).status).toBe(401);
    const scim = (await mintToken(t.gw.store, { kind: 'scim', name: 'okta', actor: 'test' })).token;
    expect((await new Agent().get(api('/users'), bearer(scim))).status).toBe(401);
  });

  it('answers 401 to a revoked admin token', async () => {
    const minted = await mintToken(t.gw.store, { kind: 'admin', name: 'short-lived', actor: 'test' });
    expect((await new Agent().get(api('/users'), bearer(minted.token))).status).toBe(200);
    const del = await new Agent().request(api(`/admin-tokens/${minted.id}`), { method: 'DELETE', headers: bearer(token) });
    expect(del.status).toBe(204);
    const res = await new Agent().get(api('/users'), bearer(minted.token));
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ error: 'ERR_UNAUTHENTICATED', message: expect.stringMatching(/revoked/) });
  });

  it('refuses a form post from an admin session (CSRF) and accepts the same change as JSON', async () => {
    const form = await admin.postForm(api('/allowlist'), { entry: 'csrf@example.com' });
    expect(form.status).toBe(403);
    expect(form.json<{ message: string }>().message).toMatch(/application\/json/);
    expect((await t.gw.store.listAllowlist()).map((e) => e.entry)).not.toContain('csrf@example.com');
    const ok = await admin.request(api('/allowlist'), { json: { entry: 'csrf@example.com' } });
    expect(ok.status).toBe(201);
    const id = ok.json<{ id: string }>().id;
    // A body-less DELETE from a session needs X-Requested-With.
    expect((await admin.request(api(`/allowlist/${id}`), { method: 'DELETE' })).status).toBe(403);
    expect((await admin.request(api(`/allowlist/${id}`), { method: 'DELETE', headers: { 'x-requested-with': 'fetch' } })).status).toBe(204);
  });

  it('exempts bearer requests from the CSRF rule', async () => {
    const res = await new Agent().request(api('/allowlist/does-not-exist'), { method: 'DELETE', headers: bearer(token) });
    expect(res.status).toBe(404);
  });

  it('records the actor of every change: user:<id> for sessions, admin-token:<name> for tokens', async () => {
    await admin.request(api('/allowlist'), { json: { entry: 'by-session@example.com' } });
    await new Agent().request(api('/allowlist'), { json: { entry: 'by-token@example.com' }, headers: bearer(token) });
    const audit = await t.gw.store.listAudit({ action: 'allowlist.add' });
    const byEntry = Object.fromEntries(audit.entries.map((e) => [e.details?.entry, e.actor]));
    expect(byEntry['by-session@example.com']).toBe(`user:${adminId}`);
    expect(byEntry['by-token@example.com']).toBe('admin-token:automation');
  });

  it('answers 401 to unknown admin routes without credentials and 404 with them', async () => {
    expect((await new Agent().get(api('/nope'))).status).toBe(401);
    const res = await new Agent().get(api('/nope'), bearer(token));
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ error: 'ERR_NOT_FOUND' });
  });

  it('serves the OpenAPI 3.1 document without credentials, covering every contract route', async () => {
    const res = await new Agent().get(api('/openapi.json'));
    expect(res.status).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
    expect(ops).toEqual(
      expect.arrayContaining([
        'GET /users',
        'POST /users',
        'GET /users/{id}',
        'POST /users/{id}/approve',
        'POST /users/{id}/reject',
        'POST /users/{id}/deactivate',
        'POST /users/{id}/reactivate',
        'DELETE /users/{id}',
        'POST /users/{id}/overrides',
        'DELETE /users/{id}/overrides/{overrideId}',
        'GET /scim-tokens',
        'POST /scim-tokens',
        'DELETE /scim-tokens/{id}',
        'GET /webhooks',
        'POST /webhooks',
        'GET /webhooks/{id}/example',
        'GET /webhooks/{id}/deliveries',
        'POST /webhooks/{id}/deliveries/{deliveryId}/redeliver',
        'PUT /providers/{id}/policy',
        'GET /providers',
        'POST /providers',
        'GET /providers/{id}',
        'PUT /providers/{id}',
        'DELETE /providers/{id}',
        'GET /organizations',
        'POST /organizations',
        'GET /organizations/{id}',
        'PUT /organizations/{id}',
        'DELETE /organizations/{id}',
        'GET /provisioning',
        'PUT /provisioning',
        'GET /allowlist',
        'POST /allowlist',
        'DELETE /allowlist/{id}',
        'GET /audit',
        'POST /explain',
        'GET /openapi.json',
      ]),
    );
    const overrides = doc.paths['/users/{id}/overrides']?.post as { requestBody: { content: { 'application/json': { schema: { properties: object } } } } };
    expect(Object.keys(overrides.requestBody.content['application/json'].schema.properties)).toEqual(['organization', 'role', 'group']);
  });
});
