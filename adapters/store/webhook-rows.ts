/** Rows of the webhook tables (003_webhooks, 008_webhook_events) to and from the port's types. */
import { isDirectoryEventType } from '../../plugin/directory-events.ts';
import type { AttemptRecord, DeliveryStatus, EndpointPatch, WebhookEndpoint, WebhookEvent } from '../../plugin/webhooks/ports.ts';
import { num, optNum, str, type Row } from './rows.ts';

function parseJson<T>(v: unknown, fallback: T): T {
  if (typeof v !== 'string') return fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}

/** The `events` column of an endpoint that subscribes to none (the migration's default). */
export const NO_EVENTS = '[]';

export function rowToEndpoint(r: Row): WebhookEndpoint {
  return {
    id: String(r.id),
    url: String(r.url),
    secret: String(r.secret),
    previousSecret: str(r.previous_secret),
    previousSecretExpiresAt: optNum(r.previous_secret_expires_at),
    trigger: String(r.trigger) as WebhookEndpoint['trigger'],
    events: parseJson<string[]>(r.events, []).filter(isDirectoryEventType),
    providers: parseJson<string[]>(r.providers, []),
    fields: parseJson<string[]>(r.fields, []),
    payload: parseJson<Record<string, string>>(r.payload, {}),
    allowPrivateNetwork: Boolean(r.allow_private_network),
    source: r.source === 'config' ? 'config' : 'api',
    disabledAt: optNum(r.disabled_at),
    disabledReason: str(r.disabled_reason),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function rowToEvent(r: Row): WebhookEvent {
  return {
    id: String(r.id),
    endpointId: String(r.endpoint_id),
    type: String(r.type) as WebhookEvent['type'],
    body: String(r.body),
    userId: str(r.user_id),
    status: String(r.status) as DeliveryStatus,
    attempts: num(r.attempts),
    roundStart: num(r.round_start),
    nextAttemptAt: num(r.next_attempt_at),
    createdAt: num(r.created_at),
    deliveredAt: optNum(r.delivered_at),
    lastError: str(r.last_error),
  };
}

export function rowToAttempt(r: Row): AttemptRecord {
  return {
    id: String(r.id),
    eventId: String(r.event_id),
    endpointId: String(r.endpoint_id),
    attempt: num(r.attempt),
    startedAt: num(r.started_at),
    durationMs: num(r.duration_ms),
    statusCode: optNum(r.status_code),
    error: str(r.error),
    responseExcerpt: str(r.response_excerpt),
    outcome: String(r.outcome) as AttemptRecord['outcome'],
    nextAttemptAt: optNum(r.next_attempt_at),
  };
}

export function patchColumns(p: EndpointPatch): Row {
  const out: Row = {};
  if (p.url !== undefined) out.url = p.url;
  if (p.secret !== undefined) out.secret = p.secret;
  if (p.previousSecret !== undefined) out.previous_secret = p.previousSecret;
  if (p.previousSecretExpiresAt !== undefined) out.previous_secret_expires_at = p.previousSecretExpiresAt;
  if (p.trigger !== undefined) out.trigger = p.trigger;
  if (p.events !== undefined) out.events = JSON.stringify(p.events);
  if (p.providers !== undefined) out.providers = JSON.stringify(p.providers);
  if (p.fields !== undefined) out.fields = JSON.stringify(p.fields);
  if (p.payload !== undefined) out.payload = JSON.stringify(p.payload);
  if (p.allowPrivateNetwork !== undefined) out.allow_private_network = p.allowPrivateNetwork;
  if (p.disabledAt !== undefined) out.disabled_at = p.disabledAt;
  if (p.disabledReason !== undefined) out.disabled_reason = p.disabledReason;
  return out;
}
