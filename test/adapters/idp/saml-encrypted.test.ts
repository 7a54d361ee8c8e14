/**
 * Encrypted SAML assertions (XML Encryption to the SP's decryptionCert), against the test IdP with
 * keys made at run time: what a real IdP sends is accepted (RSA-OAEP with AES-256-GCM, signed
 * response and/or signed assertion; AES-128-CBC for older IdPs), and every weak or wrong variant is
 * refused with its own reason before or without anything being trusted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairAndCert } from '../../../adapters/demo/certs.ts';
import { startSamlIdp, type DemoUser, type SamlIdp } from '../../../adapters/demo/saml-idp.ts';
import { createSamlAdapter } from '../../../adapters/idp/saml.ts';
import { ConfigError } from '../../../plugin/errors.ts';
import type { FlowState } from '../../../plugin/ports.ts';
import { Agent, parseForm } from '../../support/agent.ts';
import { createMemorySamlCache } from '../../support/memory-saml-cache.ts';
import { BASE, IDP, reasonOf, samlProvider, startLogin } from '../../support/saml-sp.ts';

const ALICE: DemoUser = { username: 'alice', email: 'alice@example.com', groups: ['developers'] };
const spKeys = generateKeyPairAndCert('Gatehouse SP encryption');
const otherSp = generateKeyPairAndCert('another SP');
const decrypting = { decryptionKey: spKeys.privateKeyPem, decryptionCert: spKeys.certPem };
const encrypt = { certPem: spKeys.certPem };

let idp: SamlIdp;
let encryptingIdp: SamlIdp;
beforeAll(async () => {
  idp = await startSamlIdp({ issuer: IDP, users: [ALICE] });
  encryptingIdp = await startSamlIdp({ issuer: IDP, users: [ALICE], keyPair: generateKeyPairAndCert('encrypting IdP'), encryptAssertions: encrypt });
});
afterAll(async () => {
  await idp.close();
  await encryptingIdp.close();
});

describe('encrypted assertions that are accepted', () => {
  it('a browser login through an IdP that encrypts every assertion (RSA-OAEP, AES-256-GCM)', async () => {
    const adapter = createSamlAdapter(samlProvider(encryptingIdp, decrypting), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    const flow: FlowState = {};
    const agent = new Agent();
    const url = await adapter.begin({ flow, returnTo: '/home' });
    const form = parseForm((await agent.get(url)).text, url);
    const posted = await agent.postForm(form.action, { ...form.fields, username: 'alice', password: 'x' });
    const auto = parseForm(posted.text, form.action);
    expect(Buffer.from(auto.fields.SAMLResponse ?? '', 'base64').toString('utf8')).toContain('EncryptedAssertion');
    const result = await adapter.complete({ flow, method: 'POST', url: new URL(auto.action), body: auto.fields });
    expect(result.subject).toBe('alice@example.com');
    expect(result.raw).toMatchObject({ email: 'alice@example.com', groups: 'developers', issuer: IDP });
    expect(result.returnTo).toBe('/home');
  });

  it('signed response and signed assertion, the assertion encrypted', async () => {
    const login = await startLogin(idp, ALICE, { ...decrypting, wantAuthnResponseSigned: true });
    const result = await login.post({ sign: 'both', encrypt });
    expect(result.subject).toBe('alice@example.com');
  });

  it('a signed response around an encrypted unsigned assertion, when only the response must be signed', async () => {
    const login = await startLogin(idp, ALICE, { ...decrypting, wantAuthnResponseSigned: true, wantAssertionsSigned: false });
    expect((await login.post({ sign: 'response', encrypt })).subject).toBe('alice@example.com');
  });

  it.each(['aes128-gcm', 'aes256-cbc', 'aes128-cbc'] as const)('content encrypted with %s', async (data) => {
    const login = await startLogin(idp, ALICE, decrypting);
    expect((await login.post({ encrypt: { ...encrypt, data } })).subject).toBe('alice@example.com');
  });
});

describe('encrypted assertions that are refused', () => {
  it('RSA PKCS#1 v1.5 key transport', async () => {
    const login = await startLogin(idp, ALICE, decrypting);
    expect(await reasonOf(login.post({ encrypt: { ...encrypt, keyTransport: 'rsa-1_5' } }))).toBe('weak_encryption_algorithm');
  });

  it('an unsigned response when the provider requires a signed one, before anything is decrypted', async () => {
    const login = await startLogin(idp, ALICE, { ...decrypting, wantAuthnResponseSigned: true });
    expect(await reasonOf(login.post({ sign: 'assertion', encrypt }))).toBe('unsigned_response');
  });

  it('an encrypted assertion that is not signed when assertions must be', async () => {
    const login = await startLogin(idp, ALICE, decrypting);
    expect(await reasonOf(login.post({ sign: 'none', encrypt }))).toBe('invalid_signature');
  });

  it('an assertion encrypted to another SP', async () => {
    const login = await startLogin(idp, ALICE, decrypting);
    expect(await reasonOf(login.post({ encrypt: { certPem: otherSp.certPem } }))).toBe('decryption_failed');
  });

  it('a ciphertext altered in transit (GCM tag) fails like any other decryption failure', async () => {
    const login = await startLogin(idp, ALICE, decrypting);
    const flip = (xml: string) =>
      xml.replace(/(<xenc:CipherData><xenc:CipherValue>)([^<]+)(<\/xenc:CipherValue><\/xenc:CipherData><\/xenc:EncryptedData>)/, (_m, a: string, v: string, b: string) => {
        const bytes = Buffer.from(v, 'base64');
        bytes[20] = (bytes[20] ?? 0) ^ 0xff;
        return a + bytes.toString('base64') + b;
      });
    expect(await reasonOf(login.post({ encrypt, alterXml: flip }))).toBe('decryption_failed');
  });

  it('a SHA-1 signature inside the encrypted assertion', async () => {
    const login = await startLogin(idp, ALICE, decrypting);
    expect(await reasonOf(login.post({ encrypt, signatureAlgorithm: 'rsa-sha1', digestAlgorithm: 'sha1' }))).toBe('weak_signature_algorithm');
  });

  it('a plaintext assertion beside the encrypted one', async () => {
    const login = await startLogin(idp, ALICE, decrypting);
    const extra = (xml: string) => xml.replace('</samlp:Response>', '<saml:Assertion ID="_x" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"/></samlp:Response>');
    expect(await reasonOf(login.post({ encrypt, alterXml: extra }))).toBe('multiple_assertions');
  });

  it('an encrypted assertion for a provider with no decryptionKey says what to configure', async () => {
    const login = await startLogin(idp, ALICE);
    const err = login.post({ encrypt });
    expect(await reasonOf(err)).toBe('encrypted_assertion_unsupported');
    await expect(login.post({ encrypt })).rejects.toThrow(/decryptionKey/);
  });
});

describe('the SP side of the configuration', () => {
  it('publishes decryptionCert in the SP metadata as the encryption key', () => {
    const adapter = createSamlAdapter(samlProvider(idp, decrypting), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    const xml = adapter.metadata?.() ?? '';
    const body = spKeys.certPem.replace(/-----[^-]+-----|\s/g, '');
    expect(xml).toMatch(/<KeyDescriptor use="encryption">/);
    expect(xml.replace(/\s/g, '')).toContain(body);
  });

  it('refuses a decryptionCert that is not the certificate of decryptionKey, naming the key', () => {
    const make = () => createSamlAdapter(samlProvider(idp, { decryptionKey: spKeys.privateKeyPem, decryptionCert: otherSp.certPem }), { baseUrl: BASE, keyPath: 'providers[2]', cache: createMemorySamlCache() });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow('providers[2].decryptionCert: is not the certificate of decryptionKey');
  });

  it('refuses a decryptionKey without its certificate', () => {
    const make = () => createSamlAdapter(samlProvider(idp, { decryptionKey: spKeys.privateKeyPem }), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
    expect(make).toThrow('providers[0].decryptionCert: decryptionKey and decryptionCert go together');
  });
});
