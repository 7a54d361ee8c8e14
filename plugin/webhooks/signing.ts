/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
 * `${webhook-id}.${webhook-timestamp}.${body}` with the base64 key after `whsec_`, sent as
 * `v1,<base64>`; during a secret rotation both signatures go out, space-separated.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { WebhookEndpoint } from './ports.ts';

export const SECRET_PREFIX = 'whsec_';
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;

/** Why a secret is unusable, or null when it is fine. */
export function secretProblem(secret: string): string | null {
  if (!secret.startsWith(SECRET_PREFIX)) return `must start with "${SECRET_PREFIX}" (Standard Webhooks)`;
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return `must be "${SECRET_PREFIX}" followed by base64`;
  const n = Buffer.from(b64, 'base64').length;
  if (n < MIN_KEY_BYTES || n > MAX_KEY_BYTES) return `key must be ${MIN_KEY_BYTES}-${MAX_KEY_BYTES} bytes (got ${n})`;
  return null;
}

export function secretKey(secret: string): Buffer {
  const problem = secretProblem(secret);
  if (problem) throw new TypeError(`webhook secret ${problem}`);
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

/** A new random secret (32 bytes). */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** `whsec_abcd…`: enough to recognize a secret in a list, never enough to use it. */
export function secretHint(secret: string): string {
  return `${secret.slice(0, SECRET_PREFIX.length + 4)}…`;
}

/** One `v1,<base64>` signature. */
export function sign(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${msgId}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/** The secrets that sign at `now`: the current one, plus the previous one inside its overlap window. */
export function signingSecrets(endpoint: Pick<WebhookEndpoint, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>, now: number): string[] {
  const out = [endpoint.secret];
  if (endpoint.previousSecret && endpoint.previousSecretExpiresAt !== null && endpoint.previousSecretExpiresAt > now) {
    out.push(endpoint.previousSecret);
  }
  return out;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** Headers for one attempt; called again on every attempt so the timestamp is fresh. */
export function signedHeaders(secrets: readonly string[], msgId: string, now: number, body: string): SignedHeaders {
  const ts = Math.floor(now / 1000);
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(ts),
    'webhook-signature': secrets.map((s) => sign(s, msgId, ts, body)).join(' '),
  };
}
