/**
 * Builds the ports from a resolved config (knex store migrated and seeded, session store, SAML
 * caches, IdP adapters, the feature stores) and hands them to the plugin's assembly. The package
 * entry (`createGatehouse` in index.ts), the standalone gateway and the CLI all come through here.
 */
import session from 'express-session';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '../plugin/config/schema.ts';
import { assembleGatehouse, type Gatehouse, type GatehouseOptions } from '../plugin/gatehouse.ts';
import { ConfigError } from '../plugin/errors.ts';
import type { HealthCheck } from '../plugin/http/health.ts';
import { createLogger } from '../plugin/logger.ts';
import type { IdpAdapter, SamlStateCache } from '../plugin/ports.ts';
import type { IdpFactory } from '../plugin/runtime/ports.ts';
import { createSecretBox } from '../plugin/runtime/secret-box.ts';
import { watchIdpMetadata } from '../plugin/runtime/metadata-refresh.ts';
import { watchRuntime } from '../plugin/runtime/watch.ts';
import { resolveSecrets } from '../plugin/secrets.ts';
import type { WebhooksFeatureOptions } from '../plugin/webhooks/feature.ts';
import { connectRedis, redisHealthCheck } from './redis/client.ts';
import { RedisSamlCache } from './redis/saml-cache.ts';
import { IndexedRedisSessionStore } from './redis/session-store.ts';
import { createOidcAdapter } from './idp/oidc.ts';
import { createMetadataReader, createProviderProbe } from './idp/probe.ts';
import { createSamlAdapter } from './idp/saml.ts';
import { SamlMetadataRegistry, type MetadataFetch } from './idp/saml-metadata-source.ts';
import { createRateLimiter } from './rate-limit/create.ts';
import { KnexSessionStore } from './session/knex-session-store.ts';
import { migrate, openDatabase } from './store/database.ts';
import { KnexStore } from './store/knex-store.ts';
import { KnexProviderStore } from './store/provider-store.ts';
import { KnexCatalogWriter } from './store/catalog-writer.ts';
import { KnexScimStore } from './store/scim-store.ts';
import { KnexWebhookStore } from './store/webhook-store.ts';

