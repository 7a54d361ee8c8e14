/** A real pino logger (the product's own, redaction included) whose lines a test can read. */
import type { Logger } from 'pino';
import { createLogger } from '../../plugin/logger.ts';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface CapturedLogs {
  logger: Logger;
  lines: LogLine[];
  /** The lines whose message is `msg` (and whose fields match `fields`, when given). */
  find(msg: string, fields?: Record<string, unknown>): LogLine[];
}

/** Records every line at `level` and above. */
export function captureLogs(level = 'info'): CapturedLogs {
  const lines: LogLine[] = [];
  const logger = createLogger(level, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return {
    logger,
    lines,
    find(msg, fields = {}) {
      return lines.filter((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v));
    },
  };
}
