/**
 * The audit trail of SCIM requests that write nothing (reads, refused requests, failed writes):
 * one row per request, with the token's name, written in batches so that a read costs no commit
 * of its own. Writes are audited inside their own transaction instead (see `auditWrite`).
 */
import type { Logger } from 'pino';
import type { ScimStore, TimedAuditEntry } from './ports.ts';

export interface ScimAuditLog {
  record(entry: TimedAuditEntry): void;
  /** Writes what is queued (tests, shutdown). */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
}

export interface AuditLogOptions {
  flushIntervalMs?: number;
  /** Queue length that triggers an immediate flush. */
  batchSize?: number;
  /** Past this many unwritten rows (database down), the oldest are dropped with a warning. */
  maxQueued?: number;
}

export function createScimAuditLog(store: Pick<ScimStore, 'auditMany'>, logger: Logger, options: AuditLogOptions = {}): ScimAuditLog {
  const interval = options.flushIntervalMs ?? 250;
  const batchSize = options.batchSize ?? 200;
  const maxQueued = options.maxQueued ?? 50_000;
  let queue: TimedAuditEntry[] = [];
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    const batch = queue;
    queue = [];
    if (batch.length === 0) return running;
    running = running.then(() =>
      store.auditMany(batch).catch((err: unknown) => {
        logger.error({ err, rows: batch.length }, 'SCIM audit rows could not be written');
        if (queue.length + batch.length <= maxQueued) queue = [...batch, ...queue];
      }),
    );
    return running;
  };

  return {
    record(entry) {
      queue.push(entry);
      if (queue.length > maxQueued) {
        const dropped = queue.length - maxQueued;
        queue = queue.slice(dropped);
        logger.warn({ dropped }, 'SCIM audit queue full: oldest rows dropped');
      }
      if (queue.length >= batchSize) void flush();
      else if (timer === null) {
        timer = setTimeout(() => void flush(), interval);
        timer.unref();
      }
    },
    flush,
    async close() {
      await flush();
    },
  };
}
