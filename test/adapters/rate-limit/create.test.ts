/**
 * `rateLimits` is validated at start with its key path, and the limiter built from it picks its
 * store as documented (docs/configuration.md): memory by default, none when disabled, Redis only
 * with a URL to reach it.
 */
import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../../adapters/rate-limit/create.ts';
import { parseConfig } from '../../../plugin/config/parse.ts';
import type { ConfigInput } from '../../../plugin/config/schema.ts';
import { ConfigError } from '../../../plugin/errors.ts';
import { createLogger } from '../../../plugin/logger.ts';

const config = (rateLimits: unknown) => parseConfig({ server: { sessionSecret: 'x'.repeat(32) }, rateLimits } as ConfigInput);
const logger = createLogger('silent');

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no ConfigError');
}

describe('rateLimits config', () => {
  it('has the documented defaults', () => {
    expect(parseConfig({ server: { sessionSecret: 'x'.repeat(32) } }).rateLimits).toEqual({
      enabled: true,
      store: 'auto',
      redisTimeoutMs: 250,
      loginStart: { points: 60, windowSeconds: 60 },
      scimTokenFailures: { points: 20, windowSeconds: 300 },
      adminTokenFailures: { points: 10, windowSeconds: 300 },
      idpLogoutFailures: { points: 30, windowSeconds: 300 },
    });
  });

  it.each([
    [{ loginStart: { points: 0 } }, 'rateLimits.loginStart.points'],
    [{ scimTokenFailures: { windowSeconds: -1 } }, 'rateLimits.scimTokenFailures.windowSeconds'],
    [{ adminTokenFailures: { points: 1.5 } }, 'rateLimits.adminTokenFailures.points'],
    [{ store: 'memcached' }, 'rateLimits.store'],
    [{ redisUrl: 'not a url' }, 'rateLimits.redisUrl'],
    [{ loginStart: { points: 5, burst: 2 } }, 'rateLimits.loginStart'],
  ])('refuses %j with the key path', (value, path) => {
    expect(configError(() => config(value)).message).toContain(path);
  });

  it('a memory limiter by default counts per client and answers Retry-After', async () => {
    const limiter = await createRateLimiter(config({ loginStart: { points: 2, windowSeconds: 60 } }), logger);
    expect(limiter).toBeDefined();
    expect(await limiter!.consume('loginStart', '192.0.2.1')).toEqual({ limited: false });
    expect(await limiter!.consume('loginStart', '192.0.2.1')).toEqual({ limited: false });
    const third = await limiter!.consume('loginStart', '192.0.2.1');
    expect(third).toMatchObject({ limited: true });
    expect(third.limited && third.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(await limiter!.consume('loginStart', '192.0.2.2')).toEqual({ limited: false });
    await limiter!.close();
  });

  it('none when disabled', async () => {
    expect(await createRateLimiter(config({ enabled: false }), logger)).toBeUndefined();
  });

  it('store: redis without a Redis URL fails at start, naming rateLimits.redisUrl', async () => {
    await expect(createRateLimiter(config({ store: 'redis' }), logger)).rejects.toThrow(/rateLimits\.redisUrl/);
  });
});
