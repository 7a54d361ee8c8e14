/**
 * Deactivate, reactivate and delete a user through the admin API over real HTTP, on every
 * database: deactivation ends the user's sessions at once and refuses their logins as SCIM
 * deprovisioning does, reactivation lets them back with their memberships, deletion removes the
 * user but not the audit trail; every change is audited with its actor; an admin cannot lock
 * themself out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../plugin/tokens.ts';
import { DB_KINDS } from '../../support/db.ts';
import type { AgentResponse } from '../../support/agent.ts';
import { Agent, startTestGateway, type TestGateway } from '../webhooks/support.ts';

interface Detail {
  user: { id: string; status: string };
  effective: { organization: string; roles: string[] }[];
}

describe.each(DB_KINDS)('user lifecycle through the admin API on %s', (kind) => {
  let t: TestGateway;
  let token: string;
  const client = new Agent();
  const call = (method: string, path: string): Promise<AgentResponse> =>
    client.request(`${t.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  const me = (agent: Agent) => agent.get(`${t.url}/auth/me`, { accept: 'application/json' });
  const person = (name: string, extra: Record<string, unknown> = {}) => t.users.set(name, { sub: name, email: `${name}@example.com`, email_verified: true, ...extra });
  async function signedIn(name: string): Promise<{ agent: Agent; id: string }> {
    const agent = new Agent();
    await t.login(agent, name);
    return { agent, id: (await me(agent)).json<{ user: { id: string } }>().user.id };
  }
  const auditOf = async (userId: string, action: string) =>
    (await call('GET', `/audit?user=${userId}&action=${action}`)).json<{ entries: { actor: string; outcome: string; details: Record<string, unknown> }[] }>().entries;

  beforeAll(async () => {
    t = await startTestGateway(kind, (c) => ({ ...c, provisioning: { ...c.provisioning, instanceAdmins: ['boss@example.com'] } }));
    token = (await mintToken(t.gw.store, { kind: 'admin', name: 'lifecycle', actor: 'test' })).token;
  });
  afterAll(() => t.close());

  it('deactivates: the open session dies at once, logins are refused, the audit names the actor', async () => {
    person('dora', { groups: ['chainloop_acme-corp_developers'] });
    const { agent, id } = await signedIn('dora');
    const res = await call('POST', `/users/${id}/deactivate`);
    expect(res.status).toBe(200);
    expect(res.json<Detail>().user.status).toBe('deprovisioned');
    expect((await me(agent)).status).toBe(401);
    const again = await new Agent().get(`${t.url}/auth/corp-oidc/callback?as=dora`, { accept: 'application/json' });
    expect(again.status).toBe(403);
    const [entry] = await auditOf(id, 'user.deactivate');
    expect(entry).toMatchObject({ actor: 'admin-token:lifecycle', outcome: 'deprovisioned', details: { previous: 'active' } });
    expect(entry?.details.sessionsEnded).toBeGreaterThanOrEqual(1);
    expect((await call('POST', `/users/${id}/deactivate`)).status).toBe(409);
  });

  it('reactivates a deactivated user, who signs in again with the memberships kept', async () => {
    const id = (await call('GET', '/users?q=dora')).json<{ users: { id: string }[] }>().users[0]!.id;
    const res = await call('POST', `/users/${id}/reactivate`);
    expect(res.status).toBe(200);
    expect(res.json<Detail>()).toMatchObject({ user: { status: 'active' }, effective: [{ organization: 'acme-corp', roles: ['viewer'] }] });
    const agent = new Agent();
    await t.login(agent, 'dora');
    expect((await me(agent)).json()).toMatchObject({ user: { status: 'active' }, memberships: [{ organization: 'acme-corp', groups: ['developers'] }] });
    expect(await auditOf(id, 'user.reactivate')).toMatchObject([{ actor: 'admin-token:lifecycle', outcome: 'active', details: { previous: 'deprovisioned' } }]);
    const twice = await call('POST', `/users/${id}/reactivate`);
    expect(twice.status).toBe(409);
    expect(twice.json()).toMatchObject({ error: 'ERR_CONFLICT', message: expect.stringMatching(/is active, not deactivated/) });
  });

  it('deletes a user with their session; the audit entry stays; a later login starts afresh', async () => {
    person('eve');
    const { agent, id } = await signedIn('eve');
    expect((await call('DELETE', `/users/${id}`)).status).toBe(204);
    expect((await call('GET', `/users/${id}`)).status).toBe(404);
    expect((await me(agent)).status).toBe(401);
    expect(await auditOf(id, 'user.delete')).toMatchObject([{ actor: 'admin-token:lifecycle', outcome: 'deleted', details: { email: 'eve@example.com', previous: 'active' } }]);
    expect((await call('DELETE', `/users/${id}`)).status).toBe(404);
    const fresh = await signedIn('eve');
    expect(fresh.id).not.toBe(id);
  });

  it('answers 404 for an unknown user on every route', async () => {
    for (const [method, path] of [['POST', '/users/nope/deactivate'], ['POST', '/users/nope/reactivate'], ['DELETE', '/users/nope']] as const) {
      const res = await call(method, path);
      expect(res.status, path).toBe(404);
      expect(res.json()).toMatchObject({ error: 'ERR_NOT_FOUND' });
    }
  });

  it('refuses an admin session deactivating or deleting its own account (409), and writes nothing', async () => {
    person('boss');
    const { agent, id } = await signedIn('boss');
    const json = { 'content-type': 'application/json' };
    const off = await agent.request(`${t.url}/admin/api/users/${id}/deactivate`, { method: 'POST', headers: json, body: '{}' });
    expect(off.status).toBe(409);
    expect(off.json()).toMatchObject({ message: 'you cannot deactivate your own account' });
    expect((await agent.request(`${t.url}/admin/api/users/${id}`, { method: 'DELETE', headers: json })).status).toBe(409);
    expect((await me(agent)).json()).toMatchObject({ user: { status: 'active' } });
  });
});
