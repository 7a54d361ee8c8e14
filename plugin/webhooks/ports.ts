/**
 * What the webhook outbox needs from storage. `adapters/store/webhook-store.ts` implements it
 * with knex; writes at login time go through the login transaction's `StoreOps` handle, so the
 * outbox row commits or rolls back with the login (transactional outbox).
 */
import type { DirectoryEventType } from '../directory-events.ts';
import type { StoreOps } from '../ports.ts';

export const WEBHOOK_TRIGGERS = ['none', 'user_created_without_groups', 'login_without_groups', 'every_login'] as const;
export type WebhookTrigger = (typeof WEBHOOK_TRIGGERS)[number];
/** Triggers that actually send (the `type` of a delivered body). */
export type FiringTrigger = Exclude<WebhookTrigger, 'none'>;
/** The `type` of a delivery: a login trigger or a directory event. */
export type DeliveryType = FiringTrigger | DirectoryEventType;

export interface WebhookEndpoint {
  id: string;
  url: string;
  /** `whsec_<base64>`; never shown by the API after creation. */
  secret: string;
  /** The secret before the last rotation; still signs until `previousSecretExpiresAt`. */
  previousSecret: string | null;
  previousSecretExpiresAt: number | null;
  trigger: WebhookTrigger;
  /** Directory events it subscribes to, besides its login trigger. */
  events: DirectoryEventType[];
  /** The identity providers whose logins its trigger fires for; empty: every provider. */
  providers: string[];
  fields: string[];
  payload: Record<string, string>;
  allowPrivateNetwork: boolean;
  /** `config`: owned by the config file (re-seeded at start); `api`: created through the admin API. */
  source: 'config' | 'api';
  disabledAt: number | null;
  disabledReason: string | null;
  createdAt: number;
  updatedAt: number;
}

export type EndpointPatch = Partial<
  Pick<
    WebhookEndpoint,
    'url' | 'secret' | 'previousSecret' | 'previousSecretExpiresAt' | 'trigger' | 'events' | 'providers' | 'fields' | 'payload' | 'allowPrivateNetwork' | 'disabledAt' | 'disabledReason'
  >
>;

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface NewWebhookEvent {
  /** The Standard Webhooks `webhook-id`, stable across retries and redeliveries. */
  id: string;
  endpointId: string;
  type: DeliveryType;
  /** The exact bytes sent (and signed), fixed when the change commits. */
  body: string;
  userId: string | null;
  createdAt: number;
}

export interface WebhookEvent extends NewWebhookEvent {
  status: DeliveryStatus;
  /** Attempts made so far, over all rounds. */
  attempts: number;
  /** `attempts` when the current round began (0, or the count at the last redelivery). */
  roundStart: number;
  nextAttemptAt: number;
  deliveredAt: number | null;
  lastError: string | null;
}

/** One delivery taken by a dispatcher, protected by a lease until `leaseUntil`. */
export interface ClaimedEvent {
  event: WebhookEvent;
  endpoint: WebhookEndpoint;
  leaseToken: string;
  leaseUntil: number;
}

export type AttemptOutcome = 'delivered' | 'retry' | 'failed' | 'endpoint_disabled';

export interface NewAttempt {
  eventId: string;
  endpointId: string;
  /** 1-based over the life of the event. */
  attempt: number;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  /** First bytes of the response body, for the delivery log. */
  responseExcerpt: string | null;
  outcome: AttemptOutcome;
  /** When the next attempt is due (retry only). */
  nextAttemptAt: number | null;
}

export interface AttemptRecord extends NewAttempt {
  id: string;
}

export interface FinishedAttempt {
  claim: ClaimedEvent;
  attempt: NewAttempt;
  next: EventTransition;
}

/** How a finished attempt changes its event. */
export type EventTransition =
  | { status: 'delivered'; at: number }
  | { status: 'pending'; nextAttemptAt: number; error: string }
  | { status: 'failed'; error: string };

export interface WebhookStore {
  listEndpoints(): Promise<WebhookEndpoint[]>;
  getEndpoint(id: string): Promise<WebhookEndpoint | null>;
  /** False when the id exists already. */
  insertEndpoint(endpoint: WebhookEndpoint): Promise<boolean>;
  updateEndpoint(id: string, patch: EndpointPatch, at: number): Promise<boolean>;
  /** Deletes the endpoint with its events and attempts. */
  deleteEndpoint(id: string): Promise<boolean>;

  /** Enabled endpoints whose trigger is not `none` or that subscribe to an event, read inside the caller's transaction. */
  listFiringEndpoints(tx: StoreOps): Promise<WebhookEndpoint[]>;
  /** Writes outbox rows inside the caller's transaction (a login, a directory change). */
  enqueue(tx: StoreOps, events: NewWebhookEvent[]): Promise<void>;
  /** Runs `fn` once the transaction behind `tx` has committed; never when it rolls back. */
  afterCommit(tx: StoreOps, fn: () => void): void;

  /**
   * Takes up to `limit` due, pending events of enabled endpoints that nobody holds a live lease
   * on, and leases them to the caller until `now + leaseMs`. Two callers never get the same row
   * while a lease is live (PostgreSQL/MySQL: FOR UPDATE SKIP LOCKED; SQLite: one conditional UPDATE).
   */
  claimDue(input: { owner: string; now: number; leaseMs: number; limit: number }): Promise<ClaimedEvent[]>;
  /**
   * Records finished attempts and applies their transitions, each only if its lease is still
   * ours, all in one transaction (group commit); per item, false when the lease was lost.
   */
  finishAttempts(items: readonly FinishedAttempt[]): Promise<boolean[]>;
  /** Gives back leases of claimed rows that were not attempted (graceful stop). */
  release(claims: readonly ClaimedEvent[]): Promise<void>;
  /** Earliest `nextAttemptAt` among pending events of enabled endpoints. */
  nextDueAt(): Promise<number | null>;

  listEvents(
    endpointId: string,
    filter: { status?: DeliveryStatus | undefined; cursor?: string | undefined; limit?: number | undefined },
  ): Promise<{ events: WebhookEvent[]; nextCursor: string | null }>;
  getEvent(id: string): Promise<WebhookEvent | null>;
  listAttempts(eventId: string): Promise<AttemptRecord[]>;
  /** Makes an event due now in a fresh round (manual redelivery); false when unknown. */
  requeue(eventId: string, now: number): Promise<boolean>;
  /** Counts by status, for tests, metrics and the admin list. */
  countEvents(endpointId?: string): Promise<Record<DeliveryStatus, number>>;
}
