/** The SAML ACS URL: `{baseUrl}/auth/{id}/callback`, or the provider's `callbackUrl`, in the options and the SP metadata alike. */
import { describe, expect, it } from 'vitest';
import { generateKeyPairAndCert } from '../../../adapters/demo/certs.ts';
import { createSamlAdapter } from '../../../adapters/idp/saml.ts';
import { resolveSamlOptions } from '../../../adapters/idp/saml-options.ts';
import { providerSchema, type SamlProviderConfig } from '../../../plugin/config/schema.ts';
import { createMemorySamlCache } from '../../support/memory-saml-cache.ts';

const { certPem } = generateKeyPairAndCert('callbackUrl test IdP');

function samlConfig(extra: Record<string, unknown> = {}): SamlProviderConfig {
  const p = providerSchema.parse({ id: 'corp-saml', type: 'saml', entryPoint: 'https://idp.example.com/sso', idpIssuer: 'urn:idp', idpCert: certPem, issuer: 'urn:sp', ...extra });
  if (p.type !== 'saml') throw new TypeError('not saml');
  return p;
}

describe('SAML ACS URL', () => {
  it('defaults to {baseUrl}/auth/{id}/callback', () => {
    expect(resolveSamlOptions(samlConfig(), 'https://app.example.com/', 'providers[0]').acsUrl).toBe('https://app.example.com/auth/corp-saml/callback');
  });

  it("is the provider's callbackUrl when set, in the options and in the SP metadata", () => {
    const config = samlConfig({ callbackUrl: 'https://app.example.com/sso/saml/acs' });
    expect(resolveSamlOptions(config, 'https://app.example.com', 'providers[0]').acsUrl).toBe('https://app.example.com/sso/saml/acs');
    const metadata = createSamlAdapter(config, { baseUrl: 'https://app.example.com', keyPath: 'providers[0]', cache: createMemorySamlCache() }).metadata!();
    expect(metadata).toContain('Location="https://app.example.com/sso/saml/acs"');
    expect(metadata).not.toContain('/auth/corp-saml/callback');
  });
});
