/**
 * Race safety: 20 browsers finish a first login of the same new subject at the same moment.
 * Exactly one user and one identity exist afterwards, and all 20 logins succeed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../support/agent.ts';
import { DB_KINDS } from '../support/db.ts';
import { startHarness, type Harness } from '../support/harness.ts';

describe.each(DB_KINDS)('concurrent first logins on %s', (db) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ db, users: [{ username: 'racer', email: 'racer@example.com', groups: ['chainloop_acme-corp_developers'] }] });
  });
  afterAll(() => h?.close());

  it('20 concurrent first logins of one subject: one user, one identity, all succeed', async () => {
    const agents = Array.from({ length: 20 }, () => new Agent());
    // Each browser completes the IdP part first; then all hit our callback at once.
    const callbacks = await Promise.all(agents.map((a) => h.oidcCallbackUrl(a, 'racer')));
    const results = await Promise.all(agents.map((a, i) => a.get(callbacks[i]!)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(302));
    const users = await h.gateway.knex('gh_users').where({ email: 'racer@example.com' });
    expect(users).toHaveLength(1);
    expect(await h.gateway.knex('gh_identities').where({ subject: 'racer' })).toHaveLength(1);
    const mes = await Promise.all(agents.map((a) => h.me(a)));
    expect(new Set(mes.map((m) => m.json<{ user: { id: string } }>().user.id))).toEqual(new Set([users[0].id]));
    const memberships = await h.gateway.knex('gh_memberships').where({ user_id: users[0].id });
    expect(memberships.map((m: { kind: string; name: string }) => `${m.kind}:${m.name}`).sort()).toEqual(['group:developers', 'role:viewer']);
    const created = await h.gateway.knex('gh_audit').where({ action: 'login', subject: 'racer', outcome: 'created' });
    expect(created).toHaveLength(1);
  });
});
