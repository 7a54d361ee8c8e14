/**
 * The RateLimiter port over rate-limiter-flexible: one counter per surface, keyed by client, with
 * the window and budget of `rateLimits`. The same code serves the in-process memory store and
 * Redis (shared by every instance); only the counter factory differs.
 */
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitsConfig } from '../../plugin/config/schema.ts';
import { NOT_LIMITED, type RateLimitDecision, type RateLimiter, type RateLimitSurface } from '../../plugin/ports.ts';

export const SURFACES: readonly RateLimitSurface[] = ['loginStart', 'scimTokenFailures', 'adminTokenFailures', 'idpLogoutFailures'];

export interface SurfaceBudget {
  points: number;
  windowSeconds: number;
}

function limited(msBeforeNext: number): RateLimitDecision {
  return { limited: true, retryAfterSeconds: Math.max(1, Math.ceil(msBeforeNext / 1000)) };
}

/** A RateLimiter whose counters `counterFor` builds (memory or Redis); `close` releases the store. */
export function rlfRateLimiter(
  budgets: Pick<RateLimitsConfig, RateLimitSurface>,
  counterFor: (surface: RateLimitSurface, budget: SurfaceBudget) => RateLimiterAbstract,
  close: () => Promise<void> = async () => {},
): RateLimiter {
  const counters = new Map(SURFACES.map((s) => [s, counterFor(s, budgets[s])] as const));
  const counter = (s: RateLimitSurface): RateLimiterAbstract => {
    const c = counters.get(s);
    if (!c) throw new TypeError(`unknown rate-limit surface ${String(s)}`);
    return c;
  };
  return {
    async consume(surface, client) {
      try {
        await counter(surface).consume(client, 1);
        return NOT_LIMITED;
      } catch (e) {
        // rate-limiter-flexible rejects with the counter state when over budget, with an Error when its store fails.
        if (e instanceof RateLimiterRes) return limited(e.msBeforeNext);
        throw e;
      }
    },
    async peek(surface, client) {
      const state = await counter(surface).get(client);
      return state !== null && state.consumedPoints >= budgets[surface].points ? limited(state.msBeforeNext) : NOT_LIMITED;
    },
    close,
  };
}
