/** Run-time identity providers on knex (table `providers`, migration 007). */
import type { Knex } from 'knex';
import type { ProviderStore, StoredProviderRow } from '../../plugin/runtime/ports.ts';
import { isUniqueViolation } from './database.ts';

type Row = Record<string, unknown>;

function parseObject<T extends object>(v: unknown): T {
  const parsed: unknown = typeof v === 'string' ? JSON.parse(v) : v;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('provider row: not a JSON object');
  return parsed as T;
}

function fromRow(r: Row): StoredProviderRow {
  return {
    id: String(r.id),
    type: r.type === 'saml' ? 'saml' : 'oidc',
    config: parseObject<Record<string, unknown>>(r.config),
    secrets: parseObject<Record<string, string>>(r.secrets),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

const columns = (row: StoredProviderRow) => ({
  type: row.type,
  config: JSON.stringify(row.config),
  secrets: JSON.stringify(row.secrets),
  updated_at: row.updatedAt,
});

export class KnexProviderStore implements ProviderStore {
  readonly #db: Knex;
  readonly #table: string;

  constructor(db: Knex, prefix: string) {
    this.#db = db;
    this.#table = `${prefix}providers`;
  }

  async listProviders(): Promise<StoredProviderRow[]> {
    return ((await this.#db(this.#table).select('*').orderBy('created_at').orderBy('id')) as Row[]).map(fromRow);
  }

  async getProvider(id: string): Promise<StoredProviderRow | null> {
    const r = (await this.#db(this.#table).where({ id }).first()) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  async insertProvider(row: StoredProviderRow): Promise<boolean> {
    try {
      await this.#db(this.#table).insert({ id: row.id, created_at: row.createdAt, ...columns(row) });
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  async updateProvider(row: StoredProviderRow): Promise<boolean> {
    return (await this.#db(this.#table).where({ id: row.id }).update(columns(row))) > 0;
  }

  async deleteProvider(id: string): Promise<boolean> {
    return (await this.#db(this.#table).where({ id }).delete()) > 0;
  }
}
