/**
 * Session behaviour across restarts and instances: secret rotation, logout, SP metadata, and
 * logs that never carry secrets.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../../adapters/gateway/server.ts';
import { parseConfig } from '../../plugin/config/parse.ts';
import { createLogger } from '../../plugin/logger.ts';
import { Agent } from '../support/agent.ts';
import { DB_KINDS } from '../support/db.ts';
import { OIDC_ID, SAML_ID, startHarness, type Harness } from '../support/harness.ts';

describe.each(DB_KINDS)('sessions on %s', (db) => {
  let h: Harness;
  let logs = '';
  const OLD = 'old-secret-old-secret-old-secret';
  const NEW = 'new-secret-new-secret-new-secret';

  beforeAll(async () => {
    h = await startHarness({ db, config: (c) => ({ ...c, server: { ...c.server!, sessionSecret: OLD } }) });
  });
  afterAll(() => h?.close());

  /** A second gateway on the same database, with another secret list and a log capture. */
  async function second(secret: string | string[]) {
    const parsed = parseConfig({ ...h.gateway.gatehouse.context.config, server: { ...h.gateway.gatehouse.context.config.server, port: 0, sessionSecret: secret } });
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs += chunk.toString();
        cb();
      },
    });
    return startGateway(parsed, { logger: createLogger('debug', sink) });
  }

  it('a session signed with the old secret still works after rotation to [new, old], and not after [new]', async () => {
    const a = new Agent();
    await h.loginOidc(a, 'alice');
    expect((await h.me(a)).status).toBe(200);
    const rotated = await second([NEW, OLD]);
    const onlyNew = await second(NEW);
    try {
      const copy = new Agent();
      copy.setCookie(rotated.url, 'gatehouse.sid', a.cookieHeader(h.url).replace(/^gatehouse\.sid=/, ''));
      expect((await copy.get(`${rotated.url}/auth/me`)).status).toBe(200);
      const stale = new Agent();
      stale.setCookie(onlyNew.url, 'gatehouse.sid', a.cookieHeader(h.url).replace(/^gatehouse\.sid=/, ''));
      expect((await stale.get(`${onlyNew.url}/auth/me`)).status).toBe(401);
    } finally {
      await rotated.close();
      await onlyNew.close();
    }
  });

  it('logout ends the session on the server, not only in the browser', async () => {
    const a = new Agent();
    await h.loginSaml(a, 'carol');
    const cookie = a.cookieHeader(h.url);
    expect((await a.request(`${h.url}/auth/logout`, { method: 'POST' })).status).toBe(204);
    const replay = new Agent();
    replay.setCookie(h.url, 'gatehouse.sid', cookie.replace(/^gatehouse\.sid=/, ''));
    expect((await h.me(replay)).status).toBe(401);
  });

  it('keeps the IdP session only for providers that take part in logouts (OIDC here; SAML without logoutUrl keeps nothing)', async () => {
    const sessionOf = async (email: string) => {
      const user = (await h.gateway.store.findUserByEmail(email))!;
      const rows = (await h.gateway.knex('gh_sessions').where({ user_id: user.id })) as { sess: string }[];
      return JSON.parse(rows.at(-1)!.sess) as { gatehouse: { provider: string; idp?: { subject: string; sid?: string } } };
    };
    await h.loginOidc(new Agent(), 'carol');
    await h.loginSaml(new Agent(), 'dave');
    const oidc = (await sessionOf('carol@example.com')).gatehouse;
    expect(oidc.provider).toBe(OIDC_ID);
    expect(oidc.idp?.subject).toBeTruthy();
    expect(oidc.idp?.sid).toBeTruthy();
    const saml = (await sessionOf('dave@other.test')).gatehouse;
    expect(saml.provider).toBe(SAML_ID);
    expect(saml.idp).toBeUndefined();
  });

  it('serves SAML SP metadata with our entity ID and ACS, and 404 for OIDC providers', async () => {
    const res = await new Agent().get(`${h.url}/auth/${SAML_ID}/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/samlmetadata+xml');
    expect(res.text).toContain('entityID="urn:gatehouse:test-sp"');
    expect(res.text).toContain(`${h.url}/auth/${SAML_ID}/callback`);
    expect((await new Agent().get(`${h.url}/auth/${OIDC_ID}/metadata`)).status).toBe(404);
    expect((await new Agent().get(`${h.url}/auth/nope/login`)).status).toBe(404);
  });

  it('logs logins as structured JSON without secrets, tokens or assertions', async () => {
    logs = '';
    const gw = await second(NEW);
    try {
      // Log in on the second instance: its OIDC callback is not registered, so use SAML there.
      const a = new Agent();
      const start = await a.get(`${gw.url}/auth/${SAML_ID}/login`);
      expect(start.status).toBe(302);
      const bad = await a.postForm(`${gw.url}/auth/${SAML_ID}/callback`, { SAMLResponse: Buffer.from('<nope/>').toString('base64') });
      expect(bad.status).toBe(401);
      expect(logs).toContain('"msg":"login refused"');
      for (const line of logs.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
      for (const secret of [NEW, OLD, 'test-secret', 'PG5vcGUvPg']) expect(logs).not.toContain(secret);
    } finally {
      await gw.close();
    }
  });
});
