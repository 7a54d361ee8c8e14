/** Shared helpers for CLI commands: load config, open the backend, close it afterwards. */
import { loadConfigFile } from '../config/load.ts';
import { createGatehouseFromConfig, type Backend } from '../backend.ts';
import { createLogger } from '../../plugin/logger.ts';
import { GatehouseError } from '../../plugin/errors.ts';

export async function withBackend<T>(configFile: string, fn: (backend: Backend) => Promise<T>): Promise<T> {
  const config = loadConfigFile(configFile);
  // Commands print results; logs go to stderr at warn level so stdout stays machine-readable.
  const logger = createLogger('warn');
  let backend: Backend;
  try {
    backend = await createGatehouseFromConfig(config, { logger });
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

export async function findUserByEmailOrId(backend: Backend, emailOrId: string) {
  const user = emailOrId.includes('@') ? await backend.store.findUserByEmail(emailOrId.toLowerCase()) : await backend.store.getUser(emailOrId);
  if (!user) throw new GatehouseError('ERR_NOT_FOUND', `no user "${emailOrId}"`);
  return user;
}
