/**
 * The metadata source's own rules, on a fetch the test controls and a clock it moves: a failed or
 * unusable read keeps the last good copy, reads never overlap, and the reads a login with an
 * unknown key causes are at most one a minute.
 */
import { describe, expect, it } from 'vitest';
import { generateKeyPairAndCert } from '../../../adapters/demo/certs.ts';
import { idpMetadata } from '../../../adapters/demo/saml-idp-metadata.ts';
import { SamlMetadataRegistry, UNKNOWN_KEY_REFRESH_GAP_MS } from '../../../adapters/idp/saml-metadata-source.ts';
import { providerSchema, type SamlProviderConfig } from '../../../plugin/config/schema.ts';

const URL_ = 'https://idp.example.com/metadata';
const ENTITY = 'urn:idp:entity';
const keyA = generateKeyPairAndCert('source key A');
const keyB = generateKeyPairAndCert('source key B');
const doc = (certs: string[], entity = ENTITY) => idpMetadata(entity, 'https://idp.example.com/sso', certs);

function setup(extra: Record<string, unknown> = {}) {
  let answer: () => Promise<string> = async () => doc([keyA.certPem]);
  let fetches = 0;
  let nowMs = 1_000_000;
  const registry = new SamlMetadataRegistry(
    async () => {
      fetches += 1;
      return answer();
    },
    () => nowMs,
  );
  const provider = providerSchema.parse({ id: 'p', type: 'saml', issuer: 'urn:sp', metadataUrl: URL_, ...extra }) as SamlProviderConfig & { metadataUrl: string };
  return {
    source: registry.sourceFor(provider),
    registry,
    provider,
    answer: (f: () => Promise<string>) => (answer = f),
    fetches: () => fetches,
    advance: (ms: number) => (nowMs += ms),
  };
}

describe('SAML metadata source', () => {
  it('keeps the last good copy when a read fails, and counts the failure', async () => {
    const t = setup();
    expect(await t.source.refresh()).toBe(true);
    t.answer(async () => {
      throw new Error('answered 503');
    });
    expect(await t.source.refresh()).toBe(false);
    expect(t.source.current()?.signingCertificatePems).toHaveLength(1);
    expect(t.source.state()).toMatchObject({ lastError: 'answered 503', failures: 1, lastRefreshedAtMs: 1_000_000 });
  });

  it('refuses a copy for another entity than the first (or than idpIssuer) and one without signing certificates', async () => {
    const t = setup();
    await t.source.refresh();
    t.answer(async () => doc([keyB.certPem], 'urn:idp:other'));
    expect(await t.source.refresh()).toBe(false);
    expect(t.source.state().lastError).toMatch(/urn:idp:other/);
    t.answer(async () => doc([]));
    expect(await t.source.refresh()).toBe(false);
    expect(t.source.state().lastError).toMatch(/no signing certificate/);
    expect(t.source.current()?.entityId).toBe(ENTITY);

    const pinned = setup({ idpIssuer: 'urn:idp:configured' });
    expect(await pinned.source.refresh()).toBe(false);
    expect(pinned.source.current()).toBeNull();
  });

  it('makes one read for calls that overlap', async () => {
    const t = setup();
    await Promise.all([t.source.refresh(), t.source.refresh(), t.source.refresh()]);
    expect(t.fetches()).toBe(1);
  });

  it('reads for an unknown key at most once a minute, and says whether the certificates changed', async () => {
    const t = setup();
    await t.source.refresh();
    t.answer(async () => doc([keyB.certPem]));
    expect(await t.source.refreshForUnknownKey()).toBe(false);
    expect(t.fetches()).toBe(1);
    t.advance(UNKNOWN_KEY_REFRESH_GAP_MS);
    expect(await t.source.refreshForUnknownKey()).toBe(true);
    t.advance(UNKNOWN_KEY_REFRESH_GAP_MS);
    expect(await t.source.refreshForUnknownKey()).toBe(false);
    expect(t.fetches()).toBe(3);
  });

  it('is shared by the adapters of one provider, and new when what its reads depend on changes', () => {
    const t = setup();
    expect(t.registry.sourceFor({ ...t.provider })).toBe(t.source);
    expect(t.registry.sourceFor({ ...t.provider, metadataUrl: `${URL_}?v=2` })).not.toBe(t.source);
  });
});
