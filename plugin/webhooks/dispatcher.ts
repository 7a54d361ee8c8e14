/**
 * Sends what the outbox holds. Every process that runs one takes due rows under a lease (so two
 * instances never send the same delivery), keeps up to `concurrency` requests in flight, records
 * every attempt and schedules retries. It wakes on a nudge (a login just committed, a manual
 * redelivery), at the next retry it scheduled itself, and every `pollIntervalMs` for work
 * written by other instances or left behind by a crash.
 *
 * Bookkeeping is batched so that the database is not the bottleneck: one claim takes up to
 * `concurrency` rows (the ones that find no free slot wait in a local queue of at most that many,
 * which keeps every send well inside its lease: see `leaseMs`), and finished attempts are written
 * together in one transaction while the previous write is in progress (group commit).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { backoffMs, parseRetryAfter } from './retry.ts';
import type { AttemptOutcome, ClaimedEvent, EventTransition, FinishedAttempt, WebhookStore } from './ports.ts';
import type { WebhookDeliverySettings } from './settings.ts';
import { signedHeaders, signingSecrets } from './signing.ts';
import { TransportError, type Transport } from './transport.ts';

export interface DispatcherDeps {
  store: WebhookStore;
  transport: Transport;
  settings: WebhookDeliverySettings;
  logger: Logger;
  now?: (() => number) | undefined;
  random?: (() => number) | undefined;
  /** Identifies this process in lease rows (defaults to host:pid:random). */
  owner?: string | undefined;
  /** Told when a receiver answered 410 and its endpoint was disabled. */
  onEndpointDisabled?: ((endpointId: string, reason: string) => Promise<void>) | undefined;
  /** Told after each attempt (metrics). */
  onAttempt?: ((outcome: AttemptOutcome, durationMs: number) => void) | undefined;
}

export interface Dispatcher {
  start(): void;
  /** Look for due work now (coalesced: many nudges, one pass). */
  nudge(): void;
  /** Stops taking work, waits for the requests in flight and gives back unsent leases. */
  stop(): Promise<void>;
  /** Resolves once nothing is due now and nothing is in flight (tests, the bench). */
  idle(): Promise<void>;
  readonly owner: string;
}

const ERROR_TEXT_MAX = 500;
const WRITE_BATCH_MAX = 200;

