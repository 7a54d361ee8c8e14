/**
 * Delivery under faults, on a real database with real receivers on 127.0.0.1: retries with the
 * same webhook-id, a receiver that is down while logins happen, two dispatchers on one outbox,
 * 410, Retry-After, redirects, the private-network guard, expired leases and redelivery.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGatehouseFromConfig, type Backend } from '../../../adapters/backend.ts';
import { openDatabase } from '../../../adapters/store/database.ts';
import { KnexWebhookStore } from '../../../adapters/store/webhook-store.ts';
import { createLogger } from '../../../plugin/logger.ts';
import { provisionLogin } from '../../../plugin/provisioning/login.ts';
import {
  createDispatcher,
  createHttpTransport,
  createWebhookService,
  defaultDeliverySettings,
  newMessageId,
  type Dispatcher,
  type WebhookDeliverySettings,
  type WebhookEndpoint,
} from '../../../plugin/webhooks/index.ts';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/db.ts';
import { claims, eventually, PROVIDER, startReceiver, stubIdp, testConfig, webhookSecret, type Receiver } from './support.ts';

const silent = createLogger('silent');

describe.each(DB_KINDS)('webhook delivery on %s', (kind) => {
  let db: TestDatabase;
  let backend: Backend;
  let outbox: KnexWebhookStore;
  const cleanups: (() => Promise<void>)[] = [];
  let seq = 0;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    backend = await createGatehouseFromConfig(
      testConfig(db, (c) => ({ ...c, webhookDelivery: { dispatch: false } })),
      { logger: silent, idps: new Map([[PROVIDER, stubIdp(PROVIDER, new Map())]]) },
    );
    outbox = new KnexWebhookStore(backend.knex, 'gh_');
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    await backend.close();
    await db.drop();
  });

  async function endpoint(url: string, extra: Partial<WebhookEndpoint> = {}): Promise<WebhookEndpoint> {
    const now = Date.now();
    const e: WebhookEndpoint = {
      id: `ep${++seq}`,
      url,
      secret: webhookSecret(),
      previousSecret: null,
      previousSecretExpiresAt: null,
      trigger: 'every_login',
      events: [],
      providers: [],
      fields: [],
      payload: {},
      allowPrivateNetwork: true,
      source: 'api',
      disabledAt: null,
      disabledReason: null,
      createdAt: now,
      updatedAt: now,
      ...extra,
    };
    await outbox.insertEndpoint(e);
    cleanups.push(async () => {
      await outbox.deleteEndpoint(e.id);
    });
    return e;
  }

  async function receiver(secrets: string[], opts: { listen?: boolean } = {}): Promise<Receiver> {
    const r = await startReceiver({ secrets, ...opts });
    cleanups.push(() => r.close());
    return r;
  }

  function dispatcher(settings: Partial<WebhookDeliverySettings> = {}, store: KnexWebhookStore = outbox, owner?: string, sent?: { n: number }): Dispatcher {
    const transport = createHttpTransport();
    const d = createDispatcher({
      store,
      transport: (req) => {
        if (sent) sent.n++;
        return transport(req);
      },
      settings: defaultDeliverySettings({ timeoutMs: 2000, backoffBaseMs: 20, backoffMaxMs: 200, pollIntervalMs: 50, maxAttempts: 10, ...settings }),
      logger: silent,
      owner,
    });
    d.start();
    cleanups.push(async () => {
      await d.stop();
      transport.close();
    });
    return d;
  }

  const login = (subject: string) => provisionLogin(backend.gatehouse.context, claims(subject));

  it('retries 500, 500, 500, then 200: four attempts, one webhook-id, every one verifiable', async () => {
    const secret = webhookSecret();
    const r = await receiver([secret]);
    r.reply = (n) => ({ status: n < 3 ? 500 : 200 });
    const ep = await endpoint(r.url, { secret });
    const d = dispatcher();
    await login(`retry-${kind}`);
    await r.waitFor(4);
    await d.idle();
    expect(r.received).toHaveLength(4);
    expect(new Set(r.received.map((x) => x.id)).size).toBe(1);
    for (const x of r.received) expect(x.verified).not.toBeNull();
    const [ev] = (await outbox.listEvents(ep.id, {})).events;
    expect(ev).toMatchObject({ id: r.received[0]!.id, status: 'delivered', attempts: 4 });
    expect((await outbox.listAttempts(ev!.id)).map((a) => [a.attempt, a.statusCode, a.outcome])).toEqual([
      [1, 500, 'retry'],
      [2, 500, 'retry'],
      [3, 500, 'retry'],
      [4, 200, 'delivered'],
    ]);
  });

  it('loses and duplicates nothing when the receiver is down while 100 logins happen', async () => {
    const secret = webhookSecret();
    const r = await receiver([secret], { listen: false });
    await endpoint(r.url, { secret });
    const d = dispatcher({ maxAttempts: 60 });
    for (let i = 0; i < 100; i++) await login(`down-${i}`);
    // Attempts fail while nothing listens; then the receiver comes up.
    await eventually(async () => (await outbox.countEvents()).pending === 100 && (await backend.knex('gh_webhook_attempts').count({ n: '*' }).first())!.n != 0);
    await r.reopen();
    await r.waitFor(100, 75_000);
    await d.idle();
    const ids = r.received.map((x) => x.id);
    expect(ids).toHaveLength(100);
    expect(new Set(ids).size).toBe(100);
    expect(r.received.every((x) => x.verified !== null)).toBe(true);
    expect(new Set(r.received.map((x) => (x.verified as { data: { user: { email: string } } }).data.user.email)).size).toBe(100);
  });

  it('two dispatchers on one outbox never send the same delivery', async () => {
    const secret = webhookSecret();
    const r = await receiver([secret]);
    r.reply = () => ({ status: 200, delayMs: 2 });
    const ep = await endpoint(r.url, { secret });
    // A second, independent connection pool: a second gateway instance.
    const knex2 = openDatabase(db.config);
    cleanups.push(() => knex2.destroy());
    const sentA = { n: 0 };
    const sentB = { n: 0 };
    const d1 = dispatcher({ concurrency: 8 }, outbox, 'instance-a', sentA);
    const d2 = dispatcher({ concurrency: 8 }, new KnexWebhookStore(knex2, 'gh_'), 'instance-b', sentB);
    const now = Date.now();
    for (let b = 0; b < 4; b++) {
      await backend.store.transaction(async (tx) => {
        const rows = Array.from({ length: 50 }, (_, i) => ({
          id: newMessageId(),
          endpointId: ep.id,
          type: 'every_login' as const,
          body: JSON.stringify({ n: b * 50 + i }),
          userId: null,
          createdAt: now,
        }));
        await outbox.enqueue(tx, rows);
      });
      d1.nudge();
      d2.nudge();
    }
    await r.waitFor(200, 75_000);
    await Promise.all([d1.idle(), d2.idle()]);
    await new Promise((x) => setTimeout(x, 100));
    const ids = r.received.map((x) => x.id);
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    expect((await outbox.countEvents(ep.id)).delivered).toBe(200);
    // Both instances did take part.
    expect(sentA.n).toBeGreaterThan(0);
    expect(sentB.n).toBeGreaterThan(0);
    expect(sentA.n + sentB.n).toBe(200);
  });

  it('disables the endpoint on 410 Gone and stops writing to it', async () => {
    const r = await receiver([]);
    r.reply = () => ({ status: 410 });
    const ep = await endpoint(r.url);
    const d = dispatcher();
    await login('gone-1');
    await r.waitFor(1);
    await d.idle();
    const after = await outbox.getEndpoint(ep.id);
    expect(after?.disabledAt).not.toBeNull();
    expect(after?.disabledReason).toMatch(/410/);
    const [ev] = (await outbox.listEvents(ep.id, {})).events;
    expect(ev).toMatchObject({ status: 'failed', attempts: 1 });
    await login('gone-2');
    expect((await outbox.listEvents(ep.id, {})).events).toHaveLength(1);
    expect(r.received).toHaveLength(1);
  });

  it("honours the receiver's Retry-After over the backoff", async () => {
    const r = await receiver([]);
    r.reply = (n) => (n === 0 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 });
    await endpoint(r.url);
    dispatcher({ backoffBaseMs: 10 });
    await login('retry-after');
    await r.waitFor(2);
    const gap = r.received[1]!.at - r.received[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(900);
  });

  it('follows no redirect: a 302 is a failed attempt and the Location is never requested', async () => {
    const target = await receiver([]);
    const r = await receiver([]);
    r.reply = (n) => (n === 0 ? { status: 302, headers: { location: target.url } } : { status: 200 });
    const ep = await endpoint(r.url);
    const d = dispatcher();
    await login('redirected');
    await r.waitFor(2);
    await d.idle();
    expect(target.received).toHaveLength(0);
    const [ev] = (await outbox.listEvents(ep.id, {})).events;
    expect((await outbox.listAttempts(ev!.id)).map((a) => [a.statusCode, a.outcome, a.error])).toEqual([
      [302, 'retry', 'HTTP 302'],
      [200, 'delivered', null],
    ]);
  });

  it('refuses a loopback endpoint without allowPrivateNetwork, records why, and never retries it', async () => {
    const r = await receiver([]);
    const ep = await endpoint(r.url, { allowPrivateNetwork: false });
    const d = dispatcher();
    await login('ssrf');
    await eventually(async () => (await outbox.countEvents(ep.id)).failed === 1);
    await d.idle();
    expect(r.received).toHaveLength(0);
    const [ev] = (await outbox.listEvents(ep.id, {})).events;
    const attempts = await outbox.listAttempts(ev!.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.error).toMatch(/refused: 127\.0\.0\.1 .*loopback.*allowPrivateNetwork/);
  });

  it('a lease left by a dead instance expires and the delivery is sent once by another', async () => {
    const r = await receiver([]);
    const ep = await endpoint(r.url);
    await login('crashed-lease');
    // "Instance A" takes the row and dies before sending.
    const taken = await outbox.claimDue({ owner: 'dead-instance', now: Date.now(), leaseMs: 300, limit: 10 });
    expect(taken.map((c) => c.endpoint.id)).toEqual([ep.id]);
    const d = dispatcher();
    await new Promise((x) => setTimeout(x, 150));
    expect(r.received).toHaveLength(0);
    await r.waitFor(1);
    await d.idle();
    expect(r.received).toHaveLength(1);
    // The dead instance's late write is refused: its lease is gone.
    const late = await outbox.finishAttempts([
      {
        claim: taken[0]!,
        attempt: { eventId: taken[0]!.event.id, endpointId: ep.id, attempt: 1, startedAt: Date.now(), durationMs: 1, statusCode: 500, error: 'late', responseExcerpt: null, outcome: 'retry', nextAttemptAt: Date.now() },
        next: { status: 'pending', nextAttemptAt: Date.now(), error: 'late' },
      },
    ]);
    expect(late).toEqual([false]);
    expect((await outbox.getEvent(taken[0]!.event.id))?.status).toBe('delivered');
  });

  it('a graceful stop gives back the leases of claimed rows it did not send', async () => {
    const r = await receiver([]);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    r.reply = async () => {
      await gate; // answers are held until the dispatcher is stopping
      return { status: 200 };
    };
    const ep = await endpoint(r.url);
    const transport = createHttpTransport();
    const d = createDispatcher({
      store: outbox,
      transport,
      settings: defaultDeliverySettings({ concurrency: 2, pollIntervalMs: 60_000 }),
      logger: silent,
    });
    d.start();
    await login('stop-1');
    d.nudge();
    await r.waitFor(1); // one slow request in flight, one free slot
    for (const s of ['stop-2', 'stop-3', 'stop-4']) await login(s);
    d.nudge(); // claims 2 rows: one starts, one waits in the local queue
    await r.waitFor(2);
    const stopping = d.stop();
    open();
    await stopping;
    transport.close();
    const rows = (await outbox.listEvents(ep.id, {})).events;
    expect(rows.filter((e) => e.status === 'delivered')).toHaveLength(2);
    const left = await backend.knex('gh_webhook_events').where({ endpoint_id: ep.id, status: 'pending' }).select('lease_owner');
    expect(left).toEqual([{ lease_owner: null }, { lease_owner: null }]);
    // Another instance takes them at once, without waiting for a lease to expire.
    r.reply = () => ({ status: 200 });
    const d2 = dispatcher();
    d2.nudge();
    await r.waitFor(4);
    await d2.idle();
    expect(new Set(r.received.map((x) => x.id)).size).toBe(4);
  });

  it('gives up after maxAttempts and a manual redelivery sends the same webhook-id in a fresh round', async () => {
    const secret = webhookSecret();
    const r = await receiver([secret]);
    r.reply = () => ({ status: 500 });
    const ep = await endpoint(r.url, { secret });
    const d = dispatcher({ maxAttempts: 3 });
    await login('gives-up');
    await eventually(async () => (await outbox.countEvents(ep.id)).failed === 1);
    await d.idle();
    expect(r.received).toHaveLength(3);
    const [ev] = (await outbox.listEvents(ep.id, {})).events;
    expect(ev?.lastError).toMatch(/gave up after 3 attempts/);

    r.reply = () => ({ status: 200 });
    const service = createWebhookService({ store: outbox, settings: defaultDeliverySettings(), audit: (e) => backend.store.audit(e), now: Date.now, nudge: () => d.nudge() });
    await service.redeliver(ep.id, ev!.id, 'user:test');
    await r.waitFor(4);
    await d.idle();
    expect(r.received[3]?.id).toBe(ev!.id);
    expect(r.received[3]?.verified).not.toBeNull();
    expect(await outbox.getEvent(ev!.id)).toMatchObject({ status: 'delivered', attempts: 4 });
  });

  it('during a rotation the receiver can verify with the old secret or the new one', async () => {
    const oldSecret = webhookSecret();
    const newSecret = webhookSecret();
    const oldOnly = await receiver([oldSecret]);
    await endpoint(oldOnly.url, { secret: newSecret, previousSecret: oldSecret, previousSecretExpiresAt: Date.now() + 60_000 });
    dispatcher();
    await login('rotation');
    const [got] = await oldOnly.waitFor(1);
    expect(got?.verifiedWith).toEqual([oldSecret]);
    expect(got?.signature.split(' ')).toHaveLength(2);
  });
});

describe.each(DB_KINDS)('the gateway dispatcher on %s', (kind) => {
  it('is woken by the login commit, not the poll interval', async () => {
    const db = await createTestDatabase(kind);
    const secret = webhookSecret();
    const r = await startReceiver({ secrets: [secret] });
    const backend = await createGatehouseFromConfig(
      testConfig(db, (c) => ({
        ...c,
        webhooks: [{ url: r.url, secret, trigger: 'every_login', allowPrivateNetwork: true }],
        webhookDelivery: { pollIntervalMs: 60_000 },
      })),
      { logger: silent, idps: new Map([[PROVIDER, stubIdp(PROVIDER, new Map())]]) },
    );
    try {
      await new Promise((x) => setTimeout(x, 600)); // past the start-up pass
      const t0 = Date.now();
      await provisionLogin(backend.gatehouse.context, claims('nudged'));
      const [got] = await r.waitFor(1, 5000);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(got?.verified).toMatchObject({ type: 'every_login', data: { provider: PROVIDER, user: { email: 'nudged@example.com' } } });
    } finally {
      await backend.close();
      await r.close();
      await db.drop();
    }
  });
});
