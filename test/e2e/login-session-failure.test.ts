/**
 * A login whose transaction commits while Redis (the session store) goes away: the test cuts a
 * TCP proxy in front of Redis from a login hook, inside the login's transaction, so the commit
 * succeeds and the session write right after it fails. The answer, the audit trail and the
 * webhook outbox must tell the same story as docs/login-flow.md and docs/webhooks.md.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoginHook } from '../../plugin/context.ts';
import { Agent } from '../support/agent.ts';
import { OIDC_ID, startHarness, type Harness } from '../support/harness.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const REDIS = { host: '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };
const HANG_GUARD_MS = 20_000;

describe('session write failing after the login committed (Redis sessions)', () => {
  let proxy: TcpProxy;
  let h: Harness;
  let cutRedisInNextLogin = false;
  const cutter: LoginHook = async () => {
    if (!cutRedisInNextLogin) return;
    cutRedisInNextLogin = false;
    await proxy.stop();
  };

  beforeAll(async () => {
    proxy = await startTcpProxy(REDIS);
    h = await startHarness({
      db: 'sqlite',
      config: (c) => ({
        ...c,
        sessions: { store: 'redis', url: `redis://127.0.0.1:${proxy.port}` },
        webhooks: [{ url: 'http://127.0.0.1:9/hook', secret: `whsec_${Buffer.from('session-failure-test-secret-32by').toString('base64')}`, trigger: 'every_login', allowPrivateNetwork: true }],
        // The outbox is what this test reads; nothing is sent.
        webhookDelivery: { dispatch: false },
      }),
      gateway: { extra: { loginHooks: [cutter] } },
    });
  });
  afterAll(async () => {
    await proxy?.start();
    await h?.close();
    await proxy?.close();
  });

  it('answers 503 with Retry-After, and the audit trail ends with session_failed after the committed row', async () => {
    cutRedisInNextLogin = true;
    const browser = new Agent({ timeoutMs: HANG_GUARD_MS });
    const res = await h.loginOidc(browser, 'dave');
    expect(cutRedisInNextLogin).toBe(false);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.json()).toMatchObject({ error: 'ERR_UNAVAILABLE' });

    const user = await h.gateway.knex('gh_users').where({ email: 'dave@other.test' }).first();
    expect(user).toBeDefined();
    const rows = await h.gateway.knex('gh_audit').where({ action: 'login', provider: OIDC_ID, user_id: user.id }).orderBy('id', 'asc');
    // The provisioning row (committed with the user) and, after it, the row saying the sign-in
    // never reached the browser.
    expect(rows.map((r: { outcome: string }) => r.outcome)).toEqual(['created', 'session_failed']);
    const last = rows[1] as { reason: string; details: string; subject: string };
    expect(last.subject).toBe(rows[0].subject);
    expect(last.reason).toMatch(/session could not be written/);
    expect(JSON.parse(last.details)).toMatchObject({ code: 'ERR_UNAVAILABLE', reason: 'session_write_failed', provisioned: 'created', dependency: 'redis' });

    // The webhook event is a statement about the committed provisioning: it stays in the outbox.
    const events = await h.gateway.knex('gh_webhook_events').where({ user_id: user.id, type: 'every_login' });
    expect(events).toHaveLength(1);

    // Once Redis is back, the browser has no session (nothing claims it signed in).
    await proxy.start();
    const deadline = Date.now() + 30_000;
    while ((await new Agent().get(`${h.url}/healthz`)).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await h.me(browser)).status).toBe(401);

    const metrics = (await new Agent().get(`${h.url}/metrics`)).text;
    expect(metrics).toMatch(/gatehouse_logins_total\{[^}]*outcome="session_failed"[^}]*\} 1/);
  });

  it('the documentation promises exactly this outcome and what the login webhook means', () => {
    const flow = readFileSync(new URL('../../docs/login-flow.md', import.meta.url), 'utf8');
    expect(flow).toMatch(/\| [^|]*session[^|]*\| 503[^|]*\| `session_failed` \|/);
    const hooks = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
    expect(hooks).toContain('session_failed');
  });
});
