/**
 * connect-redis, plus a per-user index of session ids so that deprovisioning can end every
 * session of a user at once, on every instance.
 */
import { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import { execBounded, redisError, type RedisClient } from './client.ts';

// connect-redis's own callback type (its data argument is `any`, which express-session's typings need).
type Callback = Parameters<RedisStore['get']>[1];

/** express-session's callbacks see a Redis outage as `ERR_UNAVAILABLE` (dependency `redis`). */
function tagged(cb: Callback | undefined): Callback | undefined {
  return cb && ((err?: unknown, data?: unknown) => cb(err ? redisError(err) : err, data));
}

export class IndexedRedisSessionStore extends RedisStore {
  private readonly redis: RedisClient;
  private readonly commandTimeoutMs: number;

  constructor(client: RedisClient, opts: { prefix?: string; ttlSeconds: number; commandTimeoutMs: number }) {
    super({ client, prefix: opts.prefix ?? 'gatehouse:sess:', ttl: opts.ttlSeconds });
    this.redis = client;
    this.commandTimeoutMs = opts.commandTimeoutMs;
  }

  private userKey(userId: string): string {
    return `${this.prefix}user:${userId}`;
  }

  override get(sid: string, cb?: Callback): Promise<unknown> {
    return super.get(sid, tagged(cb));
  }

  override touch(sid: string, sess: SessionData, cb?: Callback): Promise<unknown> {
    return super.touch(sid, sess, tagged(cb));
  }

  override destroy(sid: string, cb?: Callback): Promise<unknown> {
    return super.destroy(sid, tagged(cb));
  }

  override async set(sid: string, sess: SessionData, cb?: Callback): Promise<unknown> {
    const userId = (sess as unknown as { gatehouse?: { userId?: unknown } }).gatehouse?.userId;
    try {
      if (typeof userId === 'string') {
        const key = this.userKey(userId);
        const ttl = typeof this.ttl === 'number' ? this.ttl : 86_400;
        await execBounded(this.redis, this.commandTimeoutMs, () => this.redis.multi().sAdd(key, sid).expire(key, ttl).exec());
      }
    } catch (e) {
      return cb?.(redisError(e));
    }
    return super.set(sid, sess, tagged(cb));
  }

  /** Deletes every session of a user; returns how many existed. */
  async destroyAllOfUser(userId: string): Promise<number> {
    const key = this.userKey(userId);
    const sids = await this.redis.sMembers(key);
    let n = 0;
    if (sids.length) n = await this.redis.del(sids.map((sid) => `${this.prefix}${sid}`));
    await this.redis.del(key);
    return n;
  }
}
