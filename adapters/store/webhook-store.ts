/**
 * The webhook outbox on knex. Outbox rows are written through the handle of the transaction that
 * made the change (a login, a directory change); dispatchers take due rows under a lease: FOR
 * UPDATE SKIP LOCKED on PostgreSQL and MySQL 8 / MariaDB 10.6+, one conditional UPDATE on SQLite
 * (a write statement holds SQLite's single writer lock from its first read, so two claimers cannot
 * both see a row as free). Row mapping is in webhook-rows.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { StoreOps } from '../../plugin/ports.ts';
import type {
  AttemptRecord,
  ClaimedEvent,
  DeliveryStatus,
  EndpointPatch,
  FinishedAttempt,
  NewWebhookEvent,
  WebhookEndpoint,
  WebhookEvent,
  WebhookStore,
} from '../../plugin/webhooks/ports.ts';
import { isUniqueViolation } from './database.ts';
import { KnexOps } from './knex-store.ts';
import { dialectOf, type Dialect } from './dialect.ts';
import { num, optNum, type Row } from './rows.ts';
import { NO_EVENTS, patchColumns, rowToAttempt, rowToEndpoint, rowToEvent } from './webhook-rows.ts';

export class KnexWebhookStore implements WebhookStore {
  private readonly endpoints: string;
  private readonly events: string;
  private readonly attempts: string;
  private readonly dialect: Dialect;

  constructor(
    readonly knex: Knex,
    readonly prefix: string,
  ) {
    this.endpoints = `${prefix}webhook_endpoints`;
    this.events = `${prefix}webhook_events`;
    this.attempts = `${prefix}webhook_attempts`;
    this.dialect = dialectOf(knex);
  }

  /** The query runner behind a StoreOps handle from the knex store (the login transaction). */
  private readonly firingInTx = new WeakMap<Knex.Transaction, Promise<WebhookEndpoint[]>>();

  private runner(tx: StoreOps): Knex | Knex.Transaction {
    if (!(tx instanceof KnexOps)) throw new TypeError('KnexWebhookStore needs the StoreOps of a KnexStore transaction');
    return tx.db;
  }

  async listEndpoints(): Promise<WebhookEndpoint[]> {
    return ((await this.knex(this.endpoints).orderBy('created_at').orderBy('id')) as Row[]).map(rowToEndpoint);
  }

  async getEndpoint(id: string): Promise<WebhookEndpoint | null> {
    const r = (await this.knex(this.endpoints).where({ id }).first()) as Row | undefined;
    return r ? rowToEndpoint(r) : null;
  }

  async insertEndpoint(e: WebhookEndpoint): Promise<boolean> {
    try {
      await this.knex(this.endpoints).insert({
        id: e.id,
        url: e.url,
        secret: e.secret,
        previous_secret: e.previousSecret,
        previous_secret_expires_at: e.previousSecretExpiresAt,
        trigger: e.trigger,
        events: JSON.stringify(e.events),
        providers: JSON.stringify(e.providers),
        fields: JSON.stringify(e.fields),
        payload: JSON.stringify(e.payload),
        allow_private_network: e.allowPrivateNetwork,
        source: e.source,
        disabled_at: e.disabledAt,
        disabled_reason: e.disabledReason,
        created_at: e.createdAt,
        updated_at: e.updatedAt,
      });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async updateEndpoint(id: string, patch: EndpointPatch, at: number): Promise<boolean> {
    return (await this.knex(this.endpoints).where({ id }).update({ ...patchColumns(patch), updated_at: at })) > 0;
  }

  async deleteEndpoint(id: string): Promise<boolean> {
    return this.knex.transaction(async (trx) => {
      // Explicit, so it does not depend on SQLite's foreign_keys pragma.
      const events = trx(this.events).select('id').where({ endpoint_id: id });
      await trx(this.attempts).whereIn('event_id', events).delete();
      await trx(this.events).where({ endpoint_id: id }).delete();
      return (await trx(this.endpoints).where({ id }).delete()) > 0;
    });
  }

  /**
   * Read once per transaction: a login's webhook hook and its directory events ask for the same
   * list inside the same transaction, which changes no endpoint.
   */
  listFiringEndpoints(tx: StoreOps): Promise<WebhookEndpoint[]> {
    const db = this.runner(tx);
    const read = async () =>
      ((await db(this.endpoints)
        .whereNull('disabled_at')
        .andWhere((q) => q.whereNot('trigger', 'none').orWhereNot('events', NO_EVENTS))
        .orderBy('id')) as Row[]).map(rowToEndpoint);
    if (!db.isTransaction) return read();
    const trx = db as Knex.Transaction;
    let list = this.firingInTx.get(trx);
    if (!list) this.firingInTx.set(trx, (list = read()));
    return list;
  }

  async enqueue(tx: StoreOps, events: NewWebhookEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.runner(tx)(this.events).insert(
      events.map((e) => ({
        id: e.id,
        endpoint_id: e.endpointId,
        type: e.type,
        body: e.body,
        user_id: e.userId,
        status: 'pending',
        attempts: 0,
        round_start: 0,
        next_attempt_at: e.createdAt,
        created_at: e.createdAt,
      })),
    );
  }

  afterCommit(tx: StoreOps, fn: () => void): void {
    const db = this.runner(tx) as Partial<Knex.Transaction>;
    if (db.isTransaction && db.executionPromise) {
      db.executionPromise.then(
        () => fn(),
        () => undefined, // rolled back: nothing was written, nothing to send
      );
    } else {
      queueMicrotask(fn);
    }
  }

  /** Due, pending rows of enabled endpoints that no live lease holds. */
  private dueQuery(db: Knex | Knex.Transaction, now: number, limit: number): Knex.QueryBuilder {
    return db(this.events)
      .select('id')
      .where('status', 'pending')
      .andWhere('next_attempt_at', '<=', now)
      .andWhere((q) => q.whereNull('lease_until').orWhere('lease_until', '<', now))
      .whereIn('endpoint_id', db(this.endpoints).select('id').whereNull('disabled_at'))
      .orderBy('next_attempt_at')
      .limit(limit);
  }

  async claimDue(input: { owner: string; now: number; leaseMs: number; limit: number }): Promise<ClaimedEvent[]> {
    const token = `${input.owner}:${randomUUID().slice(0, 8)}`;
    const leaseUntil = input.now + input.leaseMs;
    const lease = { lease_owner: token, lease_until: leaseUntil };
    let rows: Row[];
    if (this.dialect === 'sqlite') {
      await this.knex(this.events).whereIn('id', this.dueQuery(this.knex, input.now, input.limit)).update(lease);
      rows = (await this.knex(this.events).where('lease_owner', token)) as Row[];
    } else if (this.dialect === 'pg') {
      // One round trip: the subquery locks free rows (skipping those another claimer holds).
      rows = (await this.knex(this.events)
        .whereIn('id', this.dueQuery(this.knex, input.now, input.limit).forUpdate().skipLocked())
        .update(lease)
        .returning('*')) as Row[];
    } else {
      // MySQL 8 / MariaDB 10.6+: no UPDATE ... RETURNING and no LIMIT in IN subqueries.
      rows = await this.knex.transaction(async (trx) => {
        const free = (await this.dueQuery(trx, input.now, input.limit).forUpdate().skipLocked()) as Row[];
        if (free.length === 0) return [];
        const ids = free.map((r) => String(r.id));
        await trx(this.events).whereIn('id', ids).update(lease);
        return (await trx(this.events).whereIn('id', ids)) as Row[];
      });
    }
    if (rows.length === 0) return [];
    const endpointIds = [...new Set(rows.map((r) => String(r.endpoint_id)))];
    const endpoints = new Map(
      ((await this.knex(this.endpoints).whereIn('id', endpointIds)) as Row[]).map((r) => [String(r.id), rowToEndpoint(r)] as const),
    );
    const out: ClaimedEvent[] = [];
    for (const r of rows) {
      const endpoint = endpoints.get(String(r.endpoint_id));
      if (endpoint) out.push({ event: rowToEvent(r), endpoint, leaseToken: token, leaseUntil });
    }
    return out.sort((a, b) => a.event.nextAttemptAt - b.event.nextAttemptAt);
  }

  async finishAttempts(items: readonly FinishedAttempt[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    return this.knex.transaction(async (trx) => {
      const rows = items.map(({ attempt: a }) => ({
        event_id: a.eventId,
        endpoint_id: a.endpointId,
        attempt: a.attempt,
        started_at: a.startedAt,
        duration_ms: a.durationMs,
        status_code: a.statusCode,
        outcome: a.outcome,
        error: a.error,
        response_excerpt: a.responseExcerpt,
        next_attempt_at: a.nextAttemptAt,
      }));
      for (let i = 0; i < rows.length; i += 100) await trx(this.attempts).insert(rows.slice(i, i + 100));
      const kept: boolean[] = [];
      for (const { claim, attempt, next } of items) {
        const cols: Row = { status: next.status, attempts: attempt.attempt, lease_owner: null, lease_until: null };
        if (next.status === 'delivered') Object.assign(cols, { delivered_at: next.at, last_error: null });
        else if (next.status === 'pending') Object.assign(cols, { next_attempt_at: next.nextAttemptAt, last_error: next.error });
        else cols.last_error = next.error;
        kept.push((await trx(this.events).where({ id: claim.event.id, lease_owner: claim.leaseToken }).update(cols)) > 0);
      }
      return kept;
    });
  }

  async release(claims: readonly ClaimedEvent[]): Promise<void> {
    for (const c of claims) {
      await this.knex(this.events).where({ id: c.event.id, lease_owner: c.leaseToken }).update({ lease_owner: null, lease_until: null });
    }
  }

  async nextDueAt(): Promise<number | null> {
    const r = (await this.knex(this.events)
      .where('status', 'pending')
      .whereIn('endpoint_id', this.knex(this.endpoints).select('id').whereNull('disabled_at'))
      .min({ due: this.knex.raw('case when lease_until is not null and lease_until > next_attempt_at then lease_until else next_attempt_at end') })
      .first()) as Row | undefined;
    return optNum(r?.due);
  }

  async listEvents(
    endpointId: string,
    filter: { status?: DeliveryStatus | undefined; cursor?: string | undefined; limit?: number | undefined },
  ): Promise<{ events: WebhookEvent[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const q = this.knex(this.events).where('endpoint_id', endpointId).orderBy('seq', 'desc').limit(limit + 1);
    if (filter.status) q.where('status', filter.status);
    if (filter.cursor !== undefined) {
      const c = Number(filter.cursor);
      if (Number.isFinite(c)) q.where('seq', '<', c);
    }
    const rows = (await q) as Row[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { events: page.map(rowToEvent), nextCursor: rows.length > limit && last ? String(last.seq) : null };
  }

  async getEvent(id: string): Promise<WebhookEvent | null> {
    const r = (await this.knex(this.events).where({ id }).first()) as Row | undefined;
    return r ? rowToEvent(r) : null;
  }

  async listAttempts(eventId: string): Promise<AttemptRecord[]> {
    return ((await this.knex(this.attempts).where({ event_id: eventId }).orderBy('attempt').orderBy('id')) as Row[]).map(rowToAttempt);
  }

  async requeue(eventId: string, now: number): Promise<boolean> {
    const n = await this.knex(this.events)
      .where({ id: eventId })
      .update({ status: 'pending', next_attempt_at: now, round_start: this.knex.ref('attempts'), lease_owner: null, lease_until: null });
    return n > 0;
  }

  async countEvents(endpointId?: string): Promise<Record<DeliveryStatus, number>> {
    const q = this.knex(this.events).select('status').count({ n: '*' }).groupBy('status');
    if (endpointId !== undefined) q.where('endpoint_id', endpointId);
    const out: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, failed: 0 };
    for (const r of (await q) as Row[]) {
      const s = String(r.status);
      if (s === 'pending' || s === 'delivered' || s === 'failed') out[s] = num(r.n);
    }
    return out;
  }
}
