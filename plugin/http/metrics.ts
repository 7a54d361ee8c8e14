/** Prometheus metrics of one Gatehouse instance (its own registry, so several can coexist). */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  logins: Counter<'provider' | 'outcome'>;
  loginDuration: Histogram<'provider' | 'outcome'>;
  /** SCIM requests by action (`scim.user.get`, `scim.auth`...) and HTTP status. */
  scimRequests: Counter<'action' | 'status'>;
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
  };
}
