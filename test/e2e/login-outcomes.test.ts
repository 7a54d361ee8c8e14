/**
 * Contract section 4, row by row, through real HTTP: a real oidc-provider and a real SAML IdP on
 * loopback, the standalone gateway, on SQLite and on PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setPolicy } from '../../plugin/login/gate.ts';
import { approveUser, rejectUser } from '../../plugin/provisioning/approval.ts';
import { Agent } from '../support/agent.ts';
import { DB_KINDS } from '../support/db.ts';
import { OIDC_ID, SAML_ID, startHarness, type Harness, type HarnessUser } from '../support/harness.ts';

const USERS: HarnessUser[] = [
  { username: 'alice', email: 'alice@example.com', givenName: 'Alice', familyName: 'Anders', groups: ['chainloop_acme-corp_org-admin', 'chainloop_acme-corp_developers'] },
  { username: 'carol', email: 'carol@example.com', groups: ['home-lab', 'admin'] },
  { username: 'erin', email: 'erin@example.com', groups: ['chainloop_acme-corp_org-viewer'] },
  { username: 'frank', email: 'frank@example.com', groups: [] },
  { username: 'grace', email: 'Grace@Example.com', groups: ['home-lab'] },
  { username: 'heidi', email: 'heidi@example.com', groups: ['chainloop_acme-corp_developers'] },
  { username: 'ivan', email: 'ivan@blocked.test', groups: [] },
  { username: 'judy', email: 'judy@example.com', groups: [] },
  { username: 'mallory', email: 'mallory@example.com', groups: [] },
  { username: 'niaj', email: 'niaj@example.com', groups: [] },
  { username: 'olivia', email: 'olivia@example.com', groups: [] },
  { username: 'peggy', email: 'peggy@example.com', groups: [] },
  { username: 'unverified', email: 'judy@example.com', emailVerified: false, groups: [] },
];

describe.each(DB_KINDS)('login outcomes (contract section 4) on %s', (db) => {
  let h: Harness;
  const countUsers = async () => Number(((await h.gateway.knex('gh_users').count({ n: '*' })) as { n: number | string }[])[0]?.n);
  const auditFor = (outcome: string) => h.gateway.knex('gh_audit').where({ action: 'login', outcome }).orderBy('id', 'desc');

  beforeAll(async () => {
    h = await startHarness({ db, users: USERS });
  });
  afterAll(() => h?.close());
  afterEach(async () => {
    for (const p of [OIDC_ID, SAML_ID]) await setPolicy(h.gateway.store, p, 'allow', 'test');
  });

  it('unknown user with policy allow: created active, provisioned, session, 302 to /', async () => {
    const a = new Agent();
    const res = await h.loginOidc(a, 'alice');
    expect(res.status).toBe(302);
    expect(res.location).toBe(`${h.url}/`);
    const me = await h.me(a);
    expect(me.status).toBe(200);
    expect(me.json()).toMatchObject({
      user: { email: 'alice@example.com', status: 'active', instanceAdmin: false },
      memberships: [{ organization: 'acme-corp', roles: ['admin'], groups: ['developers'] }],
    });
    expect((await auditFor('created'))[0]).toMatchObject({ provider: OIDC_ID });
  });

  it('known active user: memberships synced on the next login and returnTo honoured', async () => {
    const a = new Agent();
    await h.loginSaml(a, 'carol');
    const again = new Agent();
    const res = await h.loginSaml(again, 'carol', { returnTo: '/dashboard?tab=1' });
    expect(res.status).toBe(302);
    expect(res.location).toBe(`${h.url}/dashboard?tab=1`);
    expect((await h.me(again)).json()).toMatchObject({ memberships: [{ organization: 'home-lab', roles: ['Admin'], groups: [] }] });
    expect(await h.gateway.knex('gh_identities').where({ provider: SAML_ID })).toHaveLength(1);
  });

  it.each(['https://evil.example/', '//evil.example/x', '/\\evil.example'])('returnTo %s is not same-origin: falls back to /', async (returnTo) => {
    const res = await h.loginOidc(new Agent(), 'erin', { returnTo });
    expect(res.status).toBe(302);
    expect(res.location).toBe(`${h.url}/`);
  });

  it('issues a fresh session id at login (no fixation) with HttpOnly, SameSite=Lax cookies', async () => {
    // The attacker has a session of their own and plants its id in the victim's browser.
    const attacker = new Agent();
    await h.loginOidc(attacker, 'erin');
    const planted = attacker.cookieHeader(h.url).match(/gatehouse\.sid=([^;]+)/)![1]!;
    const victim = new Agent();
    victim.setCookie(h.url, 'gatehouse.sid', planted);
    const res = await h.loginOidc(victim, 'alice');
    expect(res.status).toBe(302);
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('gatehouse.sid='));
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i);
    expect(victim.cookieHeader(h.url)).not.toContain(planted);
    // The planted id never became the victim's session: regenerating destroyed it.
    expect((await h.me(attacker)).status).toBe(401);
    expect((await h.me(victim)).json()).toMatchObject({ user: { email: 'alice@example.com' } });
  });

  it('starting a login creates no server-side session; the flow rides in its own sealed cookie', async () => {
    const count = async () => Number(((await h.gateway.knex('gh_sessions').count({ n: '*' })) as { n: number | string }[])[0]?.n);
    const before = await count();
    const a = new Agent();
    const start = await a.get(`${h.url}/auth/${OIDC_ID}/login`);
    expect(start.status).toBe(302);
    expect(await count()).toBe(before);
    const flow = start.headers.getSetCookie().find((c) => c.startsWith('gatehouse.flow='));
    expect(flow).toMatch(/HttpOnly/i);
    expect(flow).toMatch(/Path=\/auth\//i);
    // Its content is encrypted: neither the state nor the PKCE verifier can be read from it.
    const state = new URL(start.location!).searchParams.get('state')!;
    expect(decodeURIComponent(flow!)).not.toContain(state);
  });

  it('unknown user with policy reject: 403, nothing written but the audit entry', async () => {
    await setPolicy(h.gateway.store, OIDC_ID, 'reject', 'test');
    const before = await countUsers();
    const a = new Agent();
    const res = await h.loginOidc(a, 'frank');
    expect(res.status).toBe(403);
    expect(await countUsers()).toBe(before);
    expect((await auditFor('rejected_by_policy'))[0]).toMatchObject({ provider: OIDC_ID, subject: 'frank' });
    expect((await h.me(a)).status).toBe(401);
  });

  it('policy reject: a pre-provisioned user matched by verified email logs in and gets the identity linked', async () => {
    await setPolicy(h.gateway.store, SAML_ID, 'reject', 'test');
    const pre = await h.gateway.store.insertUser({ email: 'grace@example.com', emailOriginal: 'grace@example.com', status: 'active' });
    const a = new Agent();
    const res = await h.loginSaml(a, 'grace');
    expect(res.status).toBe(302);
    const me = (await h.me(a)).json<{ user: { id: string } }>();
    expect(me.user.id).toBe(pre.id);
    const ids = await h.gateway.store.listIdentities(pre.id);
    expect(ids.map((i) => i.provider)).toEqual([SAML_ID]);
  });

  it('an unverified email matching an existing user is refused (no account takeover)', async () => {
    const before = await countUsers();
    await h.gateway.store.insertUser({ email: 'judy@example.com', emailOriginal: 'judy@example.com', status: 'active' });
    const res = await h.loginOidc(new Agent(), 'unverified');
    expect(res.status).toBe(403);
    expect(await countUsers()).toBe(before + 1);
    expect(await h.gateway.store.findIdentity(OIDC_ID, 'unverified')).toBeNull();
  });

  it('policy pending_approval: user created pending, confined to the waiting room until approved', async () => {
    await setPolicy(h.gateway.store, OIDC_ID, 'pending_approval', 'test');
    const a = new Agent();
    const res = await h.loginOidc(a, 'heidi');
    expect(res.status).toBe(302);
    expect(res.location).toBe(`${h.url}/auth/waiting-room`);
    const room = await a.get(`${h.url}/auth/waiting-room`, { accept: 'text/html' });
    expect(room.status).toBe(200);
    expect(room.text).toContain('Waiting for approval');
    const me = (await h.me(a)).json<{ user: { id: string; status: string }; memberships: unknown[] }>();
    expect(me.user.status).toBe('pending_approval');
    expect(me.memberships).toEqual([]);
    expect(await h.gateway.store.listMemberships(me.user.id)).toEqual([]);
    // Anything else is out of reach: HTML is sent to the waiting room, APIs get 403.
    expect((await a.get(`${h.url}/`, { accept: 'text/html' })).location).toBe(`${h.url}/auth/waiting-room`);
    expect((await a.get(`${h.url}/metrics`, { accept: 'application/json' })).status).toBe(403);
    // Approval provisions from the last login's claims; the same session now works.
    await approveUser(h.gateway.gatehouse.context, me.user.id, 'test');
    const after = (await h.me(a)).json<{ user: { status: string }; memberships: { organization: string; roles: string[] }[] }>();
    expect(after.user.status).toBe('active');
    expect(after.memberships).toEqual([{ organization: 'acme-corp', roles: ['viewer'], groups: ['developers'] }]);
    expect((await a.get(`${h.url}/`, { accept: 'text/html' })).status).toBe(200);
  });

  it('allowlist on, email not on it: 403 with the configured message and an audit entry; a database override lets it in', async () => {
    const ctx = h.gateway.gatehouse.context;
    const saved = ctx.config.allowlist;
    ctx.config.allowlist = { enabled: true, entries: ['@example.com'], allowDbOverrides: true, message: 'Ask IT for access.' };
    try {
      const before = await countUsers();
      const res = await h.loginOidc(new Agent(), 'ivan');
      expect(res.status).toBe(403);
      expect(res.text).toContain('Ask IT for access.');
      expect(await countUsers()).toBe(before);
      expect((await auditFor('not_allowlisted'))[0]).toMatchObject({ provider: OIDC_ID, subject: 'ivan' });
      await h.gateway.store.addAllowlist('IVAN@blocked.test', 'test');
      expect((await h.loginOidc(new Agent(), 'ivan')).status).toBe(302);
    } finally {
      ctx.config.allowlist = saved;
    }
  });

  it('deprovisioned user: existing session dead on its next request, new login 403', async () => {
    const a = new Agent();
    await h.loginOidc(a, 'mallory');
    const me = (await h.me(a)).json<{ user: { id: string } }>();
    expect((await h.me(a)).status).toBe(200);
    await h.gateway.store.updateUser(me.user.id, { status: 'deprovisioned' });
    expect((await h.me(a)).status).toBe(401);
    const again = await h.loginOidc(new Agent(), 'mallory');
    expect(again.status).toBe(403);
    expect((await auditFor('deprovisioned'))[0]).toMatchObject({ user_id: me.user.id });
  });

  it('rejected user: sessions end at once and the next login is 403', async () => {
    const a = new Agent();
    await h.loginSaml(a, 'niaj');
    const me = (await h.me(a)).json<{ user: { id: string } }>();
    await rejectUser(h.gateway.gatehouse.context, me.user.id, 'test');
    expect(await h.gateway.knex('gh_sessions').where({ user_id: me.user.id })).toHaveLength(0);
    expect((await h.me(a)).status).toBe(401);
    expect((await h.loginSaml(new Agent(), 'niaj')).status).toBe(403);
  });

  it('bad state: 401, nothing written but the audit entry', async () => {
    const before = await countUsers();
    const a = new Agent();
    const cb = await h.oidcCallbackUrl(a, 'olivia');
    const tampered = cb.replace(/state=[^&]+/, 'state=forged');
    const res = await a.get(tampered, { accept: 'application/json' });
    expect(res.status).toBe(401);
    expect(await countUsers()).toBe(before);
    expect((await auditFor('invalid_state'))[0]).toMatchObject({ provider: OIDC_ID });
  });

  it('bad SAML signature: 401, nothing written but the audit entry', async () => {
    const before = await countUsers();
    const a = new Agent();
    const { acs, fields } = await h.samlResponseFor(a, 'peggy');
    const xml = Buffer.from(fields.SAMLResponse!, 'base64').toString('utf8').replace('peggy@example.com', 'root@example.com');
    const res = await a.postForm(acs, { ...fields, SAMLResponse: Buffer.from(xml).toString('base64') });
    expect(res.status).toBe(401);
    expect(await countUsers()).toBe(before);
    expect((await auditFor('invalid_assertion'))[0]).toMatchObject({ provider: SAML_ID });
  });

  it('exposes login outcomes in /metrics and health in /healthz', async () => {
    const metrics = await new Agent().get(`${h.url}/metrics`);
    expect(metrics.text).toMatch(/gatehouse_logins_total\{provider="corp-oidc",outcome="created"\} \d+/);
    expect(metrics.text).toContain('gatehouse_login_duration_seconds_bucket');
    expect((await new Agent().get(`${h.url}/healthz`)).json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
  });
});
