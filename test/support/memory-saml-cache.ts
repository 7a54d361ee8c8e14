/**
 * The reference SamlStateCache in memory: the semantics every implementation (database, Redis)
 * must have. For tests and single-process development only.
 */
import type { SamlStateCache } from '../../plugin/ports.ts';

export interface MemorySamlCache extends SamlStateCache {
  /** Entries still held, for assertions in tests. */
  size(): number;
}

export function createMemorySamlCache(now: () => number = Date.now): MemorySamlCache {
  const requests = new Map<string, number>();
  const assertions = new Map<string, number>();
  const key = (provider: string, id: string): string => `${provider}\u0000${id}`;
  const prune = (): void => {
    const t = now();
    for (const m of [requests, assertions]) for (const [k, exp] of m) if (exp <= t) m.delete(k);
  };
  return {
    async saveRequestId(provider, requestId, expiresAt) {
      prune();
      requests.set(key(provider, requestId), expiresAt);
    },
    async consumeRequestId(provider, requestId) {
      prune();
      // delete() is the atomic "take": true once, for a known, unexpired ID.
      return requests.delete(key(provider, requestId));
    },
    async rememberAssertion(provider, assertionId, expiresAt) {
      prune();
      const k = key(provider, assertionId);
      if (assertions.has(k)) return false;
      assertions.set(k, expiresAt);
      return true;
    },
    size: () => requests.size + assertions.size,
  };
}
