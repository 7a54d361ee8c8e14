/**
 * Forged ID tokens: a real sign-in at the demo OpenID Provider, then a transport (customFetch)
 * that swaps the token endpoint's id_token for one built here with exactly one defect. The
 * control case (a forged token with no defect, signed by the IdP's key) passes, so each refusal
 * below is due to its one defect.
 */
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOidcIdp, type DemoOidcIdp } from '../../../adapters/demo/oidc-idp.ts';
import { createOidcAdapter } from '../../../adapters/idp/oidc.ts';
import { providerSchema } from '../../../plugin/config/schema.ts';
import { GatehouseError } from '../../../plugin/errors.ts';
import type { FlowState, IdpAdapter } from '../../../plugin/ports.ts';
import { Agent, parseForm } from '../../support/agent.ts';

const BASE = 'http://127.0.0.1:3998';
const REDIRECT = `${BASE}/auth/corp/callback`;
type Claims = Record<string, unknown>;

let idp: DemoOidcIdp;
let otherIdp: DemoOidcIdp;
/** Rewrites the ID token of the next token response; undefined leaves it alone. */
let forge: ((claims: Claims) => string) | undefined;
/** Rewrites the next userinfo body. */
let forgeUserinfo: ((body: Claims) => Claims) | undefined;

const interceptor: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const url = String(input);
  if (url.endsWith('/.well-known/openid-configuration')) {
    // A sloppy (or spoofed) IdP that advertises unsigned and symmetric ID tokens: only our
    // pinned id_token_signed_response_alg stands between them and a login.
    const metadata = (await res.json()) as Claims;
    metadata.id_token_signing_alg_values_supported = ['none', 'HS256', 'RS256'];
    return Response.json(metadata);
  }
  const rewrite = url.endsWith('/token') ? forge : undefined;
  const rewriteUserinfo = url.endsWith('/me') ? forgeUserinfo : undefined;
  if (!rewrite && !rewriteUserinfo) return res;
  const body = (await res.json()) as Claims;
  if (rewrite) body.id_token = rewrite(decodePayload(String(body.id_token)));
  const out = rewriteUserinfo ? rewriteUserinfo(body) : body;
  return Response.json(out, { status: res.status });
};

beforeAll(async () => {
  const clients = [{ clientId: 'gatehouse', clientSecret: 'gatehouse-secret', redirectUris: [REDIRECT] }];
  const users = [{ username: 'alice', password: 'pw', email: 'alice@example.com', groups: ['developers'] }];
  idp = await startOidcIdp({ clients, users });
  otherIdp = await startOidcIdp({ clients, users });
});
afterAll(async () => {
  await idp.close();
  await otherIdp.close();
});
beforeEach(() => {
  forge = undefined;
  forgeUserinfo = undefined;
});

function adapter(): IdpAdapter {
  const config = providerSchema.parse({
    id: 'corp',
    type: 'oidc',
    issuer: idp.issuer,
    clientId: 'gatehouse',
    clientSecret: 'gatehouse-secret',
    scopes: ['openid', 'email', 'groups'],
  });
  if (config.type !== 'oidc') throw new TypeError('not oidc');
  return createOidcAdapter(config, { baseUrl: BASE, keyPath: 'providers[0]', customFetch: interceptor });
}

/** Signs in at the IdP and completes with the current forgery in place. */
async function signInWithForgery(): Promise<unknown> {
  const a = adapter();
  const flow: FlowState = {};
  const agent = new Agent();
  const toCallback = (r: { location: string | null }) => r.location?.startsWith(REDIRECT) ?? false;
  const page = (await agent.follow(await a.begin({ flow, returnTo: '/' }))).at(-1)!;
  const form = parseForm(page.text, page.url);
  const posted = await agent.postForm(form.action, { ...form.fields, username: 'alice', password: 'pw' });
  const last = (await agent.follow(posted.location!, { stopWhen: toCallback })).at(-1)!;
  return a.complete({ flow, method: 'GET', url: new URL(last.location!), body: {} });
}

async function expectRefused(reason: string): Promise<GatehouseError> {
  const err = await signInWithForgery().then(
    () => expect.fail(`expected ${reason}`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatehouseError);
  const ge = err as GatehouseError;
  expect({ code: ge.code, status: ge.status, reason: ge.details?.reason }).toEqual({ code: 'ERR_INVALID_ASSERTION', status: 401, reason });
  expect(ge.message).not.toMatch(/eyJ/); // no token in the message
  return ge;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function decodePayload(jwt: string): Claims {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Claims;
}

describe('OIDC adapter: forged ID tokens', () => {
  it('control: a re-signed token with no defect is accepted', async () => {
    forge = (claims) => idp.signIdToken({ ...claims, iat: Math.floor(Date.now() / 1000) });
    const result = (await signInWithForgery()) as { subject: string };
    expect(result.subject).toBe('alice');
  });

  it('refuses alg "none" (unsigned)', async () => {
    forge = (claims) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    const ge = await expectRefused('id_token_unsigned');
    expect(ge.details?.alg).toBe('none');
  });

  it('refuses HS256 keyed with the IdP’s RSA public key (algorithm confusion)', async () => {
    forge = (claims) => {
      const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
      const secret = idp.rsaPublicKey.export({ type: 'spki', format: 'pem' });
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    };
    const ge = await expectRefused('id_token_alg_not_allowed');
    expect(ge.details?.alg).toBe('HS256');
  });

  it('refuses RS256 signed by a key that is not the IdP’s (same kid)', async () => {
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    forge = (claims) => {
      const [header] = idp.signIdToken(claims).split('.');
      const input = `${header}.${b64(claims)}`;
      return `${input}.${sign('sha256', Buffer.from(input), foreign).toString('base64url')}`;
    };
    await expectRefused('id_token_signature_invalid');
  });

  it('refuses a token for another client (wrong aud)', async () => {
    forge = (claims) => idp.signIdToken({ ...claims, aud: 'some-other-client' });
    await expectRefused('audience_mismatch');
  });

  it('refuses several audiences without azp', async () => {
    forge = (claims) => idp.signIdToken({ ...claims, aud: ['gatehouse', 'some-other-client'] });
    await expectRefused('azp_missing');
  });

  it('refuses several audiences whose azp is another client', async () => {
    forge = (claims) => idp.signIdToken({ ...claims, aud: ['gatehouse', 'some-other-client'], azp: 'some-other-client' });
    await expectRefused('azp_mismatch');
  });

  it('refuses a single audience with an azp naming another client', async () => {
    forge = (claims) => idp.signIdToken({ ...claims, aud: ['gatehouse'], azp: 'some-other-client' });
    await expectRefused('azp_mismatch');
  });

  it('refuses an expired token (beyond the 30 s clock tolerance)', async () => {
    const now = Math.floor(Date.now() / 1000);
    forge = (claims) => idp.signIdToken({ ...claims, iat: now - 600, exp: now - 120 });
    await expectRefused('id_token_expired');
  });

  it('refuses a token issued by another provider instance (mix-up)', async () => {
    forge = (claims) => otherIdp.signIdToken({ ...claims, iss: otherIdp.issuer });
    await expectRefused('issuer_mismatch');
  });

  it('refuses userinfo about another subject (the ID token’s sub wins and must match)', async () => {
    forgeUserinfo = (body) => ({ ...body, sub: 'mallory' });
    await expectRefused('userinfo_subject_mismatch');
  });
});
