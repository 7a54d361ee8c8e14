/**
 * Pangolin's auto-provisioning docs, reproduced with their own inputs and outputs: the role
 * expression, the three organization-selection examples, fixed roles and the mapping builder.
 */
import { describe, expect, it } from 'vitest';
import { explainMapping } from '../../../plugin/mapping/index.ts';
import { ACME, enginesFor, granted, HOME_LAB, loginInput, PANGOLIN_ID_TOKEN } from './fixtures.ts';

const ROLE_EXPRESSION = "contains(groups, 'admin') && 'Admin' || 'Member'";

function rulesEngine(rules: Record<string, unknown>, organizations: unknown[] = [HOME_LAB, ACME]) {
  return enginesFor({ organizations, provisioning: { rules } }).global;
}

describe('Pangolin role selection', () => {
  it('gives "Admin" to the seed token, which has the admin group', () => {
    const engine = rulesEngine({ default: { organization: "contains(groups, 'home-lab')", roles: { expression: ROLE_EXPRESSION } } });
    const outcome = engine.evaluate(loginInput(PANGOLIN_ID_TOKEN));
    expect(granted(outcome)).toEqual(['home-lab:role:Admin']);
    expect(outcome.entitlements).toEqual([{ organization: 'home-lab', roles: ['Admin'], groups: [], source: 'sso', mapper: 'rules' }]);
  });

  it('gives "Member" when the user is not in the admin group', () => {
    const engine = rulesEngine({ default: { organization: "contains(groups, 'home-lab')", roles: { expression: ROLE_EXPRESSION } } });
    const outcome = engine.evaluate(loginInput({ ...PANGOLIN_ID_TOKEN, groups: ['home-lab'] }));
    expect(granted(outcome)).toEqual(['home-lab:role:Member']);
  });

  it('does not join an org whose roles do not include the returned name, and traces the missing role', () => {
    // acme-corp has lower-case roles: "Admin" matches nothing there (exact, case-sensitive match).
    const engine = rulesEngine({ default: { organization: '`true`', roles: { expression: ROLE_EXPRESSION } } });
    const outcome = engine.evaluate(loginInput(PANGOLIN_ID_TOKEN));
    expect(granted(outcome)).toEqual(['home-lab:role:Admin']);
    const acme = outcome.trace[0]?.organizations.find((o) => o.organization === 'acme-corp');
    expect(acme).toMatchObject({ matched: false, rolesMissing: ['Admin'] });
    expect(acme?.reason).toContain('not joined');
  });
});

describe('Pangolin organization selection (evaluated against org home-lab)', () => {
  const cases = [
    ['Example 1, group-based', "contains(groups, 'home-lab')"],
    ['Example 2, fixed organization', "'home-lab'"],
    ['Example 3, dynamic with {{orgId}}', "contains(groups, '{{orgId}}')"],
  ] as const;

  for (const [title, expression] of cases) {
    it(`${title}: ${expression} selects home-lab`, () => {
      const engine = rulesEngine({ default: { organization: expression, roles: { fixed: ['Member'] } } }, [HOME_LAB]);
      const outcome = engine.evaluate(loginInput(PANGOLIN_ID_TOKEN));
      expect(granted(outcome)).toEqual(['home-lab:role:Member']);
      expect(outcome.trace[0]?.organizations[0]?.reason).toMatch(/organization expression returned (true|"home-lab")/);
    });
  }

  it("Example 2's fixed 'home-lab' selects no other org: a different org id string means not a member", () => {
    const engine = rulesEngine({ default: { organization: "'home-lab'", roles: { fixed: ['member'] } } }, [HOME_LAB, ACME]);
    const outcome = engine.evaluate(loginInput(PANGOLIN_ID_TOKEN));
    expect(outcome.entitlements).toEqual([]);
  });

  it('{{orgId}} is replaced per organization: the user joins only the orgs named in its groups', () => {
    const engine = rulesEngine(
      { default: { organization: "contains(groups, '{{orgId}}')", roles: { expression: ROLE_EXPRESSION } } },
      [HOME_LAB, { id: 'lab-2', roles: ['Admin', 'Member'] }],
    );
    const explained = explainMapping(engine, loginInput(PANGOLIN_ID_TOKEN));
    expect(granted({ ...explained, trace: explained.mappers })).toEqual(['home-lab:role:Admin']);
    const lab2 = explained.mappers[0]?.organizations.find((o) => o.organization === 'lab-2');
    expect(lab2).toMatchObject({ matched: false, policy: 'default', reason: 'not selected: organization expression returned false' });
  });
});

describe('Pangolin role mappings: fixed roles and the per-org policy', () => {
  it('a per-org policy overrides the default for that org; without `organization` it always applies', () => {
    const engine = rulesEngine({
      default: { organization: "contains(groups, '{{orgId}}')", roles: { expression: ROLE_EXPRESSION } },
      organizations: { 'acme-corp': { roles: { fixed: ['viewer', 'member'] } } },
    });
    const outcome = engine.evaluate(loginInput(PANGOLIN_ID_TOKEN));
    expect(granted(outcome)).toEqual(['acme-corp:role:member', 'acme-corp:role:viewer', 'home-lab:role:Admin']);
    const acme = outcome.trace[0]?.organizations.find((o) => o.organization === 'acme-corp');
    expect(acme?.policy).toBe('organization');
  });

  it('a role expression may return a list of role names; each must exist', () => {
    const engine = rulesEngine({ organizations: { 'acme-corp': { roles: { expression: "['viewer', 'developer', 'member']" } } } });
    const outcome = engine.evaluate(loginInput(PANGOLIN_ID_TOKEN));
    expect(granted(outcome)).toEqual(['acme-corp:role:member', 'acme-corp:role:viewer']);
    expect(outcome.trace[0]?.organizations[0]?.rolesMissing).toEqual(['developer']);
  });
});
