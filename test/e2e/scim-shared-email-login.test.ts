/**
 * Where SCIM and SSO meet on an email, through the whole gateway with the real OIDC provider:
 * - an SSO login whose verified email two SCIM users share is refused, never linked to one of
 *   them at random, with an audit row that names the ambiguity;
 * - a user created by a first SSO login is adopted by a SCIM POST of the same userName (Entra
 *   and Okta provision after SSO came first), not answered 409.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../plugin/tokens.ts';
import { Agent } from '../support/agent.ts';
import { DB_KINDS } from '../support/db.ts';
import { OIDC_ID, startHarness, type Harness } from '../support/harness.ts';

type Json = Record<string, any>;
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe.each(DB_KINDS)('SCIM and SSO on a shared email on %s', (db) => {
  let h: Harness;
  let token: string;
  const users = [
    { username: 'shared', email: 'shared@example.com', groups: [] },
    { username: 'single', email: 'single@example.com', groups: [] },
    { username: 'sso-first', email: 'SSO-First@example.com', givenName: 'Sue', groups: [] },
  ];
  const scim = (method: string, path: string, json?: unknown) =>
    new Agent().request(`${h.url}/scim/v2${path}`, {
      method,
      ...(json === undefined ? {} : { json }),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', accept: 'application/scim+json' },
    });
  const scimUser = (userName: string, email: string) => ({ schemas: [USER], userName, externalId: `ext-${userName}`, emails: [{ primary: true, type: 'work', value: email }], active: true });

  beforeAll(async () => {
    h = await startHarness({ db, users, config: (c) => ({ ...c, scim: { enabled: true, basePath: '/scim/v2' } }) });
    token = (await mintToken(h.gateway.store, { kind: 'scim', name: 'entra-test', actor: 'test' })).token;
  });
  afterAll(() => h?.close());

  it('a verified email two SCIM users share: the login is refused (403), audited with both ids, nothing linked', async () => {
    const a = await scim('POST', '/Users', scimUser('shared.one', 'shared@example.com'));
    const b = await scim('POST', '/Users', scimUser('shared.two', 'Shared@example.com'));
    expect([a.status, b.status]).toEqual([201, 201]);
    const ids = [a.json<Json>().id, b.json<Json>().id].sort();

    const res = await h.loginOidc(new Agent(), 'shared');
    expect(res.status).toBe(403);
    expect(res.text).toContain('Several accounts here use the email shared@example.com');
    for (const id of ids) expect(await h.gateway.store.listIdentities(id)).toEqual([]);
    const audit = await h.gateway.knex('gh_audit').where({ action: 'login' }).orderBy('id', 'desc').first();
    expect(audit).toMatchObject({ provider: OIDC_ID, outcome: 'email_conflict' });
    expect(JSON.parse(audit.details)).toMatchObject({ code: 'ERR_EMAIL_CONFLICT', reason: 'email_shared_by_several_users', userIds: ids, email: 'shared@example.com' });
  });

  it('a verified email one SCIM user holds still links the login to that user', async () => {
    const u = await scim('POST', '/Users', scimUser('single.one', 'single@example.com'));
    expect(u.status).toBe(201);
    expect((await h.loginOidc(new Agent(), 'single')).status).toBe(302);
    expect((await h.gateway.store.listIdentities(u.json<Json>().id)).map((i) => i.provider)).toEqual([OIDC_ID]);
  });

  it('a user created by a first SSO login is adopted by a SCIM POST of its email as userName', async () => {
    const browser = new Agent();
    expect((await h.loginOidc(browser, 'sso-first')).status).toBe(302);
    const me = (await h.me(browser)).json<Json>();
    const res = await scim('POST', '/Users', { ...scimUser('sso-first@example.com', 'sso-first@example.com'), name: { givenName: 'Susan' } });
    expect(res.status).toBe(201);
    expect(res.json<Json>()).toMatchObject({ id: me.user.id, userName: 'sso-first@example.com', externalId: 'ext-sso-first@example.com', name: { givenName: 'Susan' } });
    expect((await h.gateway.store.listIdentities(me.user.id)).map((i) => i.provider)).toEqual([OIDC_ID]);
    // Adopted once: SCIM owns it now, a second POST is the ordinary uniqueness conflict.
    expect((await scim('POST', '/Users', scimUser('sso-first@example.com', 'sso-first@example.com'))).status).toBe(409);
    // The session and the sign-in keep working on the same account.
    expect((await h.me(browser)).status).toBe(200);
    expect((await h.loginOidc(new Agent(), 'sso-first')).status).toBe(302);
  });
});
