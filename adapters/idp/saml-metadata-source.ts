/**
 * The IdP metadata behind a SAML provider's `metadataUrl`: read at start (config-file providers),
 * again whenever plugin/runtime/metadata-refresh.ts finds it due, and at once after a login fails
 * on a signature no trusted key verifies (at most once a minute). A read that fails keeps the
 * last good copy. Sources are kept per provider and URL, so an adapter rebuilt for a run-time edit
 * keeps what was read; every instance reads for itself (nothing is shared or stored).
 */
import type { SamlProviderConfig } from '../../plugin/config/schema.ts';
import { ConfigError } from '../../plugin/errors.ts';
import type { IdpMetadataSource, IdpMetadataState, TrustedCertificate } from '../../plugin/ports.ts';
import { guardedGet } from './guarded-get.ts';
import { certificateFacts, parseIdpMetadata, ssoUrlOf, type IdpMetadata } from './saml-metadata.ts';

/** Fetches a metadata document; throws an Error saying why not. */
export type MetadataFetch = (url: string, allowPrivateNetwork: boolean) => Promise<string>;

/** The shortest gap between two reads made because a login met an unknown key (a forger can cause them). */
export const UNKNOWN_KEY_REFRESH_GAP_MS = 60_000;

export interface SamlMetadataSource {
  /** The last good copy, null before the first. */
  current(): IdpMetadata | null;
  /** Everything but the certificates, which the adapter knows (its fallback `idpCert`). */
  state(): Omit<IdpMetadataState, 'certificates'>;
  refresh(): Promise<boolean>;
  /** After a login met an unknown signing key: reads again unless one was made within the gap; true when the certificates changed. */
  refreshForUnknownKey(): Promise<boolean>;
}

const why = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The metadata fetched under the private-network guard, as "test connection" does. */
export const guardedMetadataFetch: MetadataFetch = async (url, allowPrivateNetwork) => {
  const res = await guardedGet(url, allowPrivateNetwork);
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return res.body;
};

function createSource(provider: SamlProviderConfig & { metadataUrl: string }, fetch: MetadataFetch, now: () => number): SamlMetadataSource {
  const url = provider.metadataUrl;
  let good: IdpMetadata | null = null;
  let lastRefreshedAtMs: number | null = null;
  let lastAttemptAtMs: number | null = null;
  let lastError: string | null = null;
  let failures = 0;
  let inFlight: Promise<boolean> | null = null;

  /** A copy that would break logins is refused as a failed read, so the last good one stays. */
  const accept = (m: IdpMetadata): IdpMetadata => {
    const entityId = provider.idpIssuer ?? good?.entityId ?? m.entityId;
    if (m.entityId !== entityId) throw new Error(`the metadata names entity "${m.entityId ?? ''}", not "${entityId ?? ''}"`);
    if (m.signingCertificatePems.length === 0) throw new Error('the metadata lists no signing certificate');
    if (provider.entryPoint === undefined && ssoUrlOf(m) === null) throw new Error('the metadata lists no SingleSignOnService');
    return m;
  };
  const read = async (): Promise<boolean> => {
    const at = now();
    lastAttemptAtMs = at;
    try {
      good = accept(parseIdpMetadata(await fetch(url, provider.allowPrivateNetwork === true), at));
      lastRefreshedAtMs = at;
      lastError = null;
      return true;
    } catch (e) {
      failures += 1;
      lastError = why(e).slice(0, 500);
      return false;
    }
  };
  const refresh = (): Promise<boolean> => (inFlight ??= read().finally(() => (inFlight = null)));
  const fingerprints = () => (good?.signingCertificates ?? []).map((c) => c.fingerprint256).join(',');

  return {
    current: () => good,
    state: () => ({ url, refreshMs: provider.metadataRefreshMs, lastRefreshedAtMs, lastAttemptAtMs, lastError, failures }),
    refresh,
    async refreshForUnknownKey() {
      if (inFlight === null && lastAttemptAtMs !== null && now() - lastAttemptAtMs < UNKNOWN_KEY_REFRESH_GAP_MS) return false;
      const before = fingerprints();
      return (await refresh()) && fingerprints() !== before;
    },
  };
}

/** The plugin's view of a source: its state with the certificates the adapter trusts now (`trusted()`). */
export function metadataPort(source: SamlMetadataSource, trusted: () => string[], now: () => number): IdpMetadataSource {
  let cached: { pems: string[]; facts: TrustedCertificate[] } | null = null;
  const certificates = (): TrustedCertificate[] => {
    const pems = trusted();
    if (cached?.pems !== pems) {
      cached = { pems, facts: pems.map((pem) => certificateFacts(pem, now())).map(({ subject, notAfter, fingerprint256 }) => ({ subject, notAfter, fingerprint256 })) };
    }
    return cached.facts;
  };
  return { state: () => ({ ...source.state(), certificates: certificates() }), refresh: () => source.refresh() };
}

/** The metadata sources of this instance, one per provider id and what its reads depend on. */
export class SamlMetadataRegistry {
  readonly #sources = new Map<string, SamlMetadataSource>();
  readonly #fetch: MetadataFetch;
  readonly #now: () => number;

  constructor(fetch: MetadataFetch = guardedMetadataFetch, now: () => number = Date.now) {
    this.#fetch = fetch;
    this.#now = now;
  }

  /** The source of a provider with `metadataUrl` (made on first use, unread). */
  sourceFor(provider: SamlProviderConfig & { metadataUrl: string }): SamlMetadataSource {
    const key = JSON.stringify([provider.id, provider.metadataUrl, provider.allowPrivateNetwork === true, provider.idpIssuer ?? null, provider.entryPoint ?? null, provider.metadataRefreshMs]);
    let source = this.#sources.get(key);
    if (!source) this.#sources.set(key, (source = createSource(provider, this.#fetch, this.#now)));
    return source;
  }

  /**
   * At start, for the config file's providers: reads each `metadataUrl` once. A provider that
   * gives entryPoint, idpIssuer and idpCert starts on them when the read fails (the refresh
   * keeps trying); one that does not stops the start, naming `{keyPath}.metadataUrl`.
   */
  async loadAtStart(providers: readonly { provider: SamlProviderConfig; keyPath: string }[]): Promise<void> {
    await Promise.all(
      providers.map(async ({ provider, keyPath }) => {
        const metadataUrl = provider.metadataUrl;
        if (metadataUrl === undefined) return;
        const source = this.sourceFor({ ...provider, metadataUrl });
        if (source.current() !== null || (await source.refresh())) return;
        const fallback = provider.entryPoint !== undefined && provider.idpIssuer !== undefined && provider.idpCert !== undefined;
        if (!fallback) throw new ConfigError(`${keyPath}.metadataUrl`, `the IdP metadata could not be read (${source.state().lastError ?? 'unknown error'}), and entryPoint, idpIssuer and idpCert are not all given to start without it`);
      }),
    );
  }
}
