/**
 * Webhooks as a feature: the outbox hooks (logins, directory events), config endpoints upserted at start, and the
 * dispatcher (unless `webhookDelivery.dispatch` is false in this process), over the webhook
 * store port.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ResolvedConfig } from '../config/schema.ts';
import type { GatehouseContext } from '../context.ts';
import type { Feature } from '../feature.ts';
import type { AuditEntry } from '../types.ts';
import { createDispatcher, type Dispatcher } from './dispatcher.ts';
import { resolveConfigEndpoints, syncConfigEndpoints } from './endpoints.ts';
import { createDirectoryEventHook } from './directory.ts';
import { createWebhookLoginHook } from './hook.ts';
import type { WebhookStore } from './ports.ts';
import { createWebhookService, type WebhookService } from './service.ts';
import type { WebhookDeliverySettings } from './settings.ts';
import { createHttpTransport, type Transport } from './transport.ts';

export interface WebhooksFeature extends Feature {
  service: WebhookService;
  store: WebhookStore;
  settings: WebhookDeliverySettings;
  /** The running dispatcher of this process, if any (tests wait on `idle()`). */
  dispatcher(): Dispatcher | null;
}

export interface WebhooksFeatureOptions {
  /** Replace the HTTP transport (tests inject misbehaving peers). */
  transport?: Transport | undefined;
  /** Override delivery settings (library users; the config file's `webhookDelivery` otherwise). */
  settings?: Partial<WebhookDeliverySettings> | undefined;
}

function metric<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

function registerMetrics(ctx: GatehouseContext, store: WebhookStore) {
  const registry = ctx.metrics.registry;
  const attempts = metric(
    registry,
    'gatehouse_webhook_attempts_total',
    () => new Counter({ name: 'gatehouse_webhook_attempts_total', help: 'Webhook delivery attempts by outcome', labelNames: ['outcome'], registers: [registry] }),
  );
  const duration = metric(
    registry,
    'gatehouse_webhook_attempt_duration_seconds',
    () =>
      new Histogram({
        name: 'gatehouse_webhook_attempt_duration_seconds',
        help: 'Webhook attempt duration',
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
  );
  metric(
    registry,
    'gatehouse_webhook_outbox',
    () =>
      new Gauge({
        name: 'gatehouse_webhook_outbox',
        help: 'Webhook deliveries in the outbox by status',
        labelNames: ['status'],
        registers: [registry],
        async collect() {
          const counts = await store.countEvents();
          for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
        },
      }),
  );
  return (outcome: string, durationMs: number) => {
    attempts.inc({ outcome });
    duration.observe(durationMs / 1000);
  };
}

/** The webhooks feature over its store; `audit` writes to the audit log outside any transaction. */
export function webhooksFeature(
  config: ResolvedConfig,
  whStore: WebhookStore,
  audit: (entry: AuditEntry) => Promise<void>,
  opts: WebhooksFeatureOptions = {},
): WebhooksFeature {
  const settings: WebhookDeliverySettings = { ...config.webhookDelivery, ...(opts.settings ?? {}) };
  // Validated now, so a bad secret or field stops the start with its key path.
  const configEndpoints = resolveConfigEndpoints(config.webhooks, config.providers.map((p) => p.id));
  let dispatcher: Dispatcher | null = null;
  let now: () => number = Date.now;
  const nudge = () => dispatcher?.nudge();
  const service = createWebhookService({ store: whStore, settings, audit, now: () => now(), nudge });

  return {
    name: 'webhooks',
    service,
    store: whStore,
    settings,
    dispatcher: () => dispatcher,
    loginHooks: [createWebhookLoginHook({ store: whStore, now: () => now(), onCommitted: nudge })],
    directoryHooks: [createDirectoryEventHook({ store: whStore, now: () => now(), onCommitted: nudge })],
    async start(ctx) {
      now = ctx.now;
      await syncConfigEndpoints(whStore, configEndpoints, ctx.now(), settings.secretOverlapMs);
      if (!settings.dispatch) return async () => undefined;
      const transport = opts.transport ?? createHttpTransport();
      const running = createDispatcher({
        store: whStore,
        transport,
        settings,
        logger: ctx.logger.child({ component: 'webhooks' }),
        now: ctx.now,
        onAttempt: registerMetrics(ctx, whStore),
        onEndpointDisabled: (endpointId, reason) =>
          ctx.store.audit({ action: 'webhook.disable', actor: 'system:webhooks', outcome: 'disabled', reason, details: { endpointId } }),
      });
      dispatcher = running;
      running.start();
      return async () => {
        await running.stop();
        if (dispatcher === running) dispatcher = null;
        (transport as Partial<{ close(): void }>).close?.();
      };
    },
  };
}
