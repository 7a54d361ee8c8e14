/**
 * Webhook endpoints and their delivery log as the admin API and CLI see them: create, change,
 * rotate, example payloads, deliveries, manual redelivery. Every change is audited.
 */
import { randomBytes } from 'node:crypto';
import type { DirectoryEventType } from '../directory-events.ts';
import { GatehouseError } from '../errors.ts';
import type { StoreOps } from '../ports.ts';
import type { AuditEntry } from '../types.ts';
import { directoryBodies, exampleDirectoryEvent } from './directory.ts';
import { urlProblem } from './endpoints.ts';
import { buildBody, exampleFacts, serializeBody } from './payload.ts';
import type { DeliveryStatus, FiringTrigger, WebhookEndpoint, WebhookEvent, WebhookStore, WebhookTrigger } from './ports.ts';
import { nominalSchedule } from './retry.ts';
import type { WebhookDeliverySettings } from './settings.ts';
import { generateSecret, secretHint, signedHeaders, signingSecrets } from './signing.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function endpointView(e: WebhookEndpoint, now: number) {
  const rotating = e.previousSecret !== null && e.previousSecretExpiresAt !== null && e.previousSecretExpiresAt > now;
  return {
    id: e.id,
    url: e.url,
    trigger: e.trigger,
    events: e.events,
    providers: e.providers,
    fields: e.fields,
    payload: e.payload,
    allowPrivateNetwork: e.allowPrivateNetwork,
    source: e.source,
    enabled: e.disabledAt === null,
    disabledAt: iso(e.disabledAt),
    disabledReason: e.disabledReason,
    secretHint: secretHint(e.secret),
    previousSecretValidUntil: rotating ? iso(e.previousSecretExpiresAt) : null,
    createdAt: iso(e.createdAt),
    updatedAt: iso(e.updatedAt),
  };
}

export function deliveryView(e: WebhookEvent) {
  return {
    id: e.id,
    endpointId: e.endpointId,
    type: e.type,
    status: e.status,
    userId: e.userId,
    attempts: e.attempts,
    nextAttemptAt: e.status === 'pending' ? iso(e.nextAttemptAt) : null,
    lastError: e.lastError,
    createdAt: iso(e.createdAt),
    deliveredAt: iso(e.deliveredAt),
  };
}

export interface EndpointInput {
  id?: string | undefined;
  url: string;
  secret?: string | undefined;
  trigger?: WebhookTrigger | undefined;
  events?: DirectoryEventType[] | undefined;
  providers?: string[] | undefined;
  fields?: string[] | undefined;
  payload?: Record<string, string> | undefined;
  allowPrivateNetwork?: boolean | undefined;
}

export interface EndpointUpdate {
  url?: string | undefined;
  trigger?: WebhookTrigger | undefined;
  events?: DirectoryEventType[] | undefined;
  providers?: string[] | undefined;
  fields?: string[] | undefined;
  payload?: Record<string, string> | undefined;
  allowPrivateNetwork?: boolean | undefined;
  enabled?: boolean | undefined;
}

export interface WebhookServiceDeps {
  store: WebhookStore;
  settings: WebhookDeliverySettings;
  audit: StoreOps['audit'];
  now: () => number;
  /** Wakes the local dispatcher (no-op when this process does not dispatch). */
  nudge: () => void;
}

export type WebhookService = ReturnType<typeof createWebhookService>;

