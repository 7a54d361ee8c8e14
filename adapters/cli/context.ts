/**
 * Shared helpers for CLI commands: load the config, open what the command needs (the database
 * alone, or Gatehouse without its background work), close it afterwards.
 */
import type { ResolvedConfig } from '../../plugin/config/schema.ts';
import { GatehouseError } from '../../plugin/errors.ts';
import { createLogger } from '../../plugin/logger.ts';
import { createGatehouseFromConfig, openStore, type Backend } from '../backend.ts';
import { loadConfigFile } from '../config/load.ts';
import type { KnexStore } from '../store/knex-store.ts';
import { KnexProviderStore } from '../store/provider-store.ts';

// Commands print results; logs go to stderr at warn level so stdout stays machine-readable.
const cliLogger = () => createLogger('warn');

/** For commands that only read or write rows (tokens, policies): the database and nothing else. */
export async function withStore<T>(configFile: string, fn: (store: KnexStore, config: ResolvedConfig) => Promise<T>): Promise<T> {
  const config = loadConfigFile(configFile);
  let store: KnexStore;
  try {
    store = await openStore(config, undefined, cliLogger());
  } catch (e) {
    throw describeStartError(e);
  }
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}

/**
 * For commands that run Gatehouse's rules (explain, approval, overrides): the whole backend, so
 * sessions in Redis are reachable, but no dispatcher, sweeper or catalog watch.
 */
export async function withBackend<T>(configFile: string, fn: (backend: Backend) => Promise<T>): Promise<T> {
  const config = loadConfigFile(configFile);
  let backend: Backend;
  try {
    backend = await createGatehouseFromConfig(config, { logger: cliLogger(), background: false });
  } catch (e) {
    throw describeStartError(e);
  }
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

/** Turns driver errors into one line that says what to fix. */
export function describeStartError(e: unknown): Error {
  if (e instanceof GatehouseError) return e;
  const err = e as { code?: string; message?: string };
  if (err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'ETIMEDOUT') {
    return new Error(`database unreachable (${err.code}): check database.connection`);
  }
  // better-sqlite3 checks the file's directory itself (a TypeError) before SQLite can say SQLITE_CANTOPEN.
  const missingDir = e instanceof TypeError && /^Cannot open database because the directory does not exist/.test(err.message ?? '');
  if (err.code === 'SQLITE_CANTOPEN' || missingDir) return new Error('database unreachable: cannot open the SQLite file (check database.connection.filename)');
  return e instanceof Error ? e : new Error(String(e));
}

export async function findUserByEmailOrId(store: Pick<KnexStore, 'findUserByEmail' | 'getUser'>, emailOrId: string) {
  const user = emailOrId.includes('@') ? await store.findUserByEmail(emailOrId.toLowerCase()) : await store.getUser(emailOrId);
  if (!user) throw new GatehouseError('ERR_NOT_FOUND', `no user "${emailOrId}"`);
  return user;
}

/** A provider id of the config file or of the run-time providers, or the error the CLI prints. */
export async function checkProvider(config: ResolvedConfig, store: KnexStore, id: string): Promise<void> {
  if (config.providers.some((p) => p.id === id)) return;
  if (await new KnexProviderStore(store.knex, config.database.tablePrefix).getProvider(id)) return;
  throw new GatehouseError('ERR_UNKNOWN_PROVIDER', `unknown provider "${id}"`);
}
