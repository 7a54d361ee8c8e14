/** Which providers an email's domain leads to, and the config rules for `domains` and `discoverableOnly`. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../plugin/config/parse.ts';
import { ConfigError } from '../../../plugin/errors.ts';
import { discoverProviders, type ProviderListing } from '../../../plugin/login/home-realm.ts';

const oidc = (id: string, extra: Partial<ProviderListing> = {}) => ({ id, type: 'oidc' as const, issuer: 'http://127.0.0.1:9/idp', clientId: 'app', ...extra });

function keyPathOf(providers: unknown[]): string {
  try {
    parseConfig({ providers });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).path;
  }
  return expect.fail('expected a ConfigError');
}

describe('discoverProviders', () => {
  const a = oidc('a', { domains: ['acme.com'] });
  const b = oidc('b', { domains: ['b.test'], discoverableOnly: true });
  const c = oidc('c');

  it('finds the one provider of the domain, case-insensitively', () => {
    expect(discoverProviders([a, b, c], 'Jane@ACME.com')).toEqual({ kind: 'one', provider: a });
    expect(discoverProviders([a, b, c], 'x@b.test')).toEqual({ kind: 'one', provider: b });
  });

  it('offers the providers not kept for their domains when none claims it (subdomains are other domains)', () => {
    expect(discoverProviders([a, b, c], 'jane@eu.acme.com')).toEqual({ kind: 'unknown', providers: [a, c] });
  });

  it('lets the user choose when two providers claim a domain (saved at once on two instances)', () => {
    const a2 = oidc('a2', { domains: ['acme.com'] });
    expect(discoverProviders([a, a2, c], 'jane@acme.com')).toEqual({ kind: 'several', providers: [a, a2] });
  });
});

describe('config: domains and discoverableOnly', () => {
  it('accepts lower-case domain names', () => {
    expect(parseConfig({ providers: [oidc('a', { domains: ['acme.com', 'xn--bcher-kva.example'] })] }).providers[0]?.domains).toEqual(['acme.com', 'xn--bcher-kva.example']);
  });

  it('names a domain claimed by two providers by its key path', () => {
    expect(keyPathOf([oidc('a', { domains: ['acme.com'] }), oidc('b', { domains: ['b.test', 'acme.com'] })])).toBe('providers[1].domains[1]');
    expect(keyPathOf([oidc('a', { domains: ['acme.com', 'acme.com'] })])).toBe('providers[0].domains[1]');
  });

  it('refuses what is not a lower-case domain name, naming the entry', () => {
    for (const bad of ['Acme.com', '@acme.com', 'acme', 'acme..com', '-acme.com', 'acme.com/x', 'jane@acme.com']) {
      expect(keyPathOf([oidc('a', { domains: ['ok.test', bad] })]), bad).toBe('providers[0].domains[1]');
    }
  });

  it('refuses a provider kept off the chooser without a domain to reach it by', () => {
    expect(keyPathOf([oidc('a'), oidc('b', { discoverableOnly: true })])).toBe('providers[1].discoverableOnly');
  });
});
