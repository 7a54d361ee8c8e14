/**
 * Two gateway instances (different ports, one public base URL) sharing PostgreSQL and Redis:
 * what one starts the other finishes, and what one refuses or revokes holds on the other.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../adapters/gateway/server.ts';
import { parseConfig } from '../../plugin/config/parse.ts';
import { createLogger } from '../../plugin/logger.ts';
import { rejectUser } from '../../plugin/provisioning/approval.ts';
import { Agent } from '../support/agent.ts';
import { SAML_ID, startHarness, type Harness } from '../support/harness.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('two instances on PostgreSQL and Redis', () => {
  let a: Harness;
  let b: Gateway;
  let receiver: Server;
  const received: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      received.push(String(req.headers['webhook-id']));
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    a = await startHarness({
      db: 'pg',
      config: (c) => ({
        ...c,
        sessions: { store: 'redis', url: REDIS_URL },
        webhooks: [{ url: hook, secret: `whsec_${Buffer.from('two-instance-test-secret-32bytes').toString('base64')}`, trigger: 'every_login', allowPrivateNetwork: true }],
        // Both instances dispatch, polling often: only the lease keeps them from sending twice.
        webhookDelivery: { pollIntervalMs: 50, backoffBaseMs: 10 },
      }),
    });
    const shared = a.gateway.gatehouse.context.config;
    // Instance B listens elsewhere but is reached under the same public URL (a load balancer).
    b = await startGateway(parseConfig({ ...shared, server: { ...shared.server, port: 0, baseUrl: a.url } }), { logger: createLogger('silent') });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    receiver?.close();
  });

  const bUrl = (url: string) => url.replace(a.url, b.url);

  it('a SAML login started on A and posted to B succeeds, and the session is valid on both', async () => {
    const browser = new Agent();
    const { acs, fields } = await a.samlResponseFor(browser, 'alice');
    const onB = new Agent();
    // The same browser cookies, presented to B's port.
    for (const pair of browser.cookieHeader(a.url).split('; ')) {
      const [k, v] = pair.split('=');
      if (k && v) onB.setCookie(b.url, k, v);
    }
    const res = await onB.postForm(bUrl(acs), fields);
    expect(res.status).toBe(302);
    const meB = await onB.get(`${b.url}/auth/me`, { accept: 'application/json' });
    expect(meB.status).toBe(200);
    const onA = new Agent();
    onA.setCookie(a.url, 'gatehouse.sid', onB.cookieHeader(b.url).match(/gatehouse\.sid=([^;]+)/)![1]!);
    expect((await a.me(onA)).json()).toEqual(meB.json());

    // The same response replayed on the other instance is refused.
    const replay = await new Agent().postForm(acs, fields);
    expect(replay.status).toBe(401);
    const audit = await a.gateway.knex('gh_audit').where({ action: 'login', provider: SAML_ID }).orderBy('id', 'desc').first();
    expect(JSON.parse(audit.details)).toMatchObject({ reason: 'assertion_replayed' });
  });

  it('deprovisioning through A ends the session on B at once (Redis keys gone)', async () => {
    const browser = new Agent();
    await a.loginSaml(browser, 'carol');
    const sid = browser.cookieHeader(a.url).match(/gatehouse\.sid=([^;]+)/)![1]!;
    const onB = new Agent();
    onB.setCookie(b.url, 'gatehouse.sid', sid);
    const me = await onB.get(`${b.url}/auth/me`, { accept: 'application/json' });
    expect(me.status).toBe(200);
    const userId = me.json<{ user: { id: string } }>().user.id;

    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    try {
      const rawSid = decodeURIComponent(sid).replace(/^s:/, '').split('.')[0]!;
      expect(await redis.exists(`gatehouse:sess:${rawSid}`)).toBe(1);
      await rejectUser(a.gateway.gatehouse.context, userId, 'test');
      expect(await redis.exists(`gatehouse:sess:${rawSid}`)).toBe(0);
    } finally {
      await redis.quit();
    }
    expect((await onB.get(`${b.url}/auth/me`, { accept: 'application/json' })).status).toBe(401);
  });

  it('each login webhook is delivered once, though both instances run a dispatcher', async () => {
    const before = received.length;
    // (carol was rejected by the previous test; her login is refused and sends nothing.)
    for (const user of ['alice', 'bob', 'dave', 'alice']) expect((await a.loginOidc(new Agent(), user)).status).toBe(302);
    const deadline = Date.now() + 15_000;
    while (received.length - before < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Give a would-be second sender every chance to show up.
    await new Promise((r) => setTimeout(r, 1_000));
    const ids = received.slice(before);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
    expect(new Set(received).size).toBe(received.length);
  });
});
