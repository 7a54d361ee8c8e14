/**
 * Two gateway instances on one PostgreSQL database (one public URL, as behind a load balancer):
 * a provider created through A's admin API serves logins on B within B's poll (5 s, the
 * default), without a restart; deleted through A, it is refused on A at once and on B within 5 s.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcIdp, type DemoOidcIdp } from '../../adapters/demo/oidc-idp.ts';
import { startGateway, type Gateway } from '../../adapters/gateway/server.ts';
import { parseConfig } from '../../plugin/config/parse.ts';
import { createLogger } from '../../plugin/logger.ts';
import { mintToken } from '../../plugin/tokens.ts';
import { Agent } from '../support/agent.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { IDP_PASSWORD, oidcCallbackThrough } from '../support/idp-login.ts';

const RT = 'shared-oidc';
const POLL_BUDGET_MS = 6_000;

async function within(ms: number, ok: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await ok())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - started;
}

describe('run-time providers on two instances (PostgreSQL)', () => {
  let a: Harness;
  let b: Gateway;
  let idp: DemoOidcIdp;
  let token: string;
  const startStatus = async (url: string) => (await new Agent().get(`${url}/auth/${RT}/login`)).status;

  beforeAll(async () => {
    const encryptionKey = randomBytes(32).toString('base64');
    a = await startHarness({ db: 'pg', config: (c) => ({ ...c, secrets: { encryptionKey } }) });
    const shared = a.gateway.gatehouse.context.config;
    b = await startGateway(parseConfig({ ...shared, server: { ...shared.server, port: 0, baseUrl: a.url } }), { logger: createLogger('silent') });
    idp = await startOidcIdp({
      clients: [{ clientId: 'shared', clientSecret: 'shared-secret', redirectUris: [`${a.url}/auth/${RT}/callback`] }],
      users: [{ username: 'erin', password: IDP_PASSWORD, email: 'erin@example.com', emailVerified: true, groups: ['chainloop_acme-corp_developers'] }],
      alwaysPromptLogin: true,
    });
    token = (await mintToken(a.gateway.store, { kind: 'admin', name: 'two-instances', actor: 'test' })).token;
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await idp?.close();
  });

  const admin = (method: string, path: string, json?: unknown) =>
    new Agent().request(`${a.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${token}` }, ...(json === undefined ? {} : { json }) });

  it('created on A: serves a whole login on B within 5 s', async () => {
    expect(await startStatus(b.url)).toBe(404);
    const created = await admin('POST', '/providers', { id: RT, type: 'oidc', issuer: idp.issuer, clientId: 'shared', clientSecret: 'shared-secret', scopes: ['openid', 'email', 'groups'] });
    expect(created.status, created.text).toBe(201);
    expect(await startStatus(a.url)).toBe(302);
    await within(POLL_BUDGET_MS, async () => (await startStatus(b.url)) === 302);

    const browser = new Agent();
    const callback = await oidcCallbackThrough(browser, `${b.url}/auth/${RT}/login`, `${a.url}/auth/${RT}/callback`, 'erin');
    const done = await browser.get(callback.replace(a.url, b.url));
    expect(done.status).toBe(302);
    const me = (await browser.get(`${b.url}/auth/me`, { accept: 'application/json' })).json<{ user: { email: string }; memberships: unknown[] }>();
    expect(me.user.email).toBe('erin@example.com');
    expect(me.memberships).toEqual([{ organization: 'acme-corp', roles: ['viewer'], groups: ['developers'] }]);
  });

  it('deleted on A: refused on A at once and on B within 5 s', async () => {
    expect((await admin('DELETE', `/providers/${RT}`)).status).toBe(204);
    expect(await startStatus(a.url)).toBe(404);
    await within(POLL_BUDGET_MS, async () => (await startStatus(b.url)) === 404);
  });
});
