/**
 * connect-redis, plus a per-user index of session ids so that deprovisioning can end every
 * session of a user at once, on every instance.
 */
import { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import type { RedisClient } from './client.ts';

type Callback = (err?: unknown, data?: unknown) => unknown;

export class IndexedRedisSessionStore extends RedisStore {
  private readonly redis: RedisClient;

  constructor(client: RedisClient, opts: { prefix?: string; ttlSeconds: number }) {
    super({ client, prefix: opts.prefix ?? 'gatehouse:sess:', ttl: opts.ttlSeconds });
    this.redis = client;
  }

  private userKey(userId: string): string {
    return `${this.prefix}user:${userId}`;
  }

  override async set(sid: string, sess: SessionData, cb?: Callback): Promise<unknown> {
    const userId = (sess as unknown as { gatehouse?: { userId?: unknown } }).gatehouse?.userId;
    try {
      if (typeof userId === 'string') {
        const key = this.userKey(userId);
        await this.redis.multi().sAdd(key, sid).expire(key, typeof this.ttl === 'number' ? this.ttl : 86_400).exec();
      }
    } catch (e) {
      return cb?.(e);
    }
    return super.set(sid, sess, cb);
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
