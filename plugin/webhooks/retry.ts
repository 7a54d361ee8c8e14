/** The retry schedule: exponential backoff with jitter, and the receiver's `Retry-After`. */
import type { WebhookDeliverySettings } from './settings.ts';

/**
 * Delay before the next attempt after `failures` failed attempts in this round (1-based):
 * `base * 2^(failures-1)`, capped, then "equal jitter" (between half and all of it) so that
 * retries of many deliveries that failed together spread out instead of arriving in a wave.
 */
export function backoffMs(
  failures: number,
  s: Pick<WebhookDeliverySettings, 'backoffBaseMs' | 'backoffMaxMs'>,
  random: () => number = Math.random,
): number {
  const exp = Math.min(s.backoffMaxMs, s.backoffBaseMs * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** `Retry-After` (delta-seconds or an HTTP date) in ms from `now`, or null when absent/unparsable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** The nominal schedule (no jitter), for docs and the admin API. */
export function nominalSchedule(s: Pick<WebhookDeliverySettings, 'backoffBaseMs' | 'backoffMaxMs' | 'maxAttempts'>): number[] {
  const out: number[] = [];
  for (let failures = 1; failures < s.maxAttempts; failures++) out.push(Math.min(s.backoffMaxMs, s.backoffBaseMs * 2 ** (failures - 1)));
  return out;
}
