/** Provider secrets at rest: AES-256-GCM, key ids for rotation, bound to their provider and field. */
import { describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../plugin/errors.ts';
import { createSecretBox } from '../../../plugin/runtime/secret-box.ts';
import { parseConfig } from '../../../plugin/config/parse.ts';
import { fromRow, resealed, toRow, withoutSecrets } from '../../../plugin/runtime/stored-providers.ts';

const OLD = 'old-key-0123456789-0123456789-0123456789';
const NEW = 'new-key-9876543210-9876543210-9876543210';
const provider = { id: 'p1', type: 'oidc' as const, issuer: 'https://idp.example.com', clientId: 'c', clientSecret: 's3cret', scopes: ['openid'], idTokenSignedResponseAlg: 'RS256', claims: {}, firstLoginPolicy: 'allow' as const, singleLogout: false, enabled: true };

describe('secret box', () => {
  it('seals to a ciphertext naming its key, which opens only in the same context', () => {
    const box = createSecretBox([OLD]);
    const sealed = box.seal('s3cret', 'provider:p1:clientSecret');
    expect(sealed).not.toContain('s3cret');
    expect(box.keyIdOf(sealed)).toBe(box.currentKeyId);
    expect(box.open(sealed, 'provider:p1:clientSecret')).toBe('s3cret');
    expect(() => box.open(sealed, 'provider:p2:clientSecret')).toThrow();
    const tampered = sealed.slice(0, -3) + (sealed.endsWith('AAA') ? 'BBB' : 'AAA');
    expect(() => box.open(tampered, 'provider:p1:clientSecret')).toThrow();
  });

  it('rotates: the new key first still opens the old ciphertexts, and resealing moves them to the new key', () => {
    const row = toRow(provider, createSecretBox([OLD]), 1, null);
    const rotated = createSecretBox([NEW, OLD]);
    expect(fromRow(row, rotated)).toMatchObject({ clientSecret: 's3cret' });
    const moved = resealed(row, rotated);
    expect(rotated.keyIdOf(moved.secrets.clientSecret!)).toBe(rotated.currentKeyId);
    expect(fromRow(moved, createSecretBox([NEW]))).toMatchObject({ clientSecret: 's3cret' });
    expect(() => fromRow(row, createSecretBox([NEW]))).toThrow(/no longer lists/);
  });

  it('seals both SAML private keys (request signing and assertion decryption) and shows only whether they are set', () => {
    const saml = parseConfig({ providers: [{ id: 's1', type: 'saml', entryPoint: 'https://idp.example.com/sso', idpIssuer: 'urn:idp', idpCert: 'x', issuer: 'urn:sp', privateKey: 'sign-key', decryptionKey: 'decrypt-key' }] }).providers[0]!;
    const row = toRow(saml, createSecretBox([OLD]), 1, null);
    expect(Object.keys(row.secrets).sort()).toEqual(['decryptionKey', 'privateKey']);
    expect(JSON.stringify(row)).not.toMatch(/sign-key|decrypt-key/);
    expect(withoutSecrets(saml).secrets).toEqual({ privateKey: { set: true }, decryptionKey: { set: true } });
    expect(fromRow(row, createSecretBox([OLD]))).toMatchObject({ privateKey: 'sign-key', decryptionKey: 'decrypt-key' });
  });

  it('refuses to store a secret without a key, naming the config key; a provider without secrets needs none', () => {
    const none = createSecretBox([]);
    let caught: unknown;
    try {
      toRow(provider, none, 1, null);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GatehouseError);
    expect(caught).toMatchObject({ status: 400, message: expect.stringContaining('secrets.encryptionKey') });
    const { clientSecret: _omitted, ...publicClient } = provider;
    expect(toRow(publicClient, none, 1, null).secrets).toEqual({});
  });
});
