/**
 * Wires the plugin to real parts from a resolved config: knex store (migrated, organizations
 * seeded), session store, IdP adapters. Library users call `createGatehouseFromConfig` and
 * mount `router`; the standalone gateway does the same.
 */
import session from 'express-session';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '../plugin/config/schema.ts';
import { createGatehouse, createLogger, type Gatehouse, type GatehouseOptions } from '../plugin/gatehouse.ts';
import { watchCatalog } from '../plugin/admin/catalog.ts';
import { ConfigError } from '../plugin/errors.ts';
import type { IdpAdapter, SamlStateCache } from '../plugin/ports.ts';
import { connectRedis } from './redis/client.ts';
import { RedisSamlCache } from './redis/saml-cache.ts';
import { IndexedRedisSessionStore } from './redis/session-store.ts';
import { createOidcAdapter } from './idp/oidc.ts';
import { createSamlAdapter } from './idp/saml.ts';
import { featuresFor } from './features.ts';
import { KnexSessionStore } from './session/knex-session-store.ts';
import { migrate, openDatabase } from './store/database.ts';
import { KnexStore } from './store/knex-store.ts';

export interface BackendOptions {
  /** Public base URL (callback/ACS URLs, metadata); defaults to config.server.baseUrl. */
  baseUrl?: string | undefined;
  logger?: Logger | undefined;
  /** Replace an IdP adapter (tests inject misbehaving peers). */
  idps?: Map<string, IdpAdapter> | undefined;
  extra?: Partial<Omit<GatehouseOptions, 'config' | 'store' | 'sessionStore' | 'idps'>> | undefined;
  now?: (() => number) | undefined;
  /** How often this instance checks whether another one changed the catalog (default 5 s). */
  catalogPollMs?: number | undefined;
}

export interface Backend {
  gatehouse: Gatehouse;
  store: KnexStore;
  knex: Knex;
  logger: Logger;
  close(): Promise<void>;
}

/** Opens the database, applies migrations and seeds the organizations of the config. */
export async function openStore(config: ResolvedConfig, now?: () => number, logger?: Logger): Promise<KnexStore> {
  const knex = openDatabase(config.database, logger);
  try {
    await migrate(knex, config.database.tablePrefix);
  } catch (e) {
    await knex.destroy();
    throw e;
  }
  const store = new KnexStore(knex, config.database.tablePrefix, now);
  await store.seedOrganizations(config.organizations);
  return store;
}

export interface SharedState {
  sessionStore: session.Store;
  samlCache: SamlStateCache;
  close(): Promise<void>;
}

/**
 * Where sessions and the SAML caches live: the database (default), Redis (`sessions.store:
 * redis`, both in Redis), or memory for sessions in development.
 */
export async function createSharedState(config: ResolvedConfig, store: KnexStore, logger: Logger): Promise<SharedState> {
  switch (config.sessions.store) {
    case 'memory':
      logger.warn('sessions.store is "memory": sessions are lost on restart and not shared between instances; use it for development only');
      return { sessionStore: new session.MemoryStore(), samlCache: store, close: async () => {} };
    case 'redis': {
      if (!config.sessions.url) throw new ConfigError('sessions.url', 'required when sessions.store is "redis" (e.g. redis://127.0.0.1:6379)');
      const client = await connectRedis(config.sessions.url);
      const sessionStore = new IndexedRedisSessionStore(client, { ttlSeconds: Math.ceil(config.server.sessionMaxAgeMs / 1000) });
      store.setExternalSessionRevoker((userId) => sessionStore.destroyAllOfUser(userId));
      return {
        sessionStore,
        samlCache: new RedisSamlCache(client),
        async close() {
          await client.quit().catch(() => undefined);
        },
      };
    }
    default:
      return {
        sessionStore: new KnexSessionStore(store.knex, config.database.tablePrefix, config.server.sessionMaxAgeMs),
        samlCache: store,
        close: async () => {},
      };
  }
}

export async function createGatehouseFromConfig(config: ResolvedConfig, opts: BackendOptions = {}): Promise<Backend> {
  const logger = opts.logger ?? createLogger(config.log.level);
  const baseUrl = (opts.baseUrl ?? config.server.baseUrl ?? `http://${config.server.host}:${config.server.port}`).replace(/\/$/, '');
  const store = await openStore(config, opts.now, logger);
  let shared: SharedState | undefined;
  try {
    shared = await createSharedState(config, store, logger);
    const samlCache = shared.samlCache;
    const idps = new Map<string, IdpAdapter>();
    for (const p of config.providers) {
      const injected = opts.idps?.get(p.id);
      if (injected) idps.set(p.id, injected);
      else if (p.type === 'oidc') idps.set(p.id, createOidcAdapter(p, { baseUrl }));
      else idps.set(p.id, createSamlAdapter(p, { baseUrl, cache: samlCache, ...(opts.now ? { now: opts.now } : {}) }));
    }
    const features = featuresFor(config, store);
    const gatehouse = await createGatehouse({
      config: { ...config, server: { ...config.server, baseUrl } },
      store,
      sessionStore: shared.sessionStore,
      idps,
      logger,
      now: opts.now,
      ...(opts.extra ?? {}),
      loginHooks: [...features.flatMap((f) => f.loginHooks ?? []), ...(opts.extra?.loginHooks ?? [])],
      extensions: [...features.flatMap((f) => f.routers ?? []), ...(opts.extra?.extensions ?? [])],
      apis: features.flatMap((f) => f.apis ?? []),
    });
    const stops: (() => Promise<void>)[] = [];
    const sharedState = shared;
    for (const f of features) if (f.start) stops.push(await f.start(gatehouse.context));
    const sweep = setInterval(() => {
      store.sweepExpired().catch((e: unknown) => logger.warn({ err: e }, 'sweep of expired rows failed'));
    }, 60_000);
    sweep.unref();
    // Organizations, roles and groups added through another instance's admin API reach this one's engines.
    const stopCatalogWatch = watchCatalog(gatehouse.context, opts.catalogPollMs ?? 5_000);
    return {
      gatehouse,
      store,
      knex: store.knex,
      logger,
      async close() {
        clearInterval(sweep);
        stopCatalogWatch();
        for (const stop of stops.reverse()) await stop().catch((e: unknown) => logger.warn({ err: e }, 'feature stop failed'));
        await sharedState.close();
        await store.close();
      },
    };
  } catch (e) {
    await shared?.close();
    await store.close();
    throw e;
  }
}
