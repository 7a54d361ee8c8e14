/**
 * MANAGED sync under concurrency and failure: racing logins with different group sets end in
 * exactly one of the sets; a failure in the middle of a login leaves the previous state intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionLogin } from '../../plugin/provisioning/login.ts';
import type { Claims } from '../../plugin/types.ts';
import { DB_KINDS } from '../support/db.ts';
import { OIDC_ID, startHarness, type Harness } from '../support/harness.ts';

const claims = (subject: string, groups: string[]): Claims => ({
  provider: OIDC_ID,
  subject,
  email: `${subject}@example.com`,
  emailOriginal: `${subject}@example.com`,
  emailVerified: true,
  name: null,
  givenName: null,
  familyName: null,
  groups,
  groupsOverage: false,
  raw: { sub: subject, groups },
});

const SET_A = ['chainloop_acme-corp_org-admin', 'chainloop_acme-corp_developers'];
const SET_B = ['chainloop_acme-corp_org-viewer', 'chainloop_acme-corp_compliance-team', 'home-lab'];
/** A third state, disjoint from both: racing A and B from here is where unlocked diffs would mix. */
const SET_C = ['chainloop_acme-corp_org-member', 'chainloop_acme-corp_development-team'];

describe.each(DB_KINDS)('MANAGED sync under concurrency on %s', (db) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      db,
      config: (c) => ({ ...c, provisioning: { ...c.provisioning!, syncMode: 'MANAGED' } }),
    });
  });
  afterAll(() => h?.close());

  const membershipSet = async (userId: string) =>
    (await h.gateway.store.listMemberships(userId)).map((m) => `${m.organization}:${m.kind}:${m.name}:${m.source}`).sort();

  it('racing logins with two group sets end in exactly one of the sets', async () => {
    const ctx = h.gateway.gatehouse.context;
    const first = await provisionLogin(ctx, claims('race', SET_A));
    const onlyA = await membershipSet(first.user.id);
    await provisionLogin(ctx, claims('race', SET_B));
    const onlyB = await membershipSet(first.user.id);
    expect(onlyA).not.toEqual(onlyB);
    for (let round = 0; round < 5; round++) {
      await provisionLogin(ctx, claims('race', SET_C));
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => provisionLogin(ctx, claims('race', i % 2 === 0 ? SET_A : SET_B))),
      );
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const final = await membershipSet(first.user.id);
      expect([onlyA, onlyB]).toContainEqual(final);
    }
  });

  it('a failure in the middle of a login transaction leaves the previous state intact', async () => {
    const ctx = h.gateway.gatehouse.context;
    const ok = await provisionLogin(ctx, claims('fragile', SET_A));
    const before = await membershipSet(ok.user.id);
    const auditBefore = await h.gateway.knex('gh_audit').where({ user_id: ok.user.id });
    ctx.loginHooks.push(async () => {
      throw new Error('outbox unavailable');
    });
    try {
      await expect(provisionLogin(ctx, claims('fragile', SET_B))).rejects.toThrow('outbox unavailable');
    } finally {
      ctx.loginHooks.pop();
    }
    expect(await membershipSet(ok.user.id)).toEqual(before);
    expect(await h.gateway.knex('gh_audit').where({ user_id: ok.user.id })).toHaveLength(auditBefore.length);
    // A brand-new user whose first login fails is not left half-created either.
    ctx.loginHooks.push(async () => {
      throw new Error('outbox unavailable');
    });
    try {
      await expect(provisionLogin(ctx, claims('never-created', SET_A))).rejects.toThrow();
    } finally {
      ctx.loginHooks.pop();
    }
    expect(await h.gateway.store.findUserByEmail('never-created@example.com')).toBeNull();
    expect(await h.gateway.store.findIdentity(OIDC_ID, 'never-created')).toBeNull();
  });

  it('MANAGED with no entitlement blocks the login and changes nothing', async () => {
    const ctx = h.gateway.gatehouse.context;
    const ok = await provisionLogin(ctx, claims('dropped', SET_A));
    const before = await membershipSet(ok.user.id);
    await expect(provisionLogin(ctx, claims('dropped', ['unrelated-group']))).rejects.toMatchObject({ code: 'ERR_NO_ENTITLEMENT', status: 403 });
    expect(await membershipSet(ok.user.id)).toEqual(before);
  });
});
