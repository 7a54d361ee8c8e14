/** The first-login decision as a pure function: every FirstLoginPolicy against every instance-admin standing. */
import { describe, expect, it } from 'vitest';
import { firstLoginDecision, type InstanceAdminStanding } from '../../../plugin/login/gate.ts';
import { FIRST_LOGIN_POLICIES, type FirstLoginPolicy } from '../../../plugin/types.ts';

const EXPECTED: Record<FirstLoginPolicy, Record<'config' | 'claims' | 'none', string>> = {
  allow: { config: 'active', claims: 'active', none: 'active' },
  pending_approval: { config: 'active', claims: 'active', none: 'pending_approval' },
  reject: { config: 'active', claims: 'refuse', none: 'refuse' },
};

describe('firstLoginDecision', () => {
  for (const policy of FIRST_LOGIN_POLICIES) {
    for (const standing of ['config', 'claims', null] as InstanceAdminStanding[]) {
      const want = EXPECTED[policy][standing ?? 'none'];
      it(`${policy} with an instance-admin standing of ${standing ?? 'none'}: ${want}`, () => {
        const got = firstLoginDecision(policy, standing);
        expect(got.kind === 'refuse' ? 'refuse' : got.status).toBe(want);
      });
    }
  }
});
