/**
 * The library during a database outage (PostgreSQL behind a proxy the test stops): a Passport
 * callback and a request with a session reach the app's error handler as a 503 GatehouseError
 * (`ERR_UNAVAILABLE`), never a bare driver error, and both work again once the database is back.
 */
import type { Server } from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatehouse, type Gatehouse } from '../../../index.ts';
import { Agent } from '../../support/agent.ts';
import { createTestDatabase, PG_CONNECTION, type TestDatabase } from '../../support/db.ts';
import { loginThroughOidc, oidcCallbackThrough } from '../../support/idp-login.ts';
import { LIB_OIDC, startLibraryIdps, type LibraryIdps } from '../../support/library-idps.ts';
import { freePort } from '../../support/ports.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';

describe('the Passport strategy while the database is down', () => {
  let proxy: TcpProxy;
  let db: TestDatabase;
  let idps: LibraryIdps;
  let gh: Gatehouse;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    proxy = await startTcpProxy({ host: PG_CONNECTION.host, port: PG_CONNECTION.port });
    db = await createTestDatabase('pg');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    idps = await startLibraryIdps(url);
    const base = idps.config(db);
    gh = await createGatehouse({ ...base, database: { ...(base.database as Record<string, unknown>), connection: { ...PG_CONNECTION, port: proxy.port } } });
    const passport = new Passport();
    passport.use(gh.strategy(LIB_OIDC));
    passport.serializeUser(gh.serializeUser);
    passport.deserializeUser(gh.deserializeUser);
    const app = express();
    app.use(session({ secret: 'outage-test-secret-0123456789', resave: false, saveUninitialized: false }));
    app.use(passport.session());
    app.get('/auth/:p/login', (req, res, next) => passport.authenticate(req.params.p)(req, res, next));
    app.get('/auth/:p/callback', (req, res, next) => passport.authenticate(req.params.p)(req, res, next), (_req, res) => res.redirect('/'));
    app.get('/me', gh.requireUser(), (req, res) => res.json(req.user));
    const onError: ErrorRequestHandler = (err: { status?: number; code?: string }, _req, res, _next) => {
      res.status(err.status ?? 500).json({ code: err.code ?? null });
    };
    app.use(onError);
    server = app.listen(port, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
  });
  afterAll(async () => {
    await proxy?.start();
    server?.close();
    await gh?.close();
    await idps?.close();
    await db?.drop();
    await proxy?.close();
  });

  it('hands the app a 503 ERR_UNAVAILABLE at the callback and on a session request, and recovers', async () => {
    const alice = new Agent({ timeoutMs: 30_000 });
    expect((await loginThroughOidc(alice, `${url}/auth/${LIB_OIDC}/login`, `${url}/auth/${LIB_OIDC}/callback`, 'alice')).status).toBe(302);
    expect((await alice.get(`${url}/me`, { accept: 'application/json' })).status).toBe(200);

    const bob = new Agent({ timeoutMs: 30_000 });
    const callback = await oidcCallbackThrough(bob, `${url}/auth/${LIB_OIDC}/login`, `${url}/auth/${LIB_OIDC}/callback`, 'bob');
    await proxy.stop();
    try {
      const failed = await bob.get(callback, { accept: 'application/json' });
      expect(failed.status).toBe(503);
      expect(failed.json()).toEqual({ code: 'ERR_UNAVAILABLE' });
      const me = await alice.get(`${url}/me`, { accept: 'application/json' });
      expect(me.status).toBe(503);
      expect(me.json()).toEqual({ code: 'ERR_UNAVAILABLE' });
    } finally {
      await proxy.start();
    }
    expect((await alice.get(`${url}/me`, { accept: 'application/json' })).status).toBe(200);
    const again = new Agent({ timeoutMs: 30_000 });
    expect((await loginThroughOidc(again, `${url}/auth/${LIB_OIDC}/login`, `${url}/auth/${LIB_OIDC}/callback`, 'bob')).status).toBe(302);
  });
});
