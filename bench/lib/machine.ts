/** The machine a benchmark ran on, as one line for the docs. */
import os from 'node:os';
import type { Knex } from 'knex';
import { dialectOf } from '../../adapters/store/dialect.ts';

export function hostLine(): string {
  const cpus = os.cpus();
  const memGiB = os.totalmem() / 1024 ** 3;
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${memGiB.toFixed(0)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** `SQLite 3.x` / `PostgreSQL 15.x` / `MariaDB 10.x`, asked of the server itself. */
export async function databaseVersion(knex: Knex): Promise<string> {
  const dialect = dialectOf(knex);
  const first = (rows: unknown): Record<string, unknown> => {
    const list = (Array.isArray(rows) ? rows : ((rows as { rows?: unknown[] }).rows ?? [])) as unknown[];
    const row = Array.isArray(list[0]) ? (list[0] as unknown[])[0] : list[0];
    return (row ?? {}) as Record<string, unknown>;
  };
  if (dialect === 'sqlite') return `SQLite ${String(first(await knex.raw('select sqlite_version() as v')).v)}`;
  if (dialect === 'pg') return `PostgreSQL ${String(first(await knex.raw('show server_version')).server_version).split(' ')[0]}`;
  const v = String(first(await knex.raw('select version() as v')).v);
  return /mariadb/i.test(v) ? `MariaDB ${v.split('-')[0]}` : `MySQL ${v}`;
}

/** "Machine: ..., databases: ..." for a docs section. */
export function machineLine(databases: readonly string[]): string {
  return `Machine: ${hostLine()}${databases.length ? `; ${databases.join(', ')}` : ''}.`;
}

/**
 * The machine's load average (1/5/15 min). Other processes share the cores; a figure taken
 * under load is slower than the machine can do, so the docs say what the load was.
 */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
}
