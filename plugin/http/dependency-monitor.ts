/**
 * Logs when a dependency (database, Redis) goes down and when it comes back: one line each per
 * outage, however many requests fail in between. Fed by the Redis client's connection events,
 * by `/healthz` checks and by requests that failed because of the outage.
 */
import type { Logger } from 'pino';

export interface DependencyMonitor {
  /** The dependency failed; logs `dependency unavailable` unless it is already known to be down. */
  down(name: string, err?: unknown): void;
  /** The dependency answered; logs `dependency available again` if it was down. */
  up(name: string): void;
  isDown(name: string): boolean;
}

const monitors = new WeakMap<Logger, DependencyMonitor>();

/** What of an error goes into the log line: its class, code and message, never a stack or a URL. */
function summary(err: unknown): Record<string, unknown> {
  if (typeof err !== 'object' || err === null) return {};
  const e = err as { code?: unknown; message?: unknown; constructor?: { name?: unknown } };
  return {
    error: typeof e.constructor?.name === 'string' ? e.constructor.name : 'Error',
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.message === 'string' && e.message !== '' ? { message: e.message.slice(0, 200) } : {}),
  };
}

/** The monitor of a logger (one per Gatehouse instance, shared by its adapters). */
export function dependencyMonitor(logger: Logger): DependencyMonitor {
  let m = monitors.get(logger);
  if (m) return m;
  const down = new Set<string>();
  m = {
    down(name, err) {
      if (down.has(name)) return;
      down.add(name);
      logger.error({ dependency: name, ...summary(err) }, 'dependency unavailable');
    },
    up(name) {
      if (down.delete(name)) logger.info({ dependency: name }, 'dependency available again');
    },
    isDown: (name) => down.has(name),
  };
  monitors.set(logger, m);
  return m;
}
