/** One node-redis client for sessions and the SAML caches when `sessions.store` is `redis`. */
import { createClient } from 'redis';

export type RedisClient = ReturnType<typeof createClient>;

export async function connectRedis(url: string): Promise<RedisClient> {
  const client = createClient({ url, socket: { connectTimeout: 5000, reconnectStrategy: (retries) => Math.min(retries * 100, 3000) } });
  // Without a listener node-redis throws on connection errors; reconnects are handled by the strategy.
  client.on('error', () => {});
  await client.connect();
  return client;
}
