/**
 * Bad assertions through the whole gateway: each is a 401, an audit row with the reason, and no
 * user written. (The adapters' own suites cover every attack variant in depth.)
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BuildResponseOptions } from '../../adapters/demo/saml-idp.ts';
import { Agent } from '../support/agent.ts';
import { DB_KINDS } from '../support/db.ts';
import { OIDC_ID, SAML_ID, startHarness, type Harness } from '../support/harness.ts';

type Claims = Record<string, unknown>;
let forge: ((claims: Claims, sign: (p: Claims) => string) => string) | undefined;
let harness: Harness | undefined;

const decode = (jwt: string): Claims => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Claims;
const interceptor: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (!forge || !String(input).endsWith('/token') || !harness) return res;
  const body = (await res.json()) as Claims;
  body.id_token = forge(decode(String(body.id_token)), (p) => harness!.oidc.signIdToken(p));
  return Response.json(body, { status: res.status });
};

const unsigned = (claims: Claims): string =>
  `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

describe.each(DB_KINDS)('refused logins on %s', (db) => {
  let h: Harness;
  const users = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 'o1', 'o2', 'o3', 'o4'].map((u) => ({ username: u, email: `${u}@example.com`, groups: [] }));
  const countUsers = async () => Number(((await h.gateway.knex('gh_users').count({ n: '*' })) as { n: number | string }[])[0]?.n);
  const lastLoginAudit = async () => h.gateway.knex('gh_audit').where({ action: 'login' }).orderBy('id', 'desc').first();

  beforeAll(async () => {
    h = await startHarness({ db, users, oidcFetch: interceptor });
    harness = h;
  });
  afterAll(() => h?.close());
  beforeEach(() => {
    forge = undefined;
  });

  async function postForged(username: string, variant: Partial<BuildResponseOptions>) {
    const a = new Agent();
    const { acs, fields } = await h.samlResponseFor(a, username);
    const real = Buffer.from(fields.SAMLResponse!, 'base64').toString('utf8');
    const inResponseTo = /InResponseTo="([^"]+)"/.exec(real)?.[1];
    const forged = h.saml.buildResponse({
      user: { username, email: `${username}@example.com`, groups: [] },
      acsUrl: acs,
      spEntityId: 'urn:gatehouse:test-sp',
      ...(inResponseTo ? { inResponseTo } : {}),
      ...variant,
    });
    return a.postForm(acs, { ...fields, SAMLResponse: forged });
  }

  it.each<[string, string, Partial<BuildResponseOptions>]>([
    ['unsigned assertion', 's1', { sign: 'none' }],
    ['wrong audience', 's2', { audience: 'urn:someone-else' }],
    ['wrong Destination', 's3', { destination: 'https://evil.example/acs' }],
    ['wrong Recipient', 's4', { recipient: 'https://evil.example/acs' }],
    ['wrong Issuer', 's5', { issuer: 'urn:evil:idp' }],
    ['expired', 's6', { notBefore: new Date(Date.now() - 3_600_000), notOnOrAfter: new Date(Date.now() - 1_800_000) }],
  ])('SAML %s: 401, audit row, no user', async (_name, username, variant) => {
    const before = await countUsers();
    const res = await postForged(username, variant);
    expect(res.status).toBe(401);
    expect(await countUsers()).toBe(before);
    expect(await lastLoginAudit()).toMatchObject({ provider: SAML_ID, outcome: 'invalid_assertion' });
  });

  it('SAML replayed response: the second post is 401 and writes nothing new', async () => {
    const a = new Agent();
    const { acs, fields } = await h.samlResponseFor(a, 's7');
    expect((await a.postForm(acs, fields)).status).toBe(302);
    const before = await countUsers();
    const replay = await new Agent().postForm(acs, fields);
    expect(replay.status).toBe(401);
    expect(await countUsers()).toBe(before);
    const audit = await lastLoginAudit();
    expect(audit).toMatchObject({ provider: SAML_ID, outcome: 'invalid_assertion' });
    expect(JSON.parse(audit.details)).toMatchObject({ reason: 'assertion_replayed' });
  });

  it('SAML bad signature (attribute changed after signing): 401, audit row, no user', async () => {
    const before = await countUsers();
    const a = new Agent();
    const { acs, fields } = await h.samlResponseFor(a, 's8');
    const xml = Buffer.from(fields.SAMLResponse!, 'base64').toString('utf8').replaceAll('s8@example.com', 'admin@example.com');
    const res = await a.postForm(acs, { ...fields, SAMLResponse: Buffer.from(xml).toString('base64') });
    expect(res.status).toBe(401);
    expect(await countUsers()).toBe(before);
    expect(await lastLoginAudit()).toMatchObject({ provider: SAML_ID, outcome: 'invalid_assertion' });
  });

  it('OIDC missing state: 401, audit row, no user', async () => {
    const before = await countUsers();
    const a = new Agent();
    const cb = await h.oidcCallbackUrl(a, 'o1');
    const res = await a.get(cb.replace(/([?&])state=[^&]*&?/, '$1'), { accept: 'application/json' });
    expect(res.status).toBe(401);
    expect(await countUsers()).toBe(before);
    expect(await lastLoginAudit()).toMatchObject({ provider: OIDC_ID, outcome: 'invalid_state' });
  });

  it('OIDC callback replayed: the second use is 401', async () => {
    const a = new Agent();
    const cb = await h.oidcCallbackUrl(a, 'o2');
    expect((await a.get(cb)).status).toBe(302);
    const before = await countUsers();
    expect((await a.get(cb, { accept: 'application/json' })).status).toBe(401);
    expect(await countUsers()).toBe(before);
  });

  it('OIDC wrong nonce (ID token re-signed by the IdP key with another nonce): 401, audit row, no user', async () => {
    forge = (claims, sign) => sign({ ...claims, nonce: 'not-the-nonce-we-sent' });
    const before = await countUsers();
    const res = await h.loginOidc(new Agent(), 'o3');
    expect(res.status).toBe(401);
    expect(await countUsers()).toBe(before);
    expect(await lastLoginAudit()).toMatchObject({ provider: OIDC_ID, outcome: 'invalid_assertion' });
  });

  it('OIDC alg none ID token: 401, audit row, no user', async () => {
    forge = (claims) => unsigned(claims);
    const before = await countUsers();
    const res = await h.loginOidc(new Agent(), 'o4');
    expect(res.status).toBe(401);
    expect(await countUsers()).toBe(before);
    expect(await lastLoginAudit()).toMatchObject({ provider: OIDC_ID, outcome: 'invalid_assertion' });
    forge = undefined;
    expect((await h.loginOidc(new Agent(), 'o4')).status).toBe(302);
  });
});
