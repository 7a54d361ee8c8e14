/**
 * Redis sessions through a TCP proxy the test cuts: while Redis is unreachable, session requests
 * and login callbacks answer 503 with Retry-After at once (no offline queue to wait in),
 * /healthz names Redis as down, the outage and the recovery are logged once each, and the same
 * session cookie works again once Redis is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentResponse } from '../support/agent.ts';
import { SAML_ID, startHarness, type Harness } from '../support/harness.ts';
import { captureLogs, type CapturedLogs } from '../support/log-capture.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const REDIS = { host: '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };
/** A hang guard, not a speed check: without it a hanging request would stall the suite. */
const HANG_GUARD_MS = 20_000;

async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

function expectUnavailable(res: AgentResponse): void {
  expect(res.status).toBe(503);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('Redis outage with sessions.store: redis', () => {
  let proxy: TcpProxy;
  let h: Harness;
  let logs: CapturedLogs;

  beforeAll(async () => {
    proxy = await startTcpProxy(REDIS);
    logs = captureLogs('info');
    h = await startHarness({
      db: 'sqlite',
      config: (c) => ({ ...c, sessions: { store: 'redis', url: `redis://127.0.0.1:${proxy.port}` } }),
      gateway: { logger: logs.logger },
    });
  });
  afterAll(async () => {
    await proxy?.start();
    await h?.close();
    await proxy?.close();
  });

  it('answers 503 fast while Redis is down, reports it in /healthz, logs it once, and recovers by itself', async () => {
    const browser = new Agent({ timeoutMs: HANG_GUARD_MS });
    expect((await h.loginOidc(browser, 'alice')).status).toBe(302);
    expect((await h.me(browser)).status).toBe(200);
    const health = await new Agent().get(`${h.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });

    await proxy.stop();

    // A request carrying the session cookie: JSON and HTML callers both get a 503, not a hang.
    for (let i = 0; i < 3; i++) {
      const me = await h.me(browser);
      expectUnavailable(me);
      expect(me.json()).toMatchObject({ error: 'ERR_UNAVAILABLE' });
    }
    const page = await browser.get(`${h.url}/`, { accept: 'text/html' });
    expectUnavailable(page);
    expect(page.text).toContain('temporarily unavailable');

    // A login callback (the session write fails): 503 too.
    const login = await h.loginOidc(new Agent({ timeoutMs: HANG_GUARD_MS }), 'bob');
    expectUnavailable(login);

    // A SAML login start (its AuthnRequest ID goes to Redis): 503, not a 500.
    expectUnavailable(await new Agent({ timeoutMs: HANG_GUARD_MS }).get(`${h.url}/auth/${SAML_ID}/login`));

    const down = await new Agent({ timeoutMs: HANG_GUARD_MS }).get(`${h.url}/healthz`);
    expectUnavailable(down);
    expect(down.json()).toEqual({ status: 'unavailable', checks: { database: 'ok', redis: 'down' } });

    expect(logs.find('dependency unavailable', { dependency: 'redis' })).toHaveLength(1);

    await proxy.start();
    await until(async () => (await new Agent().get(`${h.url}/healthz`)).status === 200, 'Redis to be reported up again');
    // The session written before the outage is still valid: the same cookie works.
    const again = await h.me(browser);
    expect(again.status).toBe(200);
    expect(again.json()).toMatchObject({ user: { email: 'alice@example.com' } });
    expect(logs.find('dependency available again', { dependency: 'redis' })).toHaveLength(1);
    expect(logs.find('dependency unavailable', { dependency: 'redis' })).toHaveLength(1);
  });
});
