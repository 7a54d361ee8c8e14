/** Prometheus metrics of one Gatehouse instance (its own registry, so several can coexist). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  logins: Counter<'provider' | 'outcome'>;
  loginDuration: Histogram<'provider' | 'outcome'>;
  /** SCIM requests by action (`scim.user.get`, `scim.auth`...) and HTTP status. */
  scimRequests: Counter<'action' | 'status'>;
  /** SAML IdP metadata (plugin/runtime/metadata-refresh.ts): failed reads, age of the copy in force, certificate expiry. */
  samlMetadataFailures: Counter<'provider'>;
  samlMetadataAge: Gauge<'provider'>;
  samlCertificateExpiry: Gauge<'provider'>;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
  return {
    registry,
    logins: new Counter({
      name: 'gatehouse_logins_total',
      help: 'Logins by provider and outcome',
      labelNames: ['provider', 'outcome'],
      registers: [registry],
    }),
    loginDuration: new Histogram({
      name: 'gatehouse_login_duration_seconds',
      help: 'Time from IdP callback to session, by provider and outcome',
      labelNames: ['provider', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    scimRequests: new Counter({
      name: 'gatehouse_scim_requests_total',
      help: 'SCIM requests by action (scim.<resource>.<verb>, scim.auth, scim.discovery...) and HTTP status',
      labelNames: ['action', 'status'],
      registers: [registry],
    }),
    samlMetadataFailures: new Counter({
      name: 'gatehouse_saml_metadata_refresh_failures_total',
      help: 'Failed reads of a SAML provider\'s IdP metadata (metadataUrl); the last good copy stays in force',
      labelNames: ['provider'],
      registers: [registry],
    }),
    samlMetadataAge: new Gauge({
      name: 'gatehouse_saml_metadata_age_seconds',
      help: 'Seconds since the IdP metadata in force was read (absent until the first good read)',
      labelNames: ['provider'],
      registers: [registry],
    }),
    samlCertificateExpiry: new Gauge({
      name: 'gatehouse_saml_idp_certificate_expiry_seconds',
      help: 'Seconds until the first trusted IdP signing certificate of a metadataUrl provider expires (negative: expired)',
      labelNames: ['provider'],
      registers: [registry],
    }),
  };
}
