/**
 * SAML Single Logout against the test SAML IdP, on two gateway instances sharing PostgreSQL and
 * Redis: SP-initiated (sign-out sends a signed LogoutRequest to the IdP, whose signed
 * LogoutResponse brings the browser back) and IdP-initiated (a signed LogoutRequest, either
 * binding, ends the sessions of that SessionIndex or NameID on every instance and is answered
 * with a signed LogoutResponse). Forged, unsigned and replayed requests end nothing.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairAndCert } from '../../adapters/demo/certs.ts';
import { startGateway, type Gateway } from '../../adapters/gateway/server.ts';
import { parseConfig } from '../../plugin/config/parse.ts';
import { createLogger } from '../../plugin/logger.ts';
import { Agent } from '../support/agent.ts';
import { SAML_ID, startHarness, type Harness } from '../support/harness.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('SAML single logout, two instances on PostgreSQL and Redis', () => {
  let a: Harness;
  let b: Gateway;
  const slo = () => `${a.url}/auth/${SAML_ID}/slo`;

  beforeAll(async () => {
    a = await startHarness({ db: 'pg', samlSingleLogout: true, config: (c) => ({ ...c, sessions: { store: 'redis', url: REDIS_URL } }) });
    const shared = a.gateway.gatehouse.context.config;
    b = await startGateway(parseConfig({ ...shared, server: { ...shared.server, port: 0, baseUrl: a.url } }), { logger: createLogger('silent') });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /** The same browser's session cookie, presented to instance B. */
  const onB = (browser: Agent) => {
    const other = new Agent();
    other.setCookie(b.url, 'gatehouse.sid', browser.cookieHeader(a.url).match(/gatehouse\.sid=([^;]+)/)![1]!);
    return other;
  };
  const signedInOnB = async (agentOnB: Agent) => (await agentOnB.get(`${b.url}/auth/me`, { accept: 'application/json' })).status === 200;
  const signedIn = async (browser: Agent) => (await a.me(browser)).status === 200;
  const audits = async (outcome: string) => (await a.gateway.store.listAudit({ action: 'logout.saml', limit: 50 })).entries.filter((e) => e.outcome === outcome);

  it('SP metadata publishes the SLO endpoint', async () => {
    const meta = await new Agent().get(`${a.url}/auth/${SAML_ID}/metadata`);
    expect(meta.text).toContain(`SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${slo()}"`);
  });

  it('sign-out here sends a signed LogoutRequest; the IdP answers and the browser lands back', async () => {
    const browser = new Agent();
    await a.loginSaml(browser, 'alice');
    const out = await browser.request(`${a.url}/auth/logout`, { method: 'POST', headers: { accept: 'text/html' } });
    expect(out.status).toBe(302);
    const toIdp = new URL(out.location!);
    expect(toIdp.origin + toIdp.pathname).toBe(a.saml.sloUrl);
    expect(toIdp.searchParams.get('Signature')).toBeTruthy();
    const answer = await browser.get(out.location!);
    expect(a.saml.slo.received.at(-1)).toMatchObject({ nameId: 'alice@example.com' });
    expect(a.saml.slo.received.at(-1)!.sessionIndex).toBeTruthy();
    expect(answer.status).toBe(302);
    expect(answer.location!.startsWith(`${slo()}?SAMLResponse=`)).toBe(true);
    const back = await browser.get(answer.location!);
    expect(back.status).toBe(302);
    expect(back.location).toBe(`${a.url}/`);
    expect(await signedIn(browser)).toBe(false);
    // The same LogoutResponse again answers nothing pending.
    expect((await new Agent().get(answer.location!)).status).toBe(400);
  });

  for (const binding of ['redirect', 'post'] as const) {
    it(`an IdP-initiated LogoutRequest (HTTP-${binding}) ends that session on both instances, answered with a signed LogoutResponse`, async () => {
      const first = new Agent();
      const second = new Agent();
      await a.loginSaml(first, 'carol');
      await a.loginSaml(second, 'carol');
      const firstOnB = onB(first);
      expect(await signedInOnB(firstOnB)).toBe(true);
      const sessionIndex = await lastSessionIndex(first);
      const request = a.saml.logoutRequest({ destination: slo(), nameId: 'carol@example.com', sessionIndex, binding });
      const res = 'url' in request ? await new Agent().get(request.url) : await new Agent().postForm(request.action, request.fields);
      expect(res.status).toBe(302);
      const back = new URL(res.location!);
      expect(back.origin + back.pathname).toBe(a.saml.sloUrl);
      expect(back.searchParams.get('SAMLResponse')).toBeTruthy();
      expect(back.searchParams.get('Signature')).toBeTruthy();
      expect(await signedInOnB(firstOnB)).toBe(false);
      expect(await signedIn(first)).toBe(false);
      // Another browser of the same user (another SessionIndex) stays signed in.
      expect(await signedIn(second)).toBe(true);

      // The same request again is a replay: refused, audited, nothing more ends.
      const again = 'url' in request ? await new Agent().get(request.url) : await new Agent().postForm(request.action, request.fields);
      expect(again.status).toBe(400);
      expect((await audits('refused')).some((e) => e.details?.why === 'replayed')).toBe(true);
      expect(await signedIn(second)).toBe(true);
    });
  }

  it('a LogoutRequest naming only the NameID ends every session of that user', async () => {
    const one = new Agent();
    const two = new Agent();
    await a.loginSaml(one, 'dave');
    await a.loginSaml(two, 'dave');
    const request = a.saml.logoutRequest({ destination: slo(), nameId: 'dave@other.test' });
    expect((await new Agent().get((request as { url: string }).url)).status).toBe(302);
    expect(await signedIn(one)).toBe(false);
    expect(await signedInOnB(onB(two))).toBe(false);
  });

  it('forged, unsigned, misdirected and expired LogoutRequests end nothing and are audited', async () => {
    const browser = new Agent();
    await a.loginSaml(browser, 'bob');
    const base = { destination: slo(), nameId: 'bob@example.org' };
    const cases = [
      a.saml.logoutRequest({ ...base, signingKey: generateKeyPairAndCert('attacker') }),
      a.saml.logoutRequest({ ...base, signingKey: null }),
      a.saml.logoutRequest({ ...base, binding: 'post', signingKey: null }),
      a.saml.logoutRequest({ ...base, binding: 'post', signingKey: generateKeyPairAndCert('attacker') }),
      a.saml.logoutRequest({ ...base, destination: `${a.url}/elsewhere` }),
      a.saml.logoutRequest({ ...base, notOnOrAfter: new Date(Date.now() - 60 * 60_000) }),
    ];
    const before = (await audits('refused')).length;
    for (const request of cases) {
      const target = 'url' in request ? request.url.replace(`${a.url}/elsewhere`, slo()) : request.action;
      const res = 'url' in request ? await new Agent().get(target) : await new Agent().postForm(target, request.fields);
      expect(res.status).toBe(400);
    }
    expect((await audits('refused')).length).toBe(before + cases.length);
    expect(await signedIn(browser)).toBe(true);
  });

  /** The SessionIndex of this browser's SAML login, as its session (in Redis) keeps it. */
  async function lastSessionIndex(browser: Agent): Promise<string> {
    const signed = decodeURIComponent(browser.cookieHeader(a.url).match(/gatehouse\.sid=([^;]+)/)![1]!);
    const id = signed.replace(/^s:/, '').split('.')[0]!;
    const raw = await createClient({ url: REDIS_URL }).connect();
    try {
      const data = JSON.parse((await raw.get(`gatehouse:sess:${id}`))!) as { gatehouse: { idp: { sid: string } } };
      return data.gatehouse.idp.sid;
    } finally {
      await raw.quit();
    }
  }
});
