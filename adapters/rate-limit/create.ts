/**
 * Builds the brute-force limiter of `rateLimits` (docs/security.md): none when disabled; in Redis
 * (shared by every instance, bounded and failing open) when the config says so or when sessions
 * already live in Redis; otherwise in this process's memory.
 */
import type { Logger } from 'pino';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { ResolvedConfig } from '../../plugin/config/schema.ts';
import { ConfigError } from '../../plugin/errors.ts';
import type { RateLimiter } from '../../plugin/ports.ts';
import { redisRateLimiter } from '../redis/rate-limiter.ts';
import { failOpen } from './fail-open.ts';
import { rlfRateLimiter } from './rlf-limiter.ts';

/** The limiter for this config, or undefined when `rateLimits.enabled` is false. */
export async function createRateLimiter(config: ResolvedConfig, logger: Logger): Promise<RateLimiter | undefined> {
  const rl = config.rateLimits;
  if (!rl.enabled) return undefined;
  const store = rl.store === 'auto' ? (config.sessions.store === 'redis' ? 'redis' : 'memory') : rl.store;
  if (store === 'memory') {
    return rlfRateLimiter(rl, (surface, b) => new RateLimiterMemory({ keyPrefix: surface, points: b.points, duration: b.windowSeconds }));
  }
  const url = rl.redisUrl ?? config.sessions.url;
  if (!url) throw new ConfigError('rateLimits.redisUrl', 'required when rateLimits.store is "redis" and sessions.url is not set');
  return failOpen(await redisRateLimiter(url, rl), { timeoutMs: rl.redisTimeoutMs, logger, store: 'redis' });
}
