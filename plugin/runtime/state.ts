/**
 * The run-time state holder: `current()` is the snapshot in force, swapped whole (never
 * mutated) when something changes, on this instance after an admin write and on every other one
 * when its poll sees the version setting move. A login reads one snapshot from start to end.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { provisioningSchema, type ProviderConfig, type ProvisioningConfig, type ResolvedConfig } from '../config/schema.ts';
import type { StoreOps } from '../ports.ts';
import type { IdpFactory, ProviderStore } from './ports.ts';
import type { SecretBox } from './secret-box.ts';
import { AdapterCache, buildSnapshot, type RuntimeSnapshot, type SnapshotParts } from './snapshot.ts';
import { fromRow } from './stored-providers.ts';

/** The setting every instance watches: a new value means providers, catalog or provisioning changed. */
export const RUNTIME_VERSION_KEY = 'catalog.version';
/** Where the global provisioning block saved through the admin API lives. */
export const PROVISIONING_KEY = 'provisioning.global';

export interface Runtime {
  current(): RuntimeSnapshot;
  /** Reads everything again and swaps the snapshot (a broken change is logged and the old snapshot kept). */
  reload(): Promise<void>;
  /** After a write on this instance: moves the version every instance watches, then reloads. */
  changed(): Promise<void>;
  /** The snapshot `edit` would give, without swapping it in: throws ConfigError for an invalid change. */
  trial(edit: (parts: SnapshotParts) => SnapshotParts): Promise<RuntimeSnapshot>;
  /** The parts as stored now (providers opened), for routes that edit them. */
  parts(): Promise<SnapshotParts>;
}

export interface RuntimeDeps {
  config: ResolvedConfig;
  store: Pick<StoreOps, 'listOrganizations' | 'getSetting' | 'setSetting'>;
  /** Absent: providers come from the config file only. */
  providers?: ProviderStore | undefined;
  box: SecretBox;
  idpFactory: IdpFactory;
  logger: Logger;
}

/** A view of `runtime` that always answers `snapshot`: a login in flight keeps what it started with. */
export function pinned(runtime: Runtime, snapshot: RuntimeSnapshot): Runtime {
  return { ...runtime, current: () => snapshot };
}

export async function createRuntime(deps: RuntimeDeps): Promise<Runtime> {
  const { config, store, logger } = deps;
  const adapters = new AdapterCache(deps.idpFactory);

  const fileIds = new Set(config.providers.map((p) => p.id));
  const readStored = async (): Promise<ProviderConfig[]> => {
    const out: ProviderConfig[] = [];
    for (const row of (await deps.providers?.listProviders()) ?? []) {
      if (fileIds.has(row.id)) {
        logger.error({ provider: row.id }, 'run-time provider ignored: the config file defines a provider with this id');
        continue;
      }
      try {
        out.push(fromRow(row, deps.box));
      } catch (e) {
        // One unreadable row (a key removed too early) must not take every other provider down.
        logger.error({ provider: row.id, reason: e instanceof Error ? e.message : String(e) }, 'run-time provider skipped: it cannot be read');
      }
    }
    return out;
  };
  const readProvisioning = async (): Promise<ProvisioningConfig | null> => {
    const saved = await store.getSetting(PROVISIONING_KEY);
    return saved === null ? null : provisioningSchema.parse(saved);
  };
  const parts = async (): Promise<SnapshotParts> => {
    const version = await store.getSetting(RUNTIME_VERSION_KEY);
    const [organizations, stored, provisioning] = await Promise.all([store.listOrganizations(), readStored(), readProvisioning()]);
    return { version, organizations, stored, provisioning };
  };

  let snapshot: RuntimeSnapshot;
  const first = await parts();
  try {
    snapshot = buildSnapshot(config, first, adapters);
  } catch (e) {
    if (first.stored.length === 0 && first.provisioning === null) throw e;
    // The file alone must still start; what the database added waits for a fix through the API.
    logger.error({ err: e }, 'run-time providers or provisioning are invalid; starting with the config file alone');
    snapshot = buildSnapshot(config, { ...first, stored: [], provisioning: null }, adapters);
  }

  let chain: Promise<void> = Promise.resolve();
  const reloadOnce = async () => {
    const next = await parts();
    try {
      snapshot = buildSnapshot(config, next, adapters);
    } catch (e) {
      logger.error({ err: e }, 'run-time state reload failed; the previous one stays in force');
      // Seen: the poll waits for the next change instead of failing again every interval.
      snapshot = { ...snapshot, version: next.version };
    }
  };
  // One reload at a time, in order: the last one reads the newest state.
  const reload = () => (chain = chain.then(reloadOnce));

  return {
    current: () => snapshot,
    reload,
    async changed() {
      await store.setSetting(RUNTIME_VERSION_KEY, randomUUID());
      await reload();
    },
    async trial(edit) {
      return buildSnapshot(config, edit(await parts()), new AdapterCache(deps.idpFactory));
    },
    parts,
  };
}
