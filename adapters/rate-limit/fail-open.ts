/**
 * A limiter whose store is remote (Redis) must never hold a request up: every call is bounded by
 * `timeoutMs`, and a call that fails or times out lets the request through (fail open) with a
 * warning, logged at most once a minute so an outage does not flood the log. Brute-force limits
 * are a defence in depth; an outage of their store must not become an outage of sign-in and SCIM.
 */
import type { Logger } from 'pino';
import { NOT_LIMITED, type RateLimitDecision, type RateLimiter } from '../../plugin/ports.ts';

const WARN_EVERY_MS = 60_000;
const TIMED_OUT = Symbol('timed out');

export function failOpen(inner: RateLimiter, opts: { timeoutMs: number; logger: Logger; store: string }): RateLimiter {
  let lastWarnAt = -Infinity;
  const warn = (err: unknown): void => {
    const now = Date.now();
    if (now - lastWarnAt < WARN_EVERY_MS) return;
    lastWarnAt = now;
    const reason = err === TIMED_OUT ? `no answer within ${opts.timeoutMs} ms` : err instanceof Error ? err.message : String(err);
    opts.logger.warn({ store: opts.store, reason }, 'rate limiter unavailable: requests are let through (failed open) until its store answers again');
  };
  const bounded = async (call: () => Promise<RateLimitDecision>): Promise<RateLimitDecision> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), opts.timeoutMs);
    });
    try {
      const result = await Promise.race([call(), timeout]);
      if (result === TIMED_OUT) {
        warn(TIMED_OUT);
        return NOT_LIMITED;
      }
      return result;
    } catch (e) {
      warn(e);
      return NOT_LIMITED;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    consume: (surface, client) => bounded(() => inner.consume(surface, client)),
    peek: (surface, client) => bounded(() => inner.peek(surface, client)),
    close: () => inner.close(),
  };
}
