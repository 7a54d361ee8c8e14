/**
 * What every migration file is and shares; the list of them is in index.ts, which imports the
 * files (the files import only this one).
 */
import type { Knex } from 'knex';
import { dialectOf } from '../dialect.ts';

export interface Migration {
  name: string;
  up(db: Knex, prefix: string): Promise<void>;
  down(db: Knex, prefix: string): Promise<void>;
}

/**
 * On MySQL/MariaDB, makes a table compare strings byte for byte (utf8mb4_bin), as SQLite and
 * PostgreSQL do: role names match exactly, and `Admin` and `admin` are two roles. No-op elsewhere.
 */
export function exactStrings(db: Knex, t: Knex.CreateTableBuilder): void {
  if (dialectOf(db) === 'mysql') {
    t.charset('utf8mb4');
    t.collate('utf8mb4_bin');
  }
}
