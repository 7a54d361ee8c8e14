/**
 * Brute-force limits on the unauthenticated surfaces (docs/security.md): login starts, failed SCIM
 * and admin bearer tokens, per client IP (behind a trusted proxy: X-Forwarded-For), answered with
 * 429 and Retry-After, and shared by every instance through Redis. Also: one browser's login
 * starts leave a bounded number of pending SAML request rows, and a Redis that is down never
 * blocks a request (fail open, with a warning).
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../adapters/gateway/server.ts';
import { parseConfig } from '../../plugin/config/parse.ts';
import { createLogger } from '../../plugin/logger.ts';
import { mintToken } from '../../plugin/tokens.ts';
import { Agent } from '../support/agent.ts';
import { OIDC_ID, SAML_ID, startHarness, type Harness } from '../support/harness.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A client address of its own per test (Redis counters outlive a run; never share one). */
const someIp = () => `10.${[...randomBytes(3)].join('.')}`;
const from = (ip: string, extra: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, ...extra });

function expect429(res: { status: number; headers: Headers }): void {
  expect(res.status).toBe(429);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
}

describe('rate limits shared by two instances through Redis', () => {
  let a: Harness;
  let b: Gateway;
  let scimToken: string;
  let adminToken: string;

  beforeAll(async () => {
    a = await startHarness({
      db: 'pg',
      config: (c) => ({
        ...c,
        server: { ...c.server!, trustProxy: true },
        sessions: { store: 'redis', url: REDIS_URL },
        scim: { enabled: true },
        rateLimits: {
          loginStart: { points: 4, windowSeconds: 60 },
          scimTokenFailures: { points: 3, windowSeconds: 60 },
          adminTokenFailures: { points: 3, windowSeconds: 60 },
        },
      }),
    });
    const shared = a.gateway.gatehouse.context.config;
    b = await startGateway(parseConfig({ ...shared, server: { ...shared.server, port: 0, baseUrl: a.url } }), { logger: createLogger('silent') });
    scimToken = (await mintToken(a.gateway.store, { kind: 'scim', name: 'rl-idp', actor: 'test' })).token;
    adminToken = (await mintToken(a.gateway.store, { kind: 'admin', name: 'rl-admin', actor: 'test' })).token;
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const get = (base: string, path: string, headers: Record<string, string>) => fetch(`${base}${path}`, { headers, redirect: 'manual' });

  it('login starts: a client hitting A then B is limited across both; other clients are not', async () => {
    const ip = someIp();
    for (const base of [a.url, b.url, a.url, b.url]) expect((await get(base, `/auth/${SAML_ID}/login`, from(ip))).status).toBe(302);
    expect429(await get(a.url, `/auth/${SAML_ID}/login`, from(ip)));
    expect429(await get(b.url, `/auth/${SAML_ID}/login`, from(ip)));
    expect((await get(b.url, `/auth/${SAML_ID}/login`, from(someIp()))).status).toBe(302);
  });

  it('SCIM: failed tokens count across instances, then even a valid token from that client waits', async () => {
    const ip = someIp();
    const bad = { authorization: 'Bearer gatehouse_scim_guess' };
    for (const base of [a.url, b.url, a.url]) expect((await get(base, '/scim/v2/Users', from(ip, bad))).status).toBe(401);
    const blocked = await get(b.url, '/scim/v2/Users', from(ip, { authorization: `Bearer ${scimToken}` }));
    expect429(blocked);
    expect(blocked.headers.get('content-type')).toMatch(/scim\+json/);
    // The IdP, from its own address, is not affected.
    expect((await get(a.url, '/scim/v2/Users', from(someIp(), { authorization: `Bearer ${scimToken}` }))).status).toBe(200);
  });

  it("SCIM: an IdP's successful requests are never counted", async () => {
    const ip = someIp();
    for (let i = 0; i < 8; i++) {
      const base = i % 2 === 0 ? a.url : b.url;
      expect((await get(base, '/scim/v2/Users', from(ip, { authorization: `Bearer ${scimToken}` }))).status).toBe(200);
    }
    expect((await get(a.url, '/scim/v2/Users', from(ip, { authorization: 'Bearer wrong' }))).status).toBe(401);
  });

  it('admin API: failed tokens count across instances; successful ones do not', async () => {
    const ip = someIp();
    const good = { authorization: `Bearer ${adminToken}` };
    for (let i = 0; i < 6; i++) expect((await get(i % 2 ? a.url : b.url, '/admin/api/users', from(ip, good))).status).toBe(200);
    for (const base of [b.url, a.url, b.url]) {
      expect((await get(base, '/admin/api/users', from(ip, { authorization: 'Bearer gatehouse_admin_guess' }))).status).toBe(401);
    }
    expect429(await get(a.url, '/admin/api/users', from(ip, good)));
    expect((await get(b.url, '/admin/api/users', from(someIp(), good))).status).toBe(200);
  });
});

describe('rate limits on one instance without Redis', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ db: 'sqlite', config: (c) => ({ ...c, server: { ...c.server!, trustProxy: true } }) });
  });
  afterAll(() => h?.close());

  it('N login starts from one browser leave a bounded number of pending SAML request rows', async () => {
    const browser = new Agent();
    const ip = someIp();
    for (let i = 0; i < 25; i++) expect((await browser.get(`${h.url}/auth/${SAML_ID}/login`, from(ip))).status).toBe(302);
    const row = await h.gateway.knex('gh_saml_requests').count({ n: '*' }).first();
    expect(Number(row?.n)).toBeLessThanOrEqual(10);
    expect(Number(row?.n)).toBeGreaterThan(0);
  });

  it('refused IdP logout messages spend a budget of their own; past it, 429 and no more audit rows', async () => {
    const ip = someIp();
    const post = (path: string, body: Record<string, string>) =>
      fetch(`${h.url}${path}`, { method: 'POST', headers: from(ip, { 'content-type': 'application/x-www-form-urlencoded' }), body: new URLSearchParams(body) });
    const refused = async () => (await h.gateway.knex('gh_audit').where({ action: 'logout.backchannel', outcome: 'refused' }).count({ n: '*' }).first())?.n;
    const before = Number(await refused());
    for (let i = 0; i < 30; i++) expect((await post(`/auth/${OIDC_ID}/backchannel-logout`, { logout_token: 'forged' })).status).toBe(400);
    expect(Number(await refused())).toBe(before + 30);
    const over = await post(`/auth/${OIDC_ID}/backchannel-logout`, { logout_token: 'forged' });
    expect429(over);
    expect(await over.json()).toMatchObject({ error: 'slow_down' });
    expect(Number(await refused())).toBe(before + 30);
    // Another client is not affected.
    expect((await fetch(`${h.url}/auth/${OIDC_ID}/backchannel-logout`, { method: 'POST', headers: from(someIp(), { 'content-type': 'application/x-www-form-urlencoded' }), body: 'logout_token=x' })).status).toBe(400);
  });

  it('the default login-start limit answers 429 with Retry-After in memory', async () => {
    const ip = someIp();
    let last: Response | undefined;
    for (let i = 0; i < 200 && last?.status !== 429; i++) last = await fetch(`${h.url}/auth/${SAML_ID}/login`, { headers: from(ip), redirect: 'manual' });
    expect429(last!);
  });
});

describe('Redis configured for the limiter but down', () => {
  let h: Harness;
  let gw: Gateway;
  const lines: string[] = [];
  beforeAll(async () => {
    h = await startHarness({ db: 'sqlite' });
    const config = h.gateway.gatehouse.context.config;
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }));
    // Nothing listens on port 1: every Redis call fails.
    const down = { store: 'redis' as const, redisUrl: 'redis://127.0.0.1:1', redisTimeoutMs: 200 };
    gw = await startGateway(parseConfig({ ...config, server: { ...config.server, port: 0 }, rateLimits: down }), { logger });
  });
  afterAll(async () => {
    await gw?.close();
    await h?.close();
  });

  it('fails open: login starts, SCIM and admin requests are answered, and a warning is logged', async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${gw.url}/auth/${SAML_ID}/login`, { redirect: 'manual' })).status).toBe(302);
    expect((await fetch(`${gw.url}/admin/api/users`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect(lines.join('')).toMatch(/rate limiter.*(unavailable|failed open)/i);
  });
});
