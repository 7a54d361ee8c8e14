/**
 * How long a request waits for a database connection during an outage: knex's own default is
 * 60 s (a hung request for a minute); ours is 10 s unless `database.acquireConnectionTimeout`
 * says otherwise, and the timeout error counts as "dependency down" (503, not 500).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { DEFAULT_ACQUIRE_CONNECTION_TIMEOUT_MS, openDatabase } from '../../../adapters/store/database.ts';
import { isDependencyDown } from '../../../plugin/http/unavailable.ts';
import { PG_CONNECTION } from '../../support/db.ts';

describe('database connection acquire timeout', () => {
  const opened: Knex[] = [];
  afterEach(async () => {
    for (const k of opened.splice(0)) await k.destroy();
  });
  const open = (extra: Record<string, unknown>) => {
    const knex = openDatabase({ client: 'pg', connection: PG_CONNECTION, tablePrefix: 'gh_', ...extra });
    opened.push(knex);
    return knex;
  };

  it('defaults to 10 s instead of knex\'s 60 s', () => {
    expect(DEFAULT_ACQUIRE_CONNECTION_TIMEOUT_MS).toBe(10_000);
    expect(open({}).client.config.acquireConnectionTimeout).toBe(10_000);
  });

  it('keeps a configured value', () => {
    expect(open({ acquireConnectionTimeout: 2_500 }).client.config.acquireConnectionTimeout).toBe(2_500);
  });

  it('a request that finds no free connection in time fails with an error classified as dependency-down', async () => {
    const knex = open({ acquireConnectionTimeout: 300, pool: { min: 0, max: 1 } });
    const trx = await knex.transaction();
    try {
      const err = await knex.raw('select 1').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/Timeout acquiring a connection/);
      expect(isDependencyDown(err)).toBe(true);
    } finally {
      await trx.rollback();
    }
  });
});
