/**
 * Gatehouse as a library, in process: an Express app with express-session and passport 0.7
 * signs users in through `gh.strategy(id)` over the real OIDC provider and SAML IdP, reads
 * `req.user`, and guards routes; refusals reach `failureRedirect`/`failureMessage` and custom
 * callbacks with their reason; nothing is mounted unless asked for. (The same, from the packed
 * tarball with plain node, is test/package/package.test.ts.)
 */
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatehouse, type Gatehouse, type GatehouseLoginRefusal } from '../../../index.ts';
import { Agent } from '../../support/agent.ts';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/db.ts';
import { loginThroughOidc, loginThroughSaml, samlResponseThrough } from '../../support/idp-login.ts';
import { LIB_OIDC, LIB_SAML, startLibraryIdps, type LibraryIdps } from '../../support/library-idps.ts';
import { freePort } from '../../support/ports.ts';
import { openDatabase } from '../../../adapters/store/database.ts';
import type { Knex } from 'knex';

type CallbackMode = 'redirect' | 'custom';

function buildApp(gh: Gatehouse, mode: { callback: CallbackMode; last?: unknown }, optIn: boolean): Express {
  const passport = new Passport();
  for (const p of gh.providers()) passport.use(gh.strategy(p.id));
  passport.serializeUser(gh.serializeUser);
  passport.deserializeUser(gh.deserializeUser);
  const app = express();
  app.use(session({ secret: 'library-test-secret-0123456789', resave: false, saveUninitialized: false }));
  app.use(passport.session());
  app.get('/visit', (req, res) => {
    (req.session as unknown as { visited: boolean }).visited = true;
    res.json({ ok: true });
  });
  app.get('/auth/:p/login', (req, res, next) => passport.authenticate(req.params.p)(req, res, next));
  app.all('/auth/:p/callback', (req, res, next) => {
    if (mode.callback === 'custom') {
      passport.authenticate(req.params.p, (err: unknown, user: unknown, info: unknown, status: unknown) => {
        mode.last = { err: err ? String(err) : null, user, info, status };
        if (err) return next(err);
        if (!user) return res.status(Number(status) || 401).json({ info });
        req.logIn(user as Express.User, (e) => (e ? next(e) : res.json({ user, info })));
      })(req, res, next);
      return;
    }
    passport.authenticate(req.params.p, { failureRedirect: '/denied', failureMessage: true })(req, res, () => res.redirect('/'));
  });
  app.get('/denied', (req, res) => res.status(403).json({ messages: (req.session as unknown as { messages?: string[] }).messages ?? [] }));
  app.get('/me', gh.requireUser(), (req, res) => res.json(req.user));
  app.get('/orders', gh.requireRole('acme-corp', 'admin'), (_req, res) => res.json({ orders: [] }));
  app.get('/reports', gh.requireGroup('acme-corp', 'developers'), (_req, res) => res.json({ reports: [] }));
  if (optIn) {
    app.use(gh.metadata());
    app.use(gh.waitingRoom());
    app.use(gh.scim());
    app.use('/admin', gh.admin());
    app.get('/ops/metrics', gh.metrics());
  }
  return app;
}

