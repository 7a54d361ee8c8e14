/**
 * A bad provider fails at start with its key path in one format, `providers[<index>].<key>`,
 * whether the config schema, the mapping engines or an IdP adapter (OIDC issuer, SAML
 * certificates) finds the problem.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGatehouse, ConfigError, type GatehouseConfig } from '../../index.ts';
import { generateKeyPairAndCert } from '../../adapters/demo/certs.ts';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-keypaths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const okOidc = { id: 'corp-oidc', type: 'oidc', issuer: 'http://127.0.0.1:9/idp', clientId: 'app' } as const;
const okSaml = { id: 'corp-saml', type: 'saml', entryPoint: 'https://idp.example.com/sso', idpIssuer: 'urn:idp', idpCert: generateKeyPairAndCert('key paths').certPem, issuer: 'urn:sp' } as const;

async function pathOf(providers: GatehouseConfig['providers'], n: number): Promise<string> {
  const config: GatehouseConfig = { database: { client: 'sqlite3', connection: { filename: join(dir, `db-${n}.sqlite`) } }, providers, log: { level: 'silent' } };
  const err = await createGatehouse(config).then(
    async (gh) => {
      await gh.close();
      return expect.fail('expected a ConfigError');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).path;
}

describe('config key paths of providers', () => {
  it('names an OIDC issuer that must be https by its index', async () => {
    expect(await pathOf([okSaml, { ...okOidc, issuer: 'http://idp.example.com' }], 1)).toBe('providers[1].issuer');
  });

  it('names an unsupported OIDC signing algorithm by its index', async () => {
    expect(await pathOf([okOidc, okSaml, { ...okOidc, id: 'other', idTokenSignedResponseAlg: 'HS256' }], 2)).toBe('providers[2].idTokenSignedResponseAlg');
  });

  it('names a SAML certificate that cannot be read by its index', async () => {
    expect(await pathOf([okOidc, { ...okSaml, idpCert: join(dir, 'missing.pem') }], 3)).toBe('providers[1].idpCert');
    expect(await pathOf([okOidc, { ...okSaml, idpCert: [okSaml.idpCert, join(dir, 'missing.pem')] }], 4)).toBe('providers[1].idpCert[1]');
  });

  it('names a schema problem the same way', async () => {
    expect(await pathOf([okOidc, { ...okSaml, entryPoint: 'not a url' }], 5)).toBe('providers[1].entryPoint');
  });

  it('names each IdP fact a SAML provider without metadataUrl leaves out', async () => {
    const { entryPoint: _e, ...noEntryPoint } = okSaml;
    expect(await pathOf([okOidc, noEntryPoint], 6)).toBe('providers[1].entryPoint');
    const { idpCert: _c, ...noCert } = okSaml;
    expect(await pathOf([okOidc, noCert], 7)).toBe('providers[1].idpCert');
  });

  it('names a metadataUrl that cannot be read at start when no fallback is given', async () => {
    const fromMetadata = { id: 'corp-saml', type: 'saml', issuer: 'urn:sp', metadataUrl: 'http://127.0.0.1:9/metadata' } as const;
    // Plain http to a loopback address without allowPrivateNetwork, then (allowed) a closed port.
    expect(await pathOf([okOidc, fromMetadata], 8)).toBe('providers[1].metadataUrl');
    expect(await pathOf([okOidc, { ...fromMetadata, allowPrivateNetwork: true }], 9)).toBe('providers[1].metadataUrl');
    expect(await pathOf([okOidc, { ...fromMetadata, idpCert: okSaml.idpCert, allowPrivateNetwork: true }], 10)).toBe('providers[1].metadataUrl');
    // Refused by the private-network guard at the fetch (https, so the schema lets it through).
    expect(await pathOf([okOidc, { ...fromMetadata, metadataUrl: 'https://127.0.0.1:9/metadata' }], 11)).toBe('providers[1].metadataUrl');
  });
});
