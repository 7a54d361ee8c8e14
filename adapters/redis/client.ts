/**
 * One node-redis client for sessions and the SAML caches when `sessions.store` is `redis`,
 * set up to fail fast during an outage: no offline queue (a command sent while the connection is
 * down is rejected at once instead of waiting for the reconnect), a timeout on every command, a
 * bounded connect. It reconnects by itself; the outage and the recovery are logged once each.
 */
import { createClient } from 'redis';
import type { Logger } from 'pino';
import { dependencyMonitor } from '../../plugin/http/dependency-monitor.ts';
import type { HealthCheck } from '../../plugin/http/health.ts';
import { ConfigError, GatehouseError, isGatehouseError } from '../../plugin/errors.ts';
import { isDependencyDown, UNAVAILABLE_MESSAGE } from '../../plugin/http/unavailable.ts';

export type RedisClient = ReturnType<typeof createClient>;

export interface RedisOptions {
  url: string;
  logger: Logger;
  /** A command without an answer after this long fails with a TimeoutError. */
  commandTimeoutMs: number;
  connectTimeoutMs: number;
}

/** Wait between reconnect attempts: 100 ms more per attempt, at most 3 s. */
export function reconnectDelayMs(retries: number): number {
  return Math.min(retries * 100, 3_000);
}

/** Attempts at the first connection before the start gives up. */
const FIRST_CONNECT_ATTEMPTS = 3;

/**
 * Connects and keeps reconnecting after that. The first connection must succeed within a few
 * attempts: a start with Redis down fails with the key to check instead of waiting for ever.
 */
export async function connectRedis(opts: RedisOptions): Promise<RedisClient> {
  let connected = false;
  const client = createClient({
    url: opts.url,
    disableOfflineQueue: true,
    commandOptions: { timeout: opts.commandTimeoutMs },
    socket: {
      connectTimeout: opts.connectTimeoutMs,
      reconnectStrategy: (retries: number, cause: Error) => {
        if (connected || retries < FIRST_CONNECT_ATTEMPTS - 1) return reconnectDelayMs(retries);
        // The URL may hold a password: the message names the key, not its value.
        const reason = (cause as { code?: string }).code ?? cause.message;
        return new ConfigError('sessions.url', `Redis unreachable (${reason}) after ${FIRST_CONNECT_ATTEMPTS} attempts`);
      },
    },
  });
  client.once('ready', () => (connected = true));
  const monitor = dependencyMonitor(opts.logger);
  // Without an error listener node-redis throws on connection errors. Every failed reconnect
  // attempt emits one; the monitor logs the first of an outage only.
  client.on('error', (err: unknown) => monitor.down('redis', err));
  client.on('ready', () => monitor.up('redis'));
  try {
    await client.connect();
  } catch (e) {
    // node-redis wraps what the strategy returned; the start reports our own error.
    const own = (e as { originalError?: unknown }).originalError;
    throw own instanceof ConfigError ? own : e;
  }
  return client;
}

/** `/healthz` check: a PING, which fails at once while the client is disconnected. */
export function redisHealthCheck(client: RedisClient): HealthCheck {
  return { name: 'redis', check: () => client.ping() };
}

/**
 * A MULTI does not go through the offline-queue check nor the per-command timeout of node-redis;
 * this refuses it while disconnected and bounds its wait like any other command.
 */
export async function execBounded<T>(client: RedisClient, timeoutMs: number, run: () => Promise<T>): Promise<T> {
  if (!client.isReady) throw redisDown('disconnected');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(redisDown('timeout')), timeoutMs);
  });
  try {
    return await Promise.race([run(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function redisDown(reason: string, cause?: unknown): GatehouseError {
  return new GatehouseError('ERR_UNAVAILABLE', UNAVAILABLE_MESSAGE, { cause, details: { dependency: 'redis', reason } });
}

/**
 * An error of a Redis call, named for what it is: a connection-level failure (offline, timeout,
 * a socket reset, which carries the same codes as a database's) becomes `ERR_UNAVAILABLE` with
 * `dependency: 'redis'`; anything else (an error reply, a parse error) is returned as is.
 */
export function redisError(err: unknown): unknown {
  return isDependencyDown(err) && !isGatehouseError(err) ? redisDown('connection', err) : err;
}
