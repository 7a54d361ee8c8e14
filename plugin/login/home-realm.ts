/**
 * Home-realm discovery: which providers an email's domain leads to. The answer depends on the
 * domain alone, never on whether anyone with that email exists, so it tells nobody which
 * accounts there are.
 */
import type { ProviderConfig } from '../config/schema.ts';

export type ProviderListing = Pick<ProviderConfig, 'id' | 'type' | 'displayName' | 'domains' | 'discoverableOnly'>;

export type Discovery<P extends ProviderListing> =
  | { kind: 'one'; provider: P }
  | { kind: 'several'; providers: P[] }
  /** No provider claims the domain (or the input has none): the normal chooser. */
  | { kind: 'unknown'; providers: P[] };

/** The providers the sign-in chooser lists (those not kept for their domains only). */
export function chooserProviders<P extends ProviderListing>(all: Iterable<P>): P[] {
  return [...all].filter((p) => !p.discoverableOnly);
}

/** The lower-cased domain after the last `@`, or null when there is none. */
export function emailDomainOf(email: string): string | null {
  const at = email.lastIndexOf('@');
  const domain = at < 0 ? '' : email.slice(at + 1).trim().toLowerCase();
  return domain === '' ? null : domain;
}

export function discoverProviders<P extends ProviderListing>(all: Iterable<P>, email: string): Discovery<P> {
  const providers = [...all];
  const domain = emailDomainOf(email);
  const matching = domain === null ? [] : providers.filter((p) => p.domains?.includes(domain));
  if (matching.length === 1) return { kind: 'one', provider: matching[0]! };
  if (matching.length > 1) return { kind: 'several', providers: matching };
  return { kind: 'unknown', providers: chooserProviders(providers) };
}
