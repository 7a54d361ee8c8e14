import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSecret, secretProblem, sign, signedHeaders, signingSecrets } from '../../../plugin/webhooks/signing.ts';

describe('Standard Webhooks signatures', () => {
  const body = JSON.stringify({ type: 'every_login', timestamp: '2026-01-01T00:00:00.000Z', data: { é: 'ü' } });

  it('verifies with the standardwebhooks package (id.timestamp.body, v1,<base64>)', () => {
    const secret = generateSecret();
    const now = Date.now();
    const headers = signedHeaders([secret], 'msg_1', now, body);
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(now / 1000)));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('matches the package signer byte for byte', () => {
    const secret = generateSecret();
    const ts = 1_700_000_000;
    expect(sign(secret, 'msg_x', ts, body)).toBe(new Webhook(secret).sign('msg_x', new Date(ts * 1000), body));
  });

  it('fails verification when one byte of the body changes', () => {
    const secret = generateSecret();
    const headers = signedHeaders([secret], 'msg_1', Date.now(), body);
    expect(() => new Webhook(secret).verify(`${body} `, { ...headers })).toThrow();
  });

  it('sends both signatures during a rotation overlap, space-separated, each verifiable alone', () => {
    const oldSecret = generateSecret();
    const newSecret = generateSecret();
    const now = Date.now();
    const secrets = signingSecrets({ secret: newSecret, previousSecret: oldSecret, previousSecretExpiresAt: now + 1000 }, now);
    expect(secrets).toEqual([newSecret, oldSecret]);
    const headers = signedHeaders(secrets, 'msg_2', now, body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(oldSecret).verify(body, { ...headers })).toBeTruthy();
    expect(new Webhook(newSecret).verify(body, { ...headers })).toBeTruthy();
  });

  it('drops the previous secret once the overlap window has passed', () => {
    const now = Date.now();
    expect(signingSecrets({ secret: 'a', previousSecret: 'b', previousSecretExpiresAt: now }, now)).toEqual(['a']);
  });

  it('accepts only whsec_ + base64 keys of 24-64 bytes', () => {
    expect(secretProblem(generateSecret())).toBeNull();
    expect(secretProblem('plain-secret')).toMatch(/whsec_/);
    expect(secretProblem('whsec_!!!!')).toMatch(/base64/);
    expect(secretProblem(`whsec_${Buffer.alloc(8).toString('base64')}`)).toMatch(/24-64 bytes/);
  });
});
