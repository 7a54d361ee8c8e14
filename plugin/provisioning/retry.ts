/**
 * Retries a whole transaction when a concurrent writer got there first (unique violation on
 * a first login of the same subject/email, deadlock, serialization failure, SQLite busy).
 * The store says which errors those are; coded GatehouseErrors are never retried.
 */
import { isGatehouseError } from '../errors.ts';
import type { Store } from '../ports.ts';

export async function withTransactionRetry<T>(store: Pick<Store, 'isRetryable'>, fn: () => Promise<T>, attempts = 6): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || isGatehouseError(e) || !store.isRetryable(e)) throw e;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * i));
    }
  }
}
