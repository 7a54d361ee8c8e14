/**
 * SCIM deprovisioning against a real login: a user signs in through the real OIDC provider, the
 * IdP's SCIM client sets active=false, and the live session dies on its next request; a
 * reactivation lets the user sign in again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../plugin/tokens.ts';
import { Agent } from '../support/agent.ts';
import { DB_KINDS } from '../support/db.ts';
import { startHarness, type Harness } from '../support/harness.ts';

describe.each(DB_KINDS)('SCIM deprovisioning ends live sessions on %s', (db) => {
  let h: Harness;
  let token: string;
  const scim = (path: string, init: { method?: string; json?: unknown } = {}) =>
    new Agent().request(`${h.url}/scim/v2${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', accept: 'application/scim+json' },
    });

  beforeAll(async () => {
    h = await startHarness({ db, config: (c) => ({ ...c, scim: { enabled: true, basePath: '/scim/v2' } }) });
    token = (await mintToken(h.gateway.store, { kind: 'scim', name: 'okta-test', actor: 'test' })).token;
  });
  afterAll(() => h?.close());

  async function scimIdOf(email: string): Promise<string> {
    const res = await scim(`/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`);
    expect(res.status).toBe(200);
    const body = res.json<{ totalResults: number; Resources: { id: string }[] }>();
    expect(body.totalResults).toBe(1);
    return body.Resources[0]!.id;
  }

  it('Okta-style PATCH active=false kills the session on its next request; reactivation restores login', async () => {
    const browser = new Agent();
    expect((await h.loginOidc(browser, 'alice')).status).toBe(302);
    expect((await h.me(browser)).status).toBe(200);
    const id = await scimIdOf('alice@example.com');

    const off = await scim(`/Users/${id}`, {
      method: 'PATCH',
      json: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] },
    });
    expect(off.status).toBe(200);
    expect(off.json<{ active: boolean }>().active).toBe(false);
    expect((await h.me(browser)).status).toBe(401);
    expect((await h.loginOidc(new Agent(), 'alice')).status).toBe(403);

    const on = await scim(`/Users/${id}`, {
      method: 'PATCH',
      json: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: 'True' }] },
    });
    expect(on.status).toBe(200);
    const again = new Agent();
    expect((await h.loginOidc(again, 'alice')).status).toBe(302);
    expect((await h.me(again)).status).toBe(200);
  });

  it('a SCIM DELETE ends the session too, and the audit keeps the token name', async () => {
    const browser = new Agent();
    await h.loginSaml(browser, 'carol');
    const id = await scimIdOf('carol@example.com');
    expect((await scim(`/Users/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await h.me(browser)).status).toBe(401);
    const audit = await h.gateway.knex('gh_audit').where('actor', 'like', '%okta-test%').orderBy('id', 'desc').first();
    expect(audit).toBeTruthy();
  });
});
