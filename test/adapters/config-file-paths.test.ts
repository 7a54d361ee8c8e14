/**
 * Relative paths in a config file (the SQLite file, every PEM file of a SAML provider) are relative
 * to the config file's folder, whatever the working directory: the gateway started from elsewhere
 * finds the same files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../adapters/config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('relative paths in the config file', () => {
  it('resolves the SQLite file and every SAML PEM path against the config file folder', () => {
    mkdirSync(join(dir, 'etc'));
    const file = join(dir, 'etc', 'gatehouse.yaml');
    writeFileSync(
      file,
      `database: { client: sqlite3, connection: { filename: ./data/gh.sqlite } }
providers:
  - id: corp-saml
    type: saml
    entryPoint: https://idp.example.com/sso
    idpIssuer: urn:idp
    idpCert: [./certs/idp-old.pem, ./certs/idp-new.pem]
    issuer: urn:sp
    privateKey: ./keys/sp-key.pem
    publicCert: ./keys/sp-cert.pem
    decryptionKey: ./keys/sp-enc-key.pem
    decryptionCert: ../shared/sp-enc-cert.pem
`,
    );
    const config = loadConfigFile(file, {});
    const saml = config.providers[0];
    if (saml?.type !== 'saml') throw new TypeError('expected the SAML provider');
    const at = (p: string) => join(dir, 'etc', p);
    expect((config.database.connection as { filename: string }).filename).toBe(at('data/gh.sqlite'));
    expect(saml.idpCert).toEqual([at('certs/idp-old.pem'), at('certs/idp-new.pem')]);
    expect(saml.privateKey).toBe(at('keys/sp-key.pem'));
    expect(saml.publicCert).toBe(at('keys/sp-cert.pem'));
    expect(saml.decryptionKey).toBe(at('keys/sp-enc-key.pem'));
    expect(saml.decryptionCert).toBe(join(dir, 'shared', 'sp-enc-cert.pem'));
  });
});
