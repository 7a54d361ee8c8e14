/**
 * `GET /healthz`: runs every dependency check (the database always; Redis when sessions live
 * there), each bounded by a timeout so the probe never hangs, and answers 200
 * `{status:'ok', checks:{database:'ok', ...}}` or 503 with `Retry-After`
 * `{status:'unavailable', checks:{database:'ok', redis:'down'}}`.
 */
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { dependencyMonitor } from './dependency-monitor.ts';
import { setRetryAfter } from './unavailable.ts';

/** One dependency the instance cannot serve without; `check` rejects when it is down. */
export interface HealthCheck {
  name: string;
  check(): Promise<unknown>;
}

/** A check that has not answered after this long counts as down. */
export const HEALTH_CHECK_TIMEOUT_MS = 3_000;

function bounded(check: () => Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([check(), timeout]).finally(() => clearTimeout(timer));
}

/** The `/healthz` handler over these checks; outages and recoveries go to the dependency monitor. */
export function healthHandler(logger: Logger, checks: HealthCheck[], timeoutMs = HEALTH_CHECK_TIMEOUT_MS): RequestHandler {
  const monitor = dependencyMonitor(logger);
  return async (_req, res) => {
    const results = await Promise.all(
      checks.map(async (c) => {
        try {
          await bounded(() => c.check(), timeoutMs);
          monitor.up(c.name);
          return [c.name, 'ok'] as const;
        } catch (e) {
          monitor.down(c.name, e);
          return [c.name, 'down'] as const;
        }
      }),
    );
    const body = Object.fromEntries(results);
    if (results.every(([, r]) => r === 'ok')) {
      res.json({ status: 'ok', checks: body });
      return;
    }
    setRetryAfter(res);
    res.status(503).json({ status: 'unavailable', checks: body });
  };
}
