/**
 * Sends what the outbox holds. Every process that runs one takes due rows under a lease (so two
 * instances never send the same delivery), keeps up to `concurrency` requests in flight, records
 * every attempt and schedules retries. It wakes on a nudge (a login just committed, a manual
 * redelivery), at the next retry it scheduled itself, and every `pollIntervalMs` for work
 * written by other instances or left behind by a crash.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { backoffMs, parseRetryAfter } from './retry.ts';
import type { AttemptOutcome, ClaimedEvent, EventTransition, WebhookStore } from './ports.ts';
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
  /** Stops taking work and waits for the requests in flight. */
  stop(): Promise<void>;
  /** Resolves once nothing is due now and nothing is in flight (tests, the bench). */
  idle(): Promise<void>;
  readonly owner: string;
}

const ERROR_TEXT_MAX = 500;

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { store, transport, settings, logger } = deps;
  const now = deps.now ?? Date.now;
  const owner = deps.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  // The lease outlives the attempt by a wide margin: another instance may only take the row
  // once this one has certainly finished with it.
  const leaseMs = settings.timeoutMs * 2 + 30_000;
  const inflight = new Set<Promise<void>>();
  let started = false;
  let stopped = false;
  let pumping: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Infinity;
  let idleWaiters: (() => void)[] = [];

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
    let statusCode: number | null = null;
    let error: string | null = null;
    let excerpt: string | null = null;
    let retryAfterMs: number | null = null;
    let refused = false;
    try {
      const headers = signedHeaders(signingSecrets(endpoint, startedAt), event.id, startedAt, event.body);
      const res = await transport({
        url: endpoint.url,
        headers: { ...headers },
        body: event.body,
        timeoutMs: settings.timeoutMs,
        allowPrivateNetwork: endpoint.allowPrivateNetwork,
      });
      statusCode = res.status;
      excerpt = res.excerpt === '' ? null : res.excerpt;
      retryAfterMs = parseRetryAfter(res.retryAfter, now());
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (e) {
      refused = e instanceof TransportError && e.kind === 'refused';
      error = (e instanceof Error ? e.message : String(e)).slice(0, ERROR_TEXT_MAX);
    }
    const durationMs = Math.round(performance.now() - t0);
    const failures = number - event.roundStart;

    let outcome: AttemptOutcome;
    let next: EventTransition;
    if (error === null) {
      outcome = 'delivered';
      next = { status: 'delivered', at: now() };
    } else if (statusCode === 410) {
      outcome = 'endpoint_disabled';
      next = { status: 'failed', error: 'HTTP 410: the receiver asked to stop; endpoint disabled' };
    } else if (refused || failures >= settings.maxAttempts) {
      outcome = 'failed';
      next = { status: 'failed', error: refused ? error : `${error} (gave up after ${failures} attempts)` };
    } else {
      outcome = 'retry';
      const wait = retryAfterMs !== null ? Math.min(retryAfterMs, settings.retryAfterMaxMs) : backoffMs(failures, settings, deps.random);
      next = { status: 'pending', nextAttemptAt: now() + wait, error };
    }

    const kept = await store.finishAttempt(
      claim,
      {
        eventId: event.id,
        endpointId: endpoint.id,
        attempt: number,
        startedAt,
        durationMs,
        statusCode,
        error,
        responseExcerpt: excerpt,
        outcome,
        nextAttemptAt: next.status === 'pending' ? next.nextAttemptAt : null,
      },
      next,
    );
    deps.onAttempt?.(outcome, durationMs);
    if (!kept) logger.warn({ webhookId: event.id, endpointId: endpoint.id }, 'webhook lease expired before the attempt was recorded');
    const log = { webhookId: event.id, endpointId: endpoint.id, attempt: number, statusCode, outcome };
    if (outcome === 'delivered') logger.debug(log, 'webhook delivered');
    else logger.info({ ...log, error }, 'webhook attempt failed');
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
      while (!stopped && inflight.size < settings.concurrency) {
        const claims = await store.claimDue({ owner, now: now(), leaseMs, limit: settings.concurrency - inflight.size });
        for (const c of claims) track(c);
        if (claims.length === 0) break;
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
      await Promise.allSettled([...inflight]);
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
