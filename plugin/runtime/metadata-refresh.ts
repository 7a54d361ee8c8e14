/**
 * Keeps the IdP metadata of SAML providers with `metadataUrl` current on this instance: every
 * `tickMs`, each source of the snapshot in force whose `refreshMs` has passed is read again
 * (adapters/idp/saml-metadata-source.ts does the reading and keeps the last good copy). What the
 * sources report, however their read was caused (this timer or a login that met an unknown key),
 * becomes log lines (once per outage, once on recovery, once per certificate about to expire) and
 * metrics. Returns the stop function.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../http/metrics.ts';
import type { IdpMetadataSource, IdpMetadataState } from '../ports.ts';
import type { Runtime } from './state.ts';

/** A trusted certificate expiring within this is warned about (log line; the expiry gauge shows it anyway). */
export const CERTIFICATE_EXPIRY_WARNING_MS = 30 * 24 * 60 * 60 * 1000;

export interface MetadataRefreshDeps {
  runtime: Runtime;
  logger: Logger;
  metrics: Metrics;
  now: () => number;
}

/** What was last reported of one provider, so that each fact is said once. */
interface Seen {
  source: IdpMetadataSource;
  url: string;
  failing: boolean;
  failures: number;
  warned: Set<string>;
}

const isDue = (s: IdpMetadataState, nowMs: number) => s.lastAttemptAtMs === null || nowMs - s.lastAttemptAtMs >= s.refreshMs;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function watchIdpMetadata(deps: MetadataRefreshDeps, tickMs: number): () => void {
  const { logger, metrics, now } = deps;
  const seen = new Map<string, Seen>();
  let busy = false;

  const report = (provider: string, entry: Seen): void => {
    const s = entry.source.state();
    const nowMs = now();
    if (s.failures > entry.failures) metrics.samlMetadataFailures.inc({ provider }, s.failures - entry.failures);
    entry.failures = s.failures;
    if (s.lastError !== null && !entry.failing) {
      logger.warn({ provider, url: s.url, error: s.lastError, lastRefreshedAt: iso(s.lastRefreshedAtMs) }, 'SAML IdP metadata cannot be read; the last good copy stays in force');
    } else if (s.lastError === null && entry.failing) {
      logger.info({ provider, url: s.url }, 'SAML IdP metadata read again');
    }
    entry.failing = s.lastError !== null;
    if (s.lastRefreshedAtMs !== null) metrics.samlMetadataAge.set({ provider }, (nowMs - s.lastRefreshedAtMs) / 1000);
    const expiries = s.certificates.map((c) => ({ ...c, at: Date.parse(c.notAfter) }));
    if (expiries.length > 0) metrics.samlCertificateExpiry.set({ provider }, (Math.min(...expiries.map((c) => c.at)) - nowMs) / 1000);
    for (const c of expiries) {
      if (c.at - nowMs > CERTIFICATE_EXPIRY_WARNING_MS || entry.warned.has(c.fingerprint256)) continue;
      entry.warned.add(c.fingerprint256);
      logger.warn({ provider, subject: c.subject, notAfter: c.notAfter }, c.at <= nowMs ? 'a trusted SAML IdP certificate has expired' : 'a trusted SAML IdP certificate expires within 30 days');
    }
  };

  const forget = (provider: string): void => {
    seen.delete(provider);
    metrics.samlMetadataFailures.remove({ provider });
    metrics.samlMetadataAge.remove({ provider });
    metrics.samlCertificateExpiry.remove({ provider });
  };

  const tick = async (): Promise<void> => {
    const sources = new Map<string, IdpMetadataSource>();
    for (const [id, p] of deps.runtime.current().providers) if (p.adapter.idpMetadata) sources.set(id, p.adapter.idpMetadata);
    // An edited provider keeps its record unless its URL changed (its adapter is new, its source may not be).
    for (const [id, entry] of seen) if (sources.get(id)?.state().url !== entry.url) forget(id);
    const nowMs = now();
    await Promise.all([...sources.values()].filter((s) => isDue(s.state(), nowMs)).map((s) => s.refresh()));
    for (const [id, source] of sources) {
      let entry = seen.get(id);
      if (!entry) {
        seen.set(id, (entry = { source, url: source.state().url, failing: false, failures: 0, warned: new Set() }));
        // The series exists from the start, so that an alert on its increase sees the first failure.
        metrics.samlMetadataFailures.inc({ provider: id }, 0);
      }
      entry.source = source;
      report(id, entry);
    }
  };

  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    tick()
      .catch((e: unknown) => logger.warn({ err: e }, 'SAML IdP metadata check failed'))
      .finally(() => (busy = false));
  }, tickMs);
  timer.unref();
  return () => clearInterval(timer);
}
