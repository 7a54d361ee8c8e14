/**
 * OIDC logouts against the real OIDC provider (oidc-provider on loopback), both directions:
 * RP-initiated (sign-out here sends the browser to the IdP's end_session_endpoint with the ID
 * token as id_token_hint) and back-channel (the IdP posts a signed logout token; the session of
 * that sid is dead on its next request, other sessions of the user live on). The IdP's logout
 * tokens pass through a relay that records them, so a real one can be replayed; forged ones are
 * signed with keys made here. A refused token changes nothing but the audit log.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, parseForm } from '../support/agent.ts';
import { DB_KINDS } from '../support/db.ts';
import { OIDC_ID, startHarness, type Harness } from '../support/harness.ts';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

describe.each(DB_KINDS)('OIDC logout on %s', (kind) => {
  let h: Harness;
  let relay: Server;
  let target = '';
  const tokens: string[] = [];
  const backchannel = () => `${h.url}/auth/${OIDC_ID}/backchannel-logout`;
  const post = (token: string) =>
    fetch(backchannel(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: token }) });
  const audits = async (outcome: string) => (await h.gateway.store.listAudit({ action: 'logout.backchannel', limit: 50 })).entries.filter((e) => e.outcome === outcome);
  const signedIn = async (a: Agent) => (await h.me(a)).status === 200;

  beforeAll(async () => {
    relay = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        tokens.push(new URLSearchParams(body).get('logout_token') ?? '');
        fetch(target, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }).then(
          async (r) => res.writeHead(r.status).end(await r.text()),
          () => res.writeHead(502).end(),
        );
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/`;
    h = await startHarness({
      db: kind,
      oidcBackchannelUri: () => relayUrl,
      config: (c) => ({ ...c, providers: c.providers!.map((p) => (p.id === OIDC_ID ? { ...p, singleLogout: true } : p)) }),
    });
    target = backchannel();
  });
  afterAll(async () => {
    await h.close();
    await new Promise<void>((resolve) => relay.close(() => resolve()));
  });

  /** Ends the IdP session of this browser at the IdP's own end-session page (no Gatehouse involved). */
  async function logoutAtIdp(a: Agent, url = `${h.oidc.issuer}/session/end`) {
    const page = await a.get(url);
    expect(page.status).toBe(200);
    const form = parseForm(page.text, url);
    return a.postForm(form.action, { ...form.fields, logout: 'yes' });
  }

  it('sign-out here sends the browser to the IdP with id_token_hint; the IdP logs the session out back-channel', async () => {
    const a = new Agent();
    const b = new Agent();
    await h.loginOidc(a, 'alice');
    await h.loginOidc(b, 'alice');
    const out = await a.request(`${h.url}/auth/logout`, { method: 'POST', headers: { accept: 'text/html' } });
    expect(out.status).toBe(302);
    const end = new URL(out.location!);
    expect(end.origin + end.pathname).toBe(`${h.oidc.issuer}/session/end`);
    expect(end.searchParams.get('id_token_hint')).toMatch(/^ey/);
    expect(end.searchParams.get('client_id')).toBe('gatehouse');
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${h.url}/`);
    expect(await signedIn(a)).toBe(false);

    const before = tokens.length;
    const back = await logoutAtIdp(a, out.location!);
    expect(back.status).toBe(303);
    expect(back.location).toBe(`${h.url}/`);
    expect(tokens.length).toBe(before + 1);
    expect((await audits('ok')).length).toBeGreaterThanOrEqual(1);
    // The other browser's IdP session (another sid) is untouched.
    expect(await signedIn(b)).toBe(true);
  });

  it('a logout made at the IdP ends the session of that sid on its next request', async () => {
    const a = new Agent();
    const b = new Agent();
    await h.loginOidc(a, 'carol');
    await h.loginOidc(b, 'carol');
    expect(await signedIn(a)).toBe(true);
    await logoutAtIdp(a);
    expect(await signedIn(a)).toBe(false);
    expect(await signedIn(b)).toBe(true);
    // A new login after the logout is a new session, not ended by the old announcement.
    await h.loginOidc(a, 'carol');
    expect(await signedIn(a)).toBe(true);
  });

  it('a replayed logout token is refused and audited', async () => {
    const token = tokens.at(-1)!;
    const okBefore = (await audits('ok')).length;
    const res = await post(token);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect((await audits('refused')).some((e) => e.details?.why === 'replayed')).toBe(true);
    expect((await audits('ok')).length).toBe(okBefore);
  });

  it('forged and malformed logout tokens end nothing and leave an audit row each', async () => {
    const a = new Agent();
    await h.loginOidc(a, 'bob');
    const sub = (await h.gateway.store.findUserByEmail('bob@example.org'))!;
    const subject = (await h.gateway.store.listIdentities(sub.id))[0]!.subject;
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: h.oidc.issuer, aud: 'gatehouse', iat: now, exp: now + 120, sub: subject, events: { [EVENT]: {} } };
    const attacker = await generateKeyPair('RS256');
    const forged = await new SignJWT({ ...claims, jti: 'forged-1' }).setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt', kid: 'x' }).sign(attacker.privateKey);
    const cases: [string, string][] = [
      ['signed with another key', forged],
      ['an ID token (nonce, no event)', h.oidc.signIdToken({ ...claims, jti: 'id-1', nonce: 'n', events: undefined })],
      ['no event', h.oidc.signIdToken({ ...claims, jti: 'ev-1', events: { other: {} } })],
      ['another audience', h.oidc.signIdToken({ ...claims, jti: 'aud-1', aud: 'someone-else' })],
      ['neither sid nor sub', h.oidc.signIdToken({ ...claims, jti: 'sub-1', sub: undefined })],
      ['not a JWT', 'garbage'],
      ['absent', ''],
    ];
    const refusedBefore = (await audits('refused')).length;
    for (const [what, token] of cases) {
      const res = await post(token);
      expect(res.status, what).toBe(400);
    }
    expect((await audits('refused')).length).toBe(refusedBefore + cases.length);
    expect(await signedIn(a)).toBe(true);

    // The same claims signed by the IdP's own key are obeyed: a sub without sid ends every session of the subject.
    const ok = await post(h.oidc.signIdToken({ ...claims, jti: 'real-1' }, { header: { typ: 'logout+jwt' } }));
    expect(ok.status).toBe(200);
    expect(await signedIn(a)).toBe(false);
  });

  it('JSON clients get the end-session URL; a provider without singleLogout signs out here only', async () => {
    const a = new Agent();
    await h.loginOidc(a, 'dave');
    const res = await a.request(`${h.url}/auth/logout`, { method: 'POST', headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.json<{ endSessionUrl: string }>().endSessionUrl).toContain('/session/end?');
    const s = new Agent();
    await h.loginSaml(s, 'dave');
    expect((await s.request(`${h.url}/auth/logout`, { method: 'POST' })).status).toBe(204);
  });
});

describe('singleLogout default', () => {
  it('is on for every provider (contract section 5: logout also ends the IdP session where the IdP supports it)', async () => {
    const { parseConfig } = await import('../../plugin/config/parse.ts');
    const config = parseConfig({
      server: { sessionSecret: 'x'.repeat(32) },
      providers: [{ id: 'corp', type: 'oidc', issuer: 'https://idp.example.com', clientId: 'c' }],
    });
    expect(config.providers[0]?.singleLogout).toBe(true);
  });
});
