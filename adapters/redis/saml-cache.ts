/** SAML request-ID and replay caches in Redis, shared by every instance. */
import type { SamlStateCache } from '../../plugin/ports.ts';
import { redisError, type RedisClient } from './client.ts';

/** Runs a Redis call; an outage surfaces as `ERR_UNAVAILABLE` naming Redis (a 503, not a bad assertion). */
async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw redisError(e);
  }
}

export class RedisSamlCache implements SamlStateCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix = 'gatehouse:saml:',
    private readonly now: () => number = Date.now,
  ) {}

  private ttlMs(expiresAt: number): number {
    return Math.max(1, expiresAt - this.now());
  }

  async saveRequestId(provider: string, requestId: string, expiresAt: number): Promise<void> {
    await call(() => this.redis.set(`${this.prefix}req:${provider}:${requestId}`, '1', { PX: this.ttlMs(expiresAt) }));
  }

  async consumeRequestId(provider: string, requestId: string): Promise<boolean> {
    // DEL is atomic: of two instances taking the same response, exactly one sees 1.
    return (await call(() => this.redis.del(`${this.prefix}req:${provider}:${requestId}`))) === 1;
  }

  async rememberAssertion(provider: string, assertionId: string, expiresAt: number): Promise<boolean> {
    const ok = await call(() => this.redis.set(`${this.prefix}assertion:${provider}:${assertionId}`, '1', { NX: true, PX: this.ttlMs(expiresAt) }));
    return ok === 'OK';
  }
}