describe.each(DB_KINDS)('the Passport strategy of createGatehouse on %s', (kind) => {
  let db: TestDatabase;
  let idps: LibraryIdps;
  let gh: Gatehouse;
  let server: Server;
  let url: string;
  let knex: Knex;
  const mode: { callback: CallbackMode; last?: unknown } = { callback: 'redirect' };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    idps = await startLibraryIdps(url);
    gh = await createGatehouse(idps.config(db));
    server = buildApp(gh, mode, true).listen(port, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    knex = openDatabase(db.config);
  });
  afterAll(async () => {
    server?.close();
    await knex?.destroy();
    await gh?.close();
    await idps?.close();
    await db?.drop();
  });

  const oidc = (agent: Agent, user: string) => loginThroughOidc(agent, `${url}/auth/${LIB_OIDC}/login`, `${url}/auth/${LIB_OIDC}/callback`, user);
  const saml = (agent: Agent, user: string) => loginThroughSaml(agent, `${url}/auth/${LIB_SAML}/login`, user);
  const json = (agent: Agent, path: string) => agent.get(`${url}${path}`, { accept: 'application/json' });

  it('logs a user in over OIDC: req.user carries id, email, status, instanceAdmin and memberships; guards answer 200', async () => {
    const agent = new Agent();
    const visit = await agent.get(`${url}/visit`);
    expect(visit.status).toBe(200);
    const before = agent.cookieHeader(url);
    const res = await oidc(agent, 'alice');
    expect(res.status).toBe(302);
    expect(res.location).toBe(`${url}/`);
    // passport 0.7 regenerates the session at login: a new session id.
    expect(agent.cookieHeader(url)).not.toBe(before);
    const me = await json(agent, '/me');
    expect(me.status).toBe(200);
    expect(me.json()).toEqual({
      id: expect.any(String),
      email: 'alice@example.com',
      status: 'active',
      instanceAdmin: true,
      memberships: [{ organization: 'acme-corp', roles: ['admin'], groups: ['developers'] }],
    });
    expect((await json(agent, '/orders')).status).toBe(200);
    expect((await json(agent, '/reports')).status).toBe(200);
  });

  it('answers 401 without a user and 403 without the role or group', async () => {
    expect((await json(new Agent(), '/orders')).status).toBe(401);
    expect((await json(new Agent(), '/me')).status).toBe(401);
    const bob = new Agent();
    expect((await oidc(bob, 'bob')).status).toBe(302);
    expect((await json(bob, '/me')).json()).toMatchObject({ email: 'bob@example.org', status: 'active', memberships: [] });
    const orders = await json(bob, '/orders');
    expect(orders.status).toBe(403);
    expect(orders.json()).toMatchObject({ error: 'forbidden' });
    expect((await json(bob, '/reports')).status).toBe(403);
  });

  it('fails the strategy when the gate refuses: failureRedirect with the message, or info.reason in a custom callback, and an audit row', async () => {
    const res = await oidc(new Agent(), 'dave');
    expect(res.status).toBe(302);
    expect(res.location).toBe(`${url}/denied`);
    mode.callback = 'custom';
    try {
      const agent = new Agent();
      const again = await oidc(agent, 'dave');
      expect(again.status).toBe(403);
      const info = (again.json() as { info: GatehouseLoginRefusal }).info;
      expect(info).toEqual({ provider: LIB_OIDC, reason: 'not_allowlisted', code: 'ERR_NOT_ALLOWLISTED', message: 'Ask IT for access.' });
      expect((await json(agent, '/me')).status).toBe(401);
    } finally {
      mode.callback = 'redirect';
    }
    const rows = await knex('gh_audit').where({ action: 'login', outcome: 'not_allowlisted' });
    expect(rows.length).toBe(2);
  });

  it('shows the refusal message through failureMessage', async () => {
    const agent = new Agent();
    const res = await oidc(agent, 'dave');
    const denied = await agent.get(res.location!);
    expect(denied.status).toBe(403);
    expect(denied.json()).toEqual({ messages: ['Ask IT for access.'] });
  });

  it('refuses a tampered SAML response with 401 and the reason invalid_assertion', async () => {
    mode.callback = 'custom';
    try {
      const agent = new Agent();
      const { acs, fields } = await samlResponseThrough(agent, `${url}/auth/${LIB_SAML}/login`, 'bob');
      const xml = Buffer.from(fields.SAMLResponse!, 'base64').toString('utf8').replace('bob@example.org', 'alice@example.com');
      const res = await agent.postForm(acs, { ...fields, SAMLResponse: Buffer.from(xml).toString('base64') });
      expect(res.status).toBe(401);
      expect((res.json() as { info: GatehouseLoginRefusal }).info).toMatchObject({ reason: 'invalid_assertion', code: 'ERR_INVALID_ASSERTION' });
    } finally {
      mode.callback = 'redirect';
    }
  });

  it('logs a new SAML user in as pending_approval: told so in info, held by the guards, shown the waiting room', async () => {
    mode.callback = 'custom';
    const agent = new Agent();
    try {
      const res = await saml(agent, 'carol');
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({
        user: { email: 'carol@example.com', status: 'pending_approval', memberships: [] },
        info: { provider: LIB_SAML, outcome: 'pending', message: expect.stringContaining('waiting') },
      });
    } finally {
      mode.callback = 'redirect';
    }
    const me = await json(agent, '/me');
    expect(me.status).toBe(403);
    expect(me.json()).toMatchObject({ error: 'pending_approval', waitingRoom: '/auth/waiting-room' });
    const room = await agent.get(`${url}/auth/waiting-room`, { accept: 'text/html' });
    expect(room.status).toBe(200);
    expect(room.text).toContain('Waiting for approval');
  });

  it('links a SAML login to the active user with the same trusted email', async () => {
    const agent = new Agent();
    expect((await saml(agent, 'alice')).status).toBe(302);
    expect((await json(agent, '/me')).json()).toMatchObject({ email: 'alice@example.com', status: 'active' });
  });

  it('ends the session of a deprovisioned user on the next request (deserializeUser gives no user)', async () => {
    const agent = new Agent();
    await oidc(agent, 'bob');
    expect((await json(agent, '/me')).status).toBe(200);
    await knex('gh_users').where({ email: 'bob@example.org' }).update({ status: 'deprovisioned' });
    expect((await json(agent, '/me')).status).toBe(401);
    await knex('gh_users').where({ email: 'bob@example.org' }).update({ status: 'active' });
  });

  it('serves the opt-in routers: SAML metadata, SCIM discovery, the admin API for an instance admin, metrics', async () => {
    const meta = await new Agent().get(`${url}/auth/${LIB_SAML}/metadata`);
    expect(meta.status).toBe(200);
    expect(meta.text).toContain(`${url}/auth/${LIB_SAML}/callback`);
    expect((await json(new Agent(), '/scim/v2/ServiceProviderConfig')).status).toBe(200);
    expect((await json(new Agent(), '/scim/v2/Users')).status).toBe(401);
    const admin = new Agent();
    await oidc(admin, 'alice');
    const users = await json(admin, '/admin/api/users');
    expect(users.status).toBe(200);
    expect((users.json() as { users: { email: string }[] }).users.map((u) => u.email)).toContain('alice@example.com');
    const bob = new Agent();
    await oidc(bob, 'bob');
    expect((await json(bob, '/admin/api/users')).status).toBe(403);
    const metrics = await new Agent().get(`${url}/ops/metrics`);
    expect(metrics.text).toContain('gatehouse_logins_total');
  });

  it('mounts nothing the app did not ask for', async () => {
    const bare = buildApp(gh, { callback: 'redirect' }, false).listen(0, '127.0.0.1');
    await new Promise((r) => bare.once('listening', r));
    try {
      const base = `http://127.0.0.1:${(bare.address() as { port: number }).port}`;
      for (const path of ['/metrics', '/admin', '/admin/api/users', '/scim/v2/ServiceProviderConfig', '/healthz', '/auth/me', `/auth/${LIB_SAML}/metadata`]) {
        expect((await new Agent().get(`${base}${path}`)).status, path).toBe(404);
      }
    } finally {
      bare.close();
    }
  });

  it('refuses an unknown provider id at strategy() with a TypeError naming the configured ones', () => {
    expect(() => gh.strategy('nope')).toThrow(/no provider "nope".*corp-oidc, corp-saml/);
  });
});
