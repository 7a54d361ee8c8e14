/**
 * The access decision the engine returns with every plan: every sync mode against
 * requireEntitlement and a login that is or is not granted something, then what else lets a user
 * in without an entitlement (an override row, groups unavailable) and what counts as one
 * (instance admin). The rule is resolved when the engine is compiled, so these go through the
 * config parser and the engine as a login does.
 */
import { describe, expect, it } from 'vitest';
import { decideAccess } from '../../../plugin/mapping/access.ts';
import { SYNC_MODES } from '../../../plugin/types.ts';
import { ACME, configWith, enginesFor, loginInput, row } from './fixtures.ts';

const PATTERN = 'chainloop_{ORG_NAME}_{GROUP_NAME}';
const GRANTING = { groups: ['chainloop_acme-corp_developers'] };
const NOTHING = { groups: ['Everyone'] };
const ALLOWLIST_MESSAGE = configWith({}).allowlist.message;

function engineOf(provisioning: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return enginesFor({ organizations: [ACME], provisioning: { defaultRole: 'viewer', groupsPattern: PATTERN, ...provisioning }, ...extra }).global;
}

describe('the access decision: sync mode x requireEntitlement x granted', () => {
  for (const syncMode of SYNC_MODES) {
    for (const requireEntitlement of [false, true]) {
      const required = syncMode === 'MANAGED' || requireEntitlement;
      const engine = engineOf({ syncMode, requireEntitlement });

      it(`${syncMode}, requireEntitlement ${requireEntitlement}: a login granted a membership is let in, entitled`, () => {
        expect(engine.requireEntitlement).toBe(required);
        expect(engine.plan(loginInput(GRANTING)).access).toEqual({ allowed: true, entitled: true });
      });

      it(`${syncMode}, requireEntitlement ${requireEntitlement}: a login granted nothing is ${required ? 'refused' : 'let in, not entitled'}`, () => {
        const { access, memberships, outcome } = engine.plan(loginInput(NOTHING));
        expect(outcome.entitlements).toEqual([]);
        expect(access).toEqual(
          required
            ? { allowed: false, entitled: false, reason: 'no_entitlement', message: ALLOWLIST_MESSAGE }
            : { allowed: true, entitled: false },
        );
        // A refused plan adds nothing, so a SCIM push may write it as is (it only removes).
        expect(memberships.add).toEqual([]);
      });
    }
  }
});

describe('the access decision beyond memberships', () => {
  const managed = engineOf({ syncMode: 'MANAGED' });

  it("a refusal shows the block's own message, resolved when the engine is compiled", () => {
    const own = engineOf({ syncMode: 'MANAGED', message: 'Ask IT for a group.' });
    expect(own.message).toBe('Ask IT for a group.');
    expect(own.plan(loginInput(NOTHING)).access).toMatchObject({ allowed: false, message: 'Ask IT for a group.' });
    expect(managed.message).toBe(ALLOWLIST_MESSAGE);
  });

  it('an override row lets a user in who is granted nothing, without making it entitled', () => {
    const current = [row('acme-corp', 'role', 'owner', 'override')];
    expect(managed.plan(loginInput(NOTHING, current)).access).toEqual({ allowed: true, entitled: false });
    const sso = [row('acme-corp', 'role', 'viewer', 'sso')];
    expect(managed.plan(loginInput(NOTHING, sso)).access.allowed).toBe(false);
  });

  it('groups unavailable (overage) lets the user in: the absence of groups proves nothing', () => {
    const { access, outcome } = managed.plan(loginInput({ hasgroups: true }));
    expect(outcome.groupsUnavailable).toBe(true);
    expect(access).toEqual({ allowed: true, entitled: false });
  });

  it('instance admin alone is an entitlement', () => {
    const engine = engineOf({ syncMode: 'MANAGED', instanceAdmins: ['root@example.com'] });
    const { access, outcome } = engine.plan(loginInput({ email: 'root@example.com', email_verified: true, groups: [] }));
    expect(outcome.entitlements).toEqual([]);
    expect(access).toEqual({ allowed: true, entitled: true });
  });

  it('decideAccess is pure: the same outcome, rows and rule give the same decision', () => {
    const rule = { requireEntitlement: true, message: 'no' };
    const outcome = { entitlements: [], instanceAdmin: false, groupsUnavailable: false };
    expect(decideAccess(outcome, [], rule)).toEqual({ allowed: false, entitled: false, reason: 'no_entitlement', message: 'no' });
    expect(decideAccess(outcome, [], { ...rule, requireEntitlement: false })).toEqual({ allowed: true, entitled: false });
  });
});
