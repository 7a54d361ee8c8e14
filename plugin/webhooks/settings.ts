/**
 * Delivery tunables (`webhookDelivery:` in the config file), validated once at start. The
 * defaults give a retry schedule of about 10 hours (before jitter) (see docs/webhooks.md); tests shorten it.
 */
import { z } from 'zod';

export const webhookDeliverySchema = z
  .object({
    /** Run the dispatcher in this process. Instances with `false` still write the outbox. */
    dispatch: z.boolean().default(true),
    /** Per attempt: connect + send + response. */
    timeoutMs: z.number().int().positive().default(10_000),
    /** Attempts per delivery round (a manual redelivery starts a new round). */
    maxAttempts: z.number().int().min(1).max(100).default(20),
    /** First retry delay; doubles per failed attempt, capped at `backoffMaxMs`, with jitter. */
    backoffBaseMs: z.number().int().min(0).default(5_000),
    backoffMaxMs: z.number().int().min(0).default(60 * 60 * 1000),
    /** Upper bound on a receiver's `Retry-After`. */
    retryAfterMaxMs: z.number().int().min(0).default(6 * 60 * 60 * 1000),
    /** How often an idle dispatcher looks for due deliveries (logins nudge it at once). */
    pollIntervalMs: z.number().int().positive().default(2_000),
    /** Deliveries in flight per process. */
    concurrency: z.number().int().min(1).max(256).default(8),
    /** How long the previous secret keeps signing after a rotation. */
    secretOverlapMs: z.number().int().min(0).default(24 * 60 * 60 * 1000),
  })
  .strict()
  .prefault({});

export type WebhookDeliverySettings = z.output<typeof webhookDeliverySchema>;

/** The defaults, for callers that have no config (library use, tests). */
export function defaultDeliverySettings(overrides: Partial<WebhookDeliverySettings> = {}): WebhookDeliverySettings {
  return { ...webhookDeliverySchema.parse(undefined), ...overrides };
}