export interface BackendOptions {
  /** Public base URL (callback/ACS URLs, metadata); defaults to config.server.baseUrl. */
  baseUrl?: string | undefined;
  logger?: Logger | undefined;
  /** Replace an IdP adapter (tests inject misbehaving peers). */
  idps?: Map<string, IdpAdapter> | undefined;
  /** Login hooks and the Azure group-overage resolver, passed to the plugin as they are. */
  extra?: Pick<GatehouseOptions, 'loginHooks' | 'resolveGroups' | 'metrics'> | undefined;
  /** Webhook delivery overrides (transport, settings). */
  webhooks?: WebhooksFeatureOptions | undefined;
  now?: (() => number) | undefined;
  /** How often this instance checks whether another one changed the catalog (default 5 s). */
  catalogPollMs?: number | undefined;
  /** How often SAML IdP metadata sources are checked for a due refresh (default 1 s). */
  metadataTickMs?: number | undefined;
  /** Replaces the guarded HTTP GET of SAML IdP metadata (tests). */
  metadataFetch?: MetadataFetch | undefined;
  /**
   * false: no background work (sweeper, catalog watch, webhook dispatcher): a one-shot CLI command
   * that does its write and exits.
   */
  background?: boolean | undefined;
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

/** `secrets.encryptionKey` as a list, else the GATEHOUSE_ENCRYPTION_KEY variable, else none. */
export function encryptionKeys(config: ResolvedConfig): string[] {
  const k = config.secrets.encryptionKey;
  if (k !== undefined) return Array.isArray(k) ? k : [k];
  const env = process.env.GATEHOUSE_ENCRYPTION_KEY;
  if (env !== undefined && env !== '' && env.length < 32) throw new ConfigError('secrets.encryptionKey', 'GATEHOUSE_ENCRYPTION_KEY needs at least 32 characters');
  return env ? [env] : [];
}

export interface SharedState {
  sessionStore: session.Store;
  samlCache: SamlStateCache;
  /** What `/healthz` checks besides the database. */
  healthChecks?: HealthCheck[];
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
      const { commandTimeoutMs, connectTimeoutMs } = config.sessions;
      const client = await connectRedis({ url: config.sessions.url, logger, commandTimeoutMs, connectTimeoutMs });
      const ttlSeconds = Math.ceil(config.server.sessionMaxAgeMs / 1000);
      const sessionStore = new IndexedRedisSessionStore(client, { ttlSeconds, commandTimeoutMs });
      store.setExternalSessionRevoker((userId) => sessionStore.destroyAllOfUser(userId));
      return {
        sessionStore,
        samlCache: new RedisSamlCache(client),
        healthChecks: [redisHealthCheck(client)],
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

/** The instance's own timers: expired rows swept, catalog changes of other instances picked up. */
function startBackground(gatehouse: Gatehouse, store: KnexStore, logger: Logger, timing: { catalogPollMs: number; metadataTickMs: number }): () => void {
  const sweep = setInterval(() => {
    store.sweepExpired().catch((e: unknown) => logger.warn({ err: e }, 'sweep of expired rows failed'));
  }, 60_000);
  sweep.unref();
  // Providers, organizations and provisioning changed through another instance's admin API reach this one.
  const stopCatalogWatch = watchRuntime(gatehouse.context.runtime, store, logger, timing.catalogPollMs);
  // Each instance reads its SAML providers' IdP metadata for itself: nothing to share or store.
  const stopMetadataWatch = watchIdpMetadata(gatehouse.context, timing.metadataTickMs);
  return () => {
    clearInterval(sweep);
    stopCatalogWatch();
    stopMetadataWatch();
  };
}

export async function createGatehouseFromConfig(config: ResolvedConfig, opts: BackendOptions = {}): Promise<Backend> {
  const logger = opts.logger ?? createLogger(config.log.level);
  const baseUrl = (opts.baseUrl ?? config.server.baseUrl ?? `http://${config.server.host}:${config.server.port}`).replace(/\/$/, '');
  const store = await openStore(config, opts.now, logger);
  let shared: SharedState | undefined;
  try {
    shared = await createSharedState(config, store, logger);
    const samlCache = shared.samlCache;
    const metadata = new SamlMetadataRegistry(opts.metadataFetch, opts.now);
    // The config file's metadata URLs are read before the first snapshot needs them.
    await metadata.loadAtStart(config.providers.flatMap((p, i) => (p.type === 'saml' ? [{ provider: p, keyPath: `providers[${i}]` }] : [])));
    const idpFactory: IdpFactory = (p, keyPath) => {
      const injected = opts.idps?.get(p.id);
      if (injected) return injected;
      if (p.type === 'oidc') return createOidcAdapter(p, { baseUrl, keyPath });
      const source = p.metadataUrl === undefined ? undefined : metadata.sourceFor({ ...p, metadataUrl: p.metadataUrl });
      return createSamlAdapter(p, { baseUrl, keyPath, cache: samlCache, metadata: source, ...(opts.now ? { now: opts.now } : {}) });
    };
    // Brute-force limits (rateLimits): read by the login start, SCIM and admin token checks.
    const rateLimiter = await createRateLimiter(config, logger);
    const gatehouse = await assembleGatehouse({
      rateLimiter,
      config: { ...config, server: { ...config.server, baseUrl } },
      secrets: await resolveSecrets(config, store),
      store,
      sessionStore: shared.sessionStore,
      idpFactory,
      providerStore: new KnexProviderStore(store.knex, config.database.tablePrefix),
      secretBox: createSecretBox(encryptionKeys(config)),
      features: {
        webhooks: new KnexWebhookStore(store.knex, config.database.tablePrefix),
        scim: new KnexScimStore(store),
        catalog: new KnexCatalogWriter(store, config.database.tablePrefix),
        probe: createProviderProbe(baseUrl, opts.now),
        samlMetadata: createMetadataReader(opts.now),
        audit: (entry) => store.audit(entry),
        webhookOptions: opts.webhooks,
      },
      logger,
      now: opts.now,
      healthChecks: shared.healthChecks,
      background: opts.background,
      ...(opts.extra ?? {}),
    });
    const sharedState = shared;
    const stopBackground = opts.background === false ? () => {} : startBackground(gatehouse, store, logger, { catalogPollMs: opts.catalogPollMs ?? 5_000, metadataTickMs: opts.metadataTickMs ?? 1_000 });
    return {
      gatehouse,
      store,
      knex: store.knex,
      logger,
      async close() {
        stopBackground();
        await gatehouse.stop();
        await rateLimiter?.close();
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
