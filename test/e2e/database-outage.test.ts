/**
 * PostgreSQL reached through a TCP proxy the test stops (killing its open connections): every
 * entry point answers 503 with Retry-After at once (SCIM in the SCIM error shape), /healthz names
 * the database, and everything works again once the proxy is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../plugin/tokens.ts';
import { Agent, type AgentResponse } from '../support/agent.ts';
import { PG_CONNECTION } from '../support/db.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { captureLogs, type CapturedLogs } from '../support/log-capture.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

/** A hang guard, not a speed check: without it a hanging request would stall the suite. */
const HANG_GUARD_MS = 20_000;

function expectUnavailable(res: AgentResponse): void {
  expect(res.status).toBe(503);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('database outage (PostgreSQL behind a proxy)', () => {
  let proxy: TcpProxy;
  let h: Harness;
  let logs: CapturedLogs;
  let scimToken: string;
  let adminToken: string;

  beforeAll(async () => {
    proxy = await startTcpProxy({ host: PG_CONNECTION.host, port: PG_CONNECTION.port });
    logs = captureLogs('info');
    h = await startHarness({
      db: 'pg',
      config: (c) => ({
        ...c,
        database: { ...(c.database as Record<string, unknown>), connection: { ...PG_CONNECTION, port: proxy.port } },
        scim: { enabled: true },
      }),
      gateway: { logger: logs.logger },
    });
    scimToken = (await mintToken(h.gateway.store, { kind: 'scim', name: 'outage-test', actor: 'test' })).token;
    adminToken = (await mintToken(h.gateway.store, { kind: 'admin', name: 'outage-test', actor: 'test' })).token;
  });
  afterAll(async () => {
    await proxy?.start();
    await h?.close();
    await proxy?.close();
  });

  const scimUsers = (agent: Agent) => agent.get(`${h.url}/scim/v2/Users`, { authorization: `Bearer ${scimToken}` });
  const adminUsers = (agent: Agent) => agent.get(`${h.url}/admin/api/users`, { authorization: `Bearer ${adminToken}`, accept: 'application/json' });

  it('answers 503 + Retry-After everywhere while the database is down, and recovers when it is back', async () => {
    const alice = new Agent({ timeoutMs: HANG_GUARD_MS });
    expect((await h.loginOidc(alice, 'alice')).status).toBe(302);
    const http = new Agent({ timeoutMs: HANG_GUARD_MS });
    expect((await scimUsers(http)).status).toBe(200);
    expect((await adminUsers(http)).status).toBe(200);

    await proxy.stop();

    const scim = await scimUsers(http);
    expectUnavailable(scim);
    expect(scim.headers.get('content-type')).toContain('application/scim+json');
    expect(scim.json()).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '503',
      detail: expect.stringMatching(/temporarily unavailable/),
    });

    const login = await h.loginOidc(new Agent({ timeoutMs: HANG_GUARD_MS }), 'bob');
    expectUnavailable(login);
    expect(login.json()).toMatchObject({ error: 'ERR_UNAVAILABLE' });

    const admin = await adminUsers(http);
    expectUnavailable(admin);
    expect(admin.json()).toMatchObject({ error: 'ERR_UNAVAILABLE' });

    // Sessions live in the database here: a signed-in browser gets a 503 page, not a 500.
    const page = await alice.get(`${h.url}/auth/me`, { accept: 'text/html' });
    expectUnavailable(page);

    const health = await http.get(`${h.url}/healthz`);
    expectUnavailable(health);
    expect(health.json()).toEqual({ status: 'unavailable', checks: { database: 'down' } });
    expect(logs.find('dependency unavailable', { dependency: 'database' })).toHaveLength(1);
    expect(logs.find('request failed')).toHaveLength(0);

    await proxy.start();
    const deadline = Date.now() + 30_000;
    while ((await http.get(`${h.url}/healthz`)).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await http.get(`${h.url}/healthz`)).json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
    expect(logs.find('dependency available again', { dependency: 'database' })).toHaveLength(1);
    expect((await scimUsers(http)).status).toBe(200);
    expect((await adminUsers(http)).status).toBe(200);
    expect((await h.me(alice)).status).toBe(200);
    expect((await h.loginOidc(new Agent({ timeoutMs: HANG_GUARD_MS }), 'bob')).status).toBe(302);
  });
});