export function createWebhookService(deps: WebhookServiceDeps) {
  const { store, settings } = deps;

  async function endpointOr404(id: string): Promise<WebhookEndpoint> {
    const e = await store.getEndpoint(id);
    if (!e) throw new GatehouseError('ERR_NOT_FOUND', `no webhook endpoint "${id}"`);
    return e;
  }

  async function eventOr404(endpointId: string, deliveryId: string): Promise<WebhookEvent> {
    const ev = await store.getEvent(deliveryId);
    if (!ev || ev.endpointId !== endpointId) throw new GatehouseError('ERR_NOT_FOUND', `no delivery "${deliveryId}" for endpoint "${endpointId}"`);
    return ev;
  }

  function ownedByApi(e: WebhookEndpoint, what: string): void {
    if (e.source === 'config') throw new GatehouseError('ERR_CONFLICT', `endpoint "${e.id}" comes from the config file; ${what} it there`);
  }

  const audit = (action: string, actor: string, details: Record<string, unknown>) =>
    deps.audit({ action, actor, details } satisfies AuditEntry);

  return {
    settings,
    schedule: () => nominalSchedule(settings),

    async list() {
      const now = deps.now();
      return (await store.listEndpoints()).map((e) => endpointView(e, now));
    },

    async get(id: string) {
      const e = await endpointOr404(id);
      return { ...endpointView(e, deps.now()), deliveries: await store.countEvents(id) };
    },

    /** Creates an endpoint; the secret (given or generated) is returned this once. */
    async create(input: EndpointInput, actor: string) {
      const bad = urlProblem(input.url);
      if (bad) throw new GatehouseError('ERR_VALIDATION', `url: ${bad}`);
      const now = deps.now();
      const secret = input.secret ?? generateSecret();
      const endpoint: WebhookEndpoint = {
        id: input.id ?? `whe_${randomBytes(8).toString('hex')}`,
        url: input.url,
        secret,
        previousSecret: null,
        previousSecretExpiresAt: null,
        trigger: input.trigger ?? 'none',
        events: [...new Set(input.events ?? [])],
        providers: [...new Set(input.providers ?? [])],
        fields: [...new Set(input.fields ?? [])],
        payload: { ...(input.payload ?? {}) },
        allowPrivateNetwork: input.allowPrivateNetwork ?? false,
        source: 'api',
        disabledAt: null,
        disabledReason: null,
        createdAt: now,
        updatedAt: now,
      };
      if (!(await store.insertEndpoint(endpoint))) throw new GatehouseError('ERR_CONFLICT', `webhook endpoint "${endpoint.id}" exists`);
      await audit('webhook.create', actor, { endpointId: endpoint.id, url: endpoint.url, trigger: endpoint.trigger, events: endpoint.events, providers: endpoint.providers });
      return { endpoint: endpointView(endpoint, now), secret };
    },

    async update(id: string, patch: EndpointUpdate, actor: string) {
      const e = await endpointOr404(id);
      const { enabled, ...rest } = patch;
      const changes = Object.fromEntries(
        Object.entries(rest)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, (k === 'events' || k === 'providers') && Array.isArray(v) ? [...new Set(v)] : v]),
      );
      if (Object.keys(changes).length) ownedByApi(e, 'change');
      if (changes.url !== undefined) {
        const bad = urlProblem(String(changes.url));
        if (bad) throw new GatehouseError('ERR_VALIDATION', `url: ${bad}`);
      }
      const now = deps.now();
      const toggle = enabled === undefined ? {} : enabled ? { disabledAt: null, disabledReason: null } : { disabledAt: now, disabledReason: `disabled by ${actor}` };
      await store.updateEndpoint(id, { ...changes, ...toggle }, now);
      await audit('webhook.update', actor, { endpointId: id, changed: [...Object.keys(changes), ...(enabled === undefined ? [] : ['enabled'])], ...(enabled === undefined ? {} : { enabled }) });
      if (enabled) deps.nudge();
      return endpointView(await endpointOr404(id), now);
    },

    async remove(id: string, actor: string) {
      const e = await endpointOr404(id);
      ownedByApi(e, 'remove');
      await store.deleteEndpoint(id);
      await audit('webhook.delete', actor, { endpointId: id, url: e.url });
    },

    /** New secret (given or generated), returned this once; the old one signs too for `overlapMs`. */
    async rotateSecret(id: string, input: { secret?: string | undefined; overlapMs?: number | undefined }, actor: string) {
      const e = await endpointOr404(id);
      ownedByApi(e, 'rotate the secret in');
      const now = deps.now();
      const secret = input.secret ?? generateSecret();
      const overlapMs = input.overlapMs ?? settings.secretOverlapMs;
      await store.updateEndpoint(id, { secret, previousSecret: e.secret, previousSecretExpiresAt: now + overlapMs }, now);
      await audit('webhook.rotate_secret', actor, { endpointId: id, overlapMs });
      return { endpoint: endpointView(await endpointOr404(id), now), secret };
    },

    /** The exact body (and headers, signed with the endpoint's secrets now) a trigger or a directory event would send. */
    async example(id: string, triggerOverride?: FiringTrigger, provider = 'corp-oidc', event?: DirectoryEventType) {
      const e = await endpointOr404(id);
      if (event !== undefined) {
        const now = deps.now();
        const [body] = directoryBodies(exampleDirectoryEvent(event), e, now);
        const bytes = JSON.stringify(body);
        const headers = { 'content-type': 'application/json', ...signedHeaders(signingSecrets(e, now), 'msg_example', now, bytes) };
        return { endpointId: id, trigger: e.trigger, event, fires: e.events.includes(event), headers, body: JSON.parse(bytes) as unknown, raw: bytes };
      }
      const type = triggerOverride ?? (e.trigger === 'none' ? null : e.trigger);
      if (type === null) {
        return { endpointId: id, trigger: e.trigger, fires: false, note: 'trigger "none" never sends; pass ?trigger= to preview another trigger', headers: null, body: null };
      }
      const now = deps.now();
      const bytes = serializeBody(buildBody(type, e, exampleFacts(type, provider), now));
      const headers = { 'content-type': 'application/json', ...signedHeaders(signingSecrets(e, now), 'msg_example', now, bytes) };
      return { endpointId: id, trigger: e.trigger, fires: e.trigger === type, headers, body: JSON.parse(bytes) as unknown, raw: bytes };
    },

    async deliveries(id: string, filter: { status?: DeliveryStatus | undefined; cursor?: string | undefined; limit?: number | undefined }) {
      await endpointOr404(id);
      const page = await store.listEvents(id, filter);
      return { deliveries: page.events.map(deliveryView), nextCursor: page.nextCursor };
    },

    async delivery(id: string, deliveryId: string) {
      const ev = await eventOr404(id, deliveryId);
      const attempts = await store.listAttempts(ev.id);
      return {
        ...deliveryView(ev),
        body: JSON.parse(ev.body) as unknown,
        attemptLog: attempts.map((a) => ({
          attempt: a.attempt,
          startedAt: iso(a.startedAt),
          durationMs: a.durationMs,
          statusCode: a.statusCode,
          outcome: a.outcome,
          error: a.error,
          responseExcerpt: a.responseExcerpt,
          nextAttemptAt: iso(a.nextAttemptAt),
        })),
      };
    },

    /** Sends a delivery again, same `webhook-id`, in a fresh round of attempts. */
    async redeliver(id: string, deliveryId: string, actor: string) {
      const e = await endpointOr404(id);
      if (e.disabledAt !== null) throw new GatehouseError('ERR_CONFLICT', `endpoint "${id}" is disabled (${e.disabledReason ?? 'no reason'}); enable it first`);
      const ev = await eventOr404(id, deliveryId);
      await store.requeue(ev.id, deps.now());
      await audit('webhook.redeliver', actor, { endpointId: id, deliveryId, previousStatus: ev.status });
      deps.nudge();
      return deliveryView((await store.getEvent(ev.id)) ?? ev);
    },
  };
}
