/**
 * Rate-limit counters in Redis, shared by every instance: a client that moves from one instance
 * to another keeps its count. The client is its own (not the session store's) and is built never
 * to wait on a Redis that is down: no offline queue (a command fails at once while disconnected),
 * reconnecting in the background. The fail-open wrapper (adapters/rate-limit/fail-open.ts) bounds
 * every call on top of that.
 */
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { createClient } from 'redis';
import type { RateLimitsConfig } from '../../plugin/config/schema.ts';
import type { RateLimiter } from '../../plugin/ports.ts';
import { rlfRateLimiter } from '../rate-limit/rlf-limiter.ts';

const KEY_PREFIX = 'gatehouse:rl';
/** How long start-up waits for a first connection before serving anyway (failing open meanwhile). */
const STARTUP_WAIT_MS = 2_000;

export async function redisRateLimiter(url: string, budgets: RateLimitsConfig): Promise<RateLimiter> {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2_000, reconnectStrategy: (retries) => Math.min(100 + retries * 200, 5_000) },
  });
  // Errors surface on the calls (and are logged by the fail-open wrapper); without a listener node-redis throws.
  client.on('error', () => {});
  const connected = client.connect().then(
    () => true,
    () => false,
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([connected, new Promise((resolve) => (timer = setTimeout(resolve, STARTUP_WAIT_MS)))]);
  clearTimeout(timer);
  return rlfRateLimiter(
    budgets,
    (surface, budget) =>
      new RateLimiterRedis({
        storeClient: client,
        useRedisPackage: true,
        rejectIfRedisNotReady: true,
        keyPrefix: `${KEY_PREFIX}:${surface}`,
        points: budget.points,
        duration: budget.windowSeconds,
      }),
    async () => {
      if (client.isReady) await client.close().catch(() => client.destroy());
      else if (client.isOpen) client.destroy();
      await connected;
    },
  );
}