/** What an attempt's result means for its event. */
function decide(
  claim: ClaimedEvent,
  r: { statusCode: number | null; error: string | null; refused: boolean; retryAfterMs: number | null },
  settings: WebhookDeliverySettings,
  now: number,
  random?: () => number,
): { outcome: AttemptOutcome; next: EventTransition } {
  const failures = claim.event.attempts + 1 - claim.event.roundStart;
  if (r.error === null) return { outcome: 'delivered', next: { status: 'delivered', at: now } };
  if (r.statusCode === 410) return { outcome: 'endpoint_disabled', next: { status: 'failed', error: 'HTTP 410: the receiver asked to stop; endpoint disabled' } };
  if (r.refused) return { outcome: 'failed', next: { status: 'failed', error: r.error } };
  if (failures >= settings.maxAttempts) return { outcome: 'failed', next: { status: 'failed', error: `${r.error} (gave up after ${failures} attempts)` } };
  const wait = r.retryAfterMs !== null ? Math.min(r.retryAfterMs, settings.retryAfterMaxMs) : backoffMs(failures, settings, random);
  return { outcome: 'retry', next: { status: 'pending', nextAttemptAt: now + wait, error: r.error } };
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { store, transport, settings, logger } = deps;
  const now = deps.now ?? Date.now;
  const owner = deps.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  // A claimed row waits at most one round of in-flight sends (the local queue holds at most
  // `concurrency` rows), then takes at most one timeout itself; the lease outlives both by a
  // wide margin, so another instance only takes a row once this one has certainly finished.
  const leaseMs = settings.timeoutMs * 2 + 30_000;
  const inflight = new Set<Promise<void>>();
  const ready: ClaimedEvent[] = [];
  let started = false;
  let stopped = false;
  let pumping: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Infinity;
  let idleWaiters: (() => void)[] = [];

  // ---- group commit of finished attempts
  let pendingWrites: { item: FinishedAttempt; done: (kept: boolean) => void; fail: (e: unknown) => void }[] = [];
  let writing = false;
  async function flushWrites(): Promise<void> {
    if (writing) return;
    writing = true;
    try {
      while (pendingWrites.length) {
        const batch = pendingWrites.splice(0, WRITE_BATCH_MAX);
        try {
          const kept = await store.finishAttempts(batch.map((b) => b.item));
          batch.forEach((b, i) => b.done(kept[i] ?? false));
        } catch (e) {
          for (const b of batch) b.fail(e);
        }
      }
    } finally {
      writing = false;
    }
  }
  function record(item: FinishedAttempt): Promise<boolean> {
    return new Promise<boolean>((done, fail) => {
      pendingWrites.push({ item, done, fail });
      void flushWrites();
    });
  }

  function schedule(at: number): void {
    if (stopped || !started || at >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => {
      timer = null;
      timerAt = Infinity;
      pump();
      schedule(now() + settings.pollIntervalMs);
    }, Math.max(0, at - now()));
    timer.unref();
  }

  async function attempt(claim: ClaimedEvent): Promise<void> {
    const { event, endpoint } = claim;
    const number = event.attempts + 1;
    const startedAt = now();
    const t0 = performance.now();
    const r = { statusCode: null as number | null, error: null as string | null, refused: false, retryAfterMs: null as number | null };
    let excerpt: string | null = null;
    try {
      const headers = signedHeaders(signingSecrets(endpoint, startedAt), event.id, startedAt, event.body);
      const res = await transport({
        url: endpoint.url,
        headers: { ...headers },
        body: event.body,
        timeoutMs: settings.timeoutMs,
        allowPrivateNetwork: endpoint.allowPrivateNetwork,
      });
      r.statusCode = res.status;
      excerpt = res.excerpt === '' ? null : res.excerpt;
      r.retryAfterMs = parseRetryAfter(res.retryAfter, now());
      if (res.status < 200 || res.status >= 300) r.error = `HTTP ${res.status}`;
    } catch (e) {
      r.refused = e instanceof TransportError && e.kind === 'refused';
      r.error = (e instanceof Error ? e.message : String(e)).slice(0, ERROR_TEXT_MAX);
    }
    const elapsed = performance.now() - t0;
    const { outcome, next } = decide(claim, r, settings, now(), deps.random);
    const kept = await record({
      claim,
      next,
      attempt: {
        eventId: event.id,
        endpointId: endpoint.id,
        attempt: number,
        startedAt,
        durationMs: Math.round(elapsed),
        statusCode: r.statusCode,
        error: r.error,
        responseExcerpt: excerpt,
        outcome,
        nextAttemptAt: next.status === 'pending' ? next.nextAttemptAt : null,
      },
    });
    deps.onAttempt?.(outcome, elapsed);
    if (!kept) logger.warn({ webhookId: event.id, endpointId: endpoint.id }, 'webhook lease expired before the attempt was recorded');
    const log = { webhookId: event.id, endpointId: endpoint.id, attempt: number, statusCode: r.statusCode, outcome };
    if (outcome === 'delivered') logger.debug(log, 'webhook delivered');
    else logger.info({ ...log, error: r.error }, 'webhook attempt failed');
    if (outcome === 'endpoint_disabled') {
      await store.updateEndpoint(endpoint.id, { disabledAt: now(), disabledReason: 'receiver answered 410 Gone' }, now());
      await deps.onEndpointDisabled?.(endpoint.id, 'receiver answered 410 Gone');
    }
    if (next.status === 'pending') schedule(next.nextAttemptAt);
  }

  function track(claim: ClaimedEvent): void {
    const p = attempt(claim)
      .catch((e: unknown) => logger.error({ err: e, webhookId: claim.event.id }, 'webhook attempt crashed; the lease will expire and it will be retried'))
      .finally(() => {
        inflight.delete(p);
        pump();
      });
    inflight.add(p);
  }

  async function fill(): Promise<void> {
    do {
      again = false;
      while (!stopped) {
        while (ready.length && inflight.size < settings.concurrency) track(ready.shift()!);
        if (ready.length || inflight.size >= settings.concurrency) break;
        const claims = await store.claimDue({ owner, now: now(), leaseMs, limit: settings.concurrency });
        if (claims.length === 0) break;
        ready.push(...claims);
      }
    } while (again && !stopped);
  }

  function pump(): void {
    if (stopped) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = fill()
      .catch((e: unknown) => logger.error({ err: e }, 'webhook dispatcher could not read the outbox'))
      .finally(() => {
        pumping = null;
        if (inflight.size === 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const w of waiters) w();
        }
      });
  }

  return {
    owner,
    start() {
      if (started) return;
      started = true;
      stopped = false;
      // Leftovers (a crash, another instance's retries) are picked up shortly after start; the
      // short delay keeps one-shot processes (CLI commands) from sending on their way out.
      schedule(now() + Math.min(settings.pollIntervalMs, 500));
    },
    nudge() {
      if (started) pump();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      timerAt = Infinity;
      if (pumping) await pumping;
      const unsent = ready.splice(0);
      await Promise.allSettled([...inflight]);
      if (unsent.length) await store.release(unsent).catch((e: unknown) => logger.warn({ err: e }, 'could not give back webhook leases; they expire on their own'));
      for (const w of idleWaiters) w();
      idleWaiters = [];
    },
    async idle() {
      for (;;) {
        if (pumping) await pumping;
        if (inflight.size) {
          await Promise.allSettled([...inflight]);
          continue;
        }
        if (pumping) continue;
        const due = await store.nextDueAt();
        if (due === null || due > now() || stopped) return;
        await new Promise<void>((resolve) => {
          idleWaiters.push(resolve);
          pump();
        });
      }
    },
  };
}
