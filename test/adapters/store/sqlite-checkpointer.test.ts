/**
 * SQLite checkpoints run in a worker thread: committed pages reach the database file while the
 * serving connection stays open and far below its own (fallback) checkpoint threshold.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../adapters/store/database.ts';

describe('SQLite checkpoints in the background', () => {
  it('copies committed pages into the database file without a checkpoint on the serving connection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-ckpt-'));
    const filename = join(dir, 'g.sqlite');
    const knex = openDatabase({ client: 'sqlite3', connection: { filename }, tablePrefix: 'gh_' });
    try {
      await migrate(knex, 'gh_');
      // Let the worker catch up with the migration, then measure from there.
      await new Promise((r) => setTimeout(r, 600));
      const before = statSync(filename).size;
      const rows = Array.from({ length: 400 }, (_, i) => ({ at: i, action: 'test', details: 'x'.repeat(500) }));
      for (let i = 0; i < rows.length; i += 50) await knex('gh_audit').insert(rows.slice(i, i + 50));
      // ~200 kB of pages: far below the serving connection's 10,000-page threshold, so only the
      // worker can have moved them into the file.
      expect(await knex.raw('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 10_000 }]);
      let size = statSync(filename).size;
      for (let i = 0; i < 40 && size <= before; i++) {
        await new Promise((r) => setTimeout(r, 50));
        size = statSync(filename).size;
      }
      expect(size).toBeGreaterThan(before + 100_000);
    } finally {
      await knex.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
