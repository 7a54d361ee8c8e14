/**
 * The SCIM server's own HTTP layer (plain node:http, no framework): body reading limits and
 * refusals, response headers, and the same handler mounted as middleware in a host Express app
 * that parses JSON bodies itself.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatehouseFromConfig, type Backend } from '../../../adapters/backend.ts';
import { parseConfig } from '../../../plugin/config/parse.ts';
import { createLogger } from '../../../plugin/logger.ts';
import { mintToken } from '../../../plugin/tokens.ts';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/db.ts';
import { ORGS, USER_SCHEMA, scimClient, startScimServer, type ScimServer } from './helpers.ts';

/** A raw request, to send what fetch would not (lying Content-Length, content codings). */
function raw(url: string, method: string, headers: Record<string, string | number>, body?: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.each(DB_KINDS)('SCIM HTTP layer on %s', (kind) => {
  let s: ScimServer;
  beforeAll(async () => {
    s = await startScimServer(kind);
  });
  afterAll(async () => {
    await s?.close();
  });
  const auth = () => ({ authorization: `Bearer ${s.token}` });

  it('answers with no-store, nosniff and the SCIM media type, and never opens a session', async () => {
    const res = await raw(`${s.base}/Users`, 'GET', auth());
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a compressed body, a non-UTF-8 charset and a JSON scalar, and audits each refusal', async () => {
    const body = Buffer.from(JSON.stringify({ schemas: [USER_SCHEMA], userName: 'coded@x.example' }));
    const gz = await raw(`${s.base}/Users`, 'POST', { ...auth(), 'content-type': 'application/scim+json', 'content-encoding': 'gzip', 'content-length': body.length }, body);
    expect(gz.status).toBe(415);
    const latin = await raw(`${s.base}/Users`, 'POST', { ...auth(), 'content-type': 'application/json; charset=latin1', 'content-length': body.length }, body);
    expect(latin.status).toBe(415);
    const scalar = Buffer.from('"just a string"');
    const str = await raw(`${s.base}/Users`, 'POST', { ...auth(), 'content-type': 'application/scim+json', 'content-length': scalar.length }, scalar);
    expect(str.status).toBe(400);
    expect(JSON.parse(str.body).scimType).toBe('invalidSyntax');
    expect((await s.scim.get('/Users?filter=userName eq "coded@x.example"')).body.totalResults).toBe(0);
    // Refusals go through the batched audit log: wait for its flush.
    let statuses: unknown[] = [];
    for (let i = 0; i < 50 && statuses.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const rows = (await s.gateway.store.listAudit({ action: 'scim.request' })).entries.filter((e) => e.outcome === 'error');
      statuses = rows.map((e) => (e.details as { status?: unknown }).status);
    }
    expect(statuses.filter((x) => x === 415)).toHaveLength(2);
    expect(statuses).toContain(400);
  });

  it('counts requests in /metrics by action and status', async () => {
    await s.scim.get('/Users?count=1');
    await s.scim.get('/Users/no-such-user');
    await scimClient(s.base, 'ghs_not-a-token').get('/Users');
    await s.scim.get('/ServiceProviderConfig');
    const text = await (await fetch(`${s.url}/metrics`)).text();
    const value = (labels: string) => Number(new RegExp(`gatehouse_scim_requests_total\\{${labels}\\} (\\d+)`).exec(text)?.[1] ?? 0);
    expect(value('action="scim.user.list",status="200"')).toBeGreaterThanOrEqual(1);
    expect(value('action="scim.user.get",status="404"')).toBeGreaterThanOrEqual(1);
    expect(value('action="scim.auth",status="401"')).toBeGreaterThanOrEqual(1);
    expect(value('action="scim.discovery",status="200"')).toBeGreaterThanOrEqual(1);
  });

  it('refuses a declared Content-Length over the limit before reading the body', async () => {
    // The body is never sent: the answer must come from the header alone.
    const res = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${s.base}/Users`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/scim+json', 'content-length': 5_000_000 } }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write('{');
    });
    expect(res).toBe(413);
  });

  it("lists a user's groups by display name, case-insensitively, in get and in list", async () => {
    const user = await s.scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'sorted@x.example' });
    const id = user.body.id as string;
    for (const name of ['b-team', 'A-team', 'c-team']) {
      const g = await s.scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: name, members: [{ value: id }] });
      expect(g.status).toBe(201);
    }
    const names = (body: Record<string, unknown>) => (body.groups as { display: string }[]).map((g) => g.display);
    expect(names((await s.scim.get(`/Users/${id}`)).body)).toEqual(['A-team', 'b-team', 'c-team']);
    const listed = await s.scim.get(`/Users?filter=${encodeURIComponent('userName eq "sorted@x.example"')}`);
    expect(names((listed.body.Resources as Record<string, unknown>[])[0] as Record<string, unknown>)).toEqual(['A-team', 'b-team', 'c-team']);
  });

  it('renders a user that has a userName but no SCIM document from its columns, in get and in list', async () => {
    const made = await s.gateway.store.insertUser({
      email: 'columns-only@x.example',
      emailOriginal: 'Columns-Only@x.example',
      userName: 'columns-only@x.example',
      externalId: 'ext-columns',
      givenName: 'Col',
      familyName: 'Umns',
      displayName: 'Col Umns',
      status: 'active',
    });
    const expected = {
      id: made.id,
      userName: 'columns-only@x.example',
      externalId: 'ext-columns',
      name: { givenName: 'Col', familyName: 'Umns' },
      displayName: 'Col Umns',
      emails: [{ value: 'Columns-Only@x.example', type: 'work', primary: true }],
      active: true,
    };
    expect((await s.scim.get(`/Users/${made.id}`)).body).toMatchObject(expected);
    // In a page of several users, next to users that do have a document.
    const page = await s.scim.get('/Users?count=1000');
    const listed = (page.body.Resources as Record<string, unknown>[]).find((r) => r.id === made.id);
    expect(listed).toMatchObject(expected);
    expect((page.body.Resources as unknown[]).length).toBeGreaterThan(1);
  });

  it('answers HEAD like GET without a body and decodes percent-encoded ids', async () => {
    const created = await s.scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'head@x.example' });
    const id = created.body.id as string;
    const head = await raw(`${s.base}/Users/${id}`, 'HEAD', auth());
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers.etag).toBe(created.headers.get('etag'));
    const encoded = await s.scim.get(`/Users/${encodeURIComponent(id).replace(/-/g, '%2D')}`);
    expect(encoded.status).toBe(200);
    expect(encoded.body.id).toBe(id);
    expect((await s.scim.get('/users/')).status).toBe(200);
  });
});

describe.each(DB_KINDS)('SCIM mounted in a host Express app on %s', (kind) => {
  let db: TestDatabase;
  let backend: Backend;
  let server: http.Server;
  let url = '';
  let token = '';
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const config = parseConfig({
      server: { port: 0, host: '127.0.0.1', baseUrl: 'http://127.0.0.1:1', sessionSecret: randomBytes(24).toString('hex') },
      database: db.config,
      organizations: ORGS,
      scim: { enabled: true, basePath: '/scim/v2' },
      log: { level: 'silent' },
    });
    backend = await createGatehouseFromConfig(config, { logger: createLogger('silent') });
    token = (await mintToken(backend.store, { kind: 'scim', name: 'host-app', actor: 'test' })).token;
    const app = express();
    // The host parses JSON for its own routes before Gatehouse sees the request.
    app.use(express.json({ type: ['application/json', 'application/scim+json'] }));
    app.post('/echo', (req, res) => {
      res.json({ echoed: req.body });
    });
    app.use(backend.gatehouse.router);
    app.get('/after', (_req, res) => {
      res.json({ after: true });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.close();
    await backend?.close();
    await db?.drop();
  });

  it('serves SCIM through the router, with bodies the host already parsed, and leaves other routes to the host', async () => {
    const scim = scimClient(`${url}/scim/v2`, token);
    const created = await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'hosted@x.example', active: true });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`http://127.0.0.1:1/scim/v2/Users/${created.body.id as string}`);
    const patched = await scim.patch(`/Users/${created.body.id as string}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'displayName', value: 'Hosted' }],
    });
    expect(patched.status).toBe(200);
    expect(patched.body.displayName).toBe('Hosted');
    expect((await scim.get('/Users?filter=userName eq "HOSTED@x.example"')).body.totalResults).toBe(1);
    expect((await scimClient(`${url}/scim/v2`, null).get('/Users')).status).toBe(401);
    const echo = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(await echo.json()).toEqual({ echoed: { a: 1 } });
    expect(await (await fetch(`${url}/after`)).json()).toEqual({ after: true });
  });
});
