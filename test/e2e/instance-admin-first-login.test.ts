/**
 * The README's tour as a new user runs it: the policy is switched to `pending_approval` (or
 * `reject`), then the instance admin signs in for the first time. The admin must not be locked
 * out of the console that approves everybody else; anybody else still waits or is refused, and
 * the waiting room says what happens next.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setPolicy } from '../../plugin/login/gate.ts';
import { Agent } from '../support/agent.ts';
import { DB_KINDS } from '../support/db.ts';
import { OIDC_ID, SAML_ID, startHarness, type Harness, type HarnessUser } from '../support/harness.ts';

const USERS: HarnessUser[] = [
  // Named in provisioning.instanceAdmins (with different case: emails compare case-insensitively).
  { username: 'root', email: 'Root@Example.com', groups: [] },
  // An instance admin by the groups pattern's reserved `instance`/`admin` claim.
  { username: 'ops', email: 'ops@example.com', groups: ['chainloop_instance_admin'] },
  { username: 'root2', email: 'root2@example.com', groups: [] },
  { username: 'root3', email: 'root3@example.com', groups: [] },
  { username: 'ops2', email: 'ops2@example.com', groups: ['chainloop_instance_admin'] },
  // An address named in instanceAdmins, but the IdP did not verify it: no instance admin.
  { username: 'fakeroot', email: 'root4@example.com', emailVerified: false, groups: [] },
  { username: 'bob', email: 'bob@example.org', groups: [] },
  { username: 'bob2', email: 'bob2@example.org', groups: [] },
  { username: 'carl', email: 'carl@example.org', groups: [] },
];

type Me = { user: { id: string; status: string; instanceAdmin: boolean } };

describe.each(DB_KINDS)('instance admins on a first login under a restrictive policy on %s', (db) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      db,
      users: USERS,
      config: (base) => ({ ...base, provisioning: { ...base.provisioning, instanceAdmins: ['root@example.com', 'root2@example.com', 'root3@example.com', 'root4@example.com'] } }),
    });
  });
  afterAll(() => h?.close());
  afterEach(async () => {
    for (const p of [OIDC_ID, SAML_ID]) await setPolicy(h.gateway.store, p, 'allow', 'test');
  });

  it('pending_approval: an admin named in instanceAdmins is created active and reaches /admin', async () => {
    await setPolicy(h.gateway.store, OIDC_ID, 'pending_approval', 'test');
    const a = new Agent();
    const res = await h.loginOidc(a, 'root', { returnTo: '/admin' });
    expect(res.status).toBe(302);
    expect(res.location).toBe(`${h.url}/admin`);
    expect((await h.me(a)).json<Me>().user).toMatchObject({ status: 'active', instanceAdmin: true });
    const console = await a.get(`${h.url}/admin/waiting-room`, { accept: 'text/html' });
    expect(console.status).toBe(200);
  });

  it('pending_approval: an instance admin by the groups pattern (instance/admin) is created active', async () => {
    await setPolicy(h.gateway.store, OIDC_ID, 'pending_approval', 'test');
    const a = new Agent();
    const res = await h.loginOidc(a, 'ops');
    expect(res.location).toBe(`${h.url}/`);
    expect((await h.me(a)).json<Me>().user).toMatchObject({ status: 'active', instanceAdmin: true });
  });

  it('pending_approval: an admin who was left waiting before is let in at the next login', async () => {
    // A database from before this rule: root sits in the waiting room.
    await setPolicy(h.gateway.store, OIDC_ID, 'pending_approval', 'test');
    const id = await h.gateway.store.insertUser({ email: 'root3@example.com', emailOriginal: 'root3@example.com', status: 'pending_approval' });
    await h.gateway.store.ensureIdentity({ userId: id.id, provider: OIDC_ID, subject: 'root3', email: 'root3@example.com', lastLoginAt: Date.now(), lastClaims: null });
    const a = new Agent();
    const res = await h.loginOidc(a, 'root3');
    expect(res.location).toBe(`${h.url}/`);
    expect((await h.me(a)).json<Me>().user).toMatchObject({ status: 'active', instanceAdmin: true });
    const audit = await h.gateway.knex('gh_audit').where({ action: 'login', user_id: id.id }).orderBy('id', 'desc').first();
    expect(JSON.parse(String(audit.details))).toMatchObject({ activatedAsInstanceAdmin: true });
  });

  it('pending_approval: an unverified copy of the admin address and a plain user still wait', async () => {
    await setPolicy(h.gateway.store, OIDC_ID, 'pending_approval', 'test');
    for (const username of ['fakeroot', 'bob']) {
      const a = new Agent();
      const res = await h.loginOidc(a, username);
      expect(res.location).toBe(`${h.url}/auth/waiting-room`);
      expect((await h.me(a)).json<Me>().user).toMatchObject({ status: 'pending_approval', instanceAdmin: false });
    }
  });

  it('reject: an admin named in instanceAdmins gets in; a groups-pattern admin and others are refused', async () => {
    await setPolicy(h.gateway.store, OIDC_ID, 'reject', 'test');
    const a = new Agent();
    expect((await h.loginOidc(a, 'root2')).location).toBe(`${h.url}/`);
    expect((await h.me(a)).json<Me>().user).toMatchObject({ status: 'active', instanceAdmin: true });
    expect((await h.loginOidc(new Agent(), 'ops2')).status).toBe(403);
    expect((await h.loginOidc(new Agent(), 'carl')).status).toBe(403);
  });

  it('the waiting room says what happens next and offers a sign-out button that works', async () => {
    await setPolicy(h.gateway.store, OIDC_ID, 'pending_approval', 'test');
    const a = new Agent();
    await h.loginOidc(a, 'bob2');
    const room = await a.get(`${h.url}/auth/waiting-room`, { accept: 'text/html' });
    expect(room.status).toBe(200);
    expect(room.text).toMatch(/administrator (has to|must) approve/i);
    expect(room.text).toMatch(/reload/i);
    expect(room.text).toMatch(/sign out/i);
    expect(room.text).toContain('<form method="post" action="/auth/logout">');
    const out = await a.request(`${h.url}/auth/logout`, { method: 'POST', headers: { accept: 'text/html' } });
    expect(out.status).toBe(302);
    expect((await h.me(a)).status).toBe(401);
  });
});
