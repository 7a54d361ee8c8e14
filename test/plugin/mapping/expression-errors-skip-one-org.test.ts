/**
 * An expression that throws, or returns the wrong type, for one organization skips that org
 * only: the others are still mapped, and `errors` plus the trace say what happened.
 */
import { describe, expect, it } from 'vitest';
import { explainMapping } from '../../../plugin/mapping/index.ts';
import { enginesFor, granted, loginInput } from './fixtures.ts';

const orgs = ['alpha', 'beta', 'gamma', 'delta'].map((id) => ({ id, roles: ['Admin', 'Member'] }));
const token = { sub: 'u1', email: 'u@example.com', groups: ['alpha', 'beta', 'gamma', 'delta', 'admin'], level: 'high' };

function engineWith(organizations: Record<string, unknown>) {
  return enginesFor({
    organizations: orgs,
    provisioning: {
      rules: {
        default: { organization: "contains(groups, '{{orgId}}')", roles: { expression: "contains(groups, 'admin') && 'Admin' || 'Member'" } },
        organizations,
      },
    },
  }).global;
}

describe('a failing expression skips one organization', () => {
  it('an organization expression that throws (abs() of a string) for beta: alpha, gamma, delta still mapped', () => {
    const engine = engineWith({ beta: { organization: 'abs(level) > `1`' } });
    const outcome = engine.evaluate(loginInput(token));
    expect(granted(outcome)).toEqual(['alpha:role:Admin', 'delta:role:Admin', 'gamma:role:Admin']);
    expect(outcome.errors).toHaveLength(1);
    expect(outcome.errors[0]).toMatchObject({ mapper: 'rules', organization: 'beta' });
    expect(outcome.errors[0]?.message).toMatch(/^provisioning\.rules\.organizations\.beta\.organization: .*abs\(\)/);
    const beta = outcome.trace[0]?.organizations.find((o) => o.organization === 'beta');
    expect(beta).toMatchObject({ matched: false, policy: 'organization', reason: 'skipped: the organization expression failed' });
    expect(beta?.error).toBe(outcome.errors[0]?.message);
  });

  it('a role expression that returns a number for gamma: gamma skipped with a type error', () => {
    const engine = engineWith({ gamma: { roles: { expression: 'length(groups)' } } });
    const outcome = engine.evaluate(loginInput(token));
    expect(granted(outcome)).toEqual(['alpha:role:Admin', 'beta:role:Admin', 'delta:role:Admin']);
    expect(outcome.errors).toEqual([
      {
        mapper: 'rules',
        organization: 'gamma',
        message: 'provisioning.rules.organizations.gamma.roles.expression: returned number, expected a role name or a list of role names',
      },
    ]);
  });

  it('an organization expression returning an array (neither true nor the org id) is a type error', () => {
    const engine = engineWith({ delta: { organization: 'groups' } });
    const outcome = engine.evaluate(loginInput(token));
    expect(granted(outcome)).toEqual(['alpha:role:Admin', 'beta:role:Admin', 'gamma:role:Admin']);
    expect(outcome.errors[0]?.message).toBe('provisioning.rules.organizations.delta.organization: returned array, expected true or the organization id');
  });

  it('a default role expression failing for every org gives one error per org, and evaluate does not throw', () => {
    const engine = enginesFor({
      organizations: orgs,
      provisioning: { rules: { default: { organization: "contains(groups, '{{orgId}}')", roles: { expression: 'to_number(level) + `1`' } } } },
    }).global;
    const outcome = engine.evaluate(loginInput(token));
    expect(outcome.entitlements).toEqual([]);
    expect(outcome.errors.map((e) => e.organization)).toEqual(['alpha', 'beta', 'gamma', 'delta']);
  });

  it('explain shows the failing org with its error next to the mapped ones, as plain JSON', () => {
    const engine = engineWith({ beta: { organization: 'abs(level) > `1`' } });
    const explained = explainMapping(engine, loginInput(token));
    expect(JSON.parse(JSON.stringify(explained))).toEqual(explained);
    expect(explained.mappers[0]?.organizations.map((o) => [o.organization, o.matched, o.error !== undefined])).toEqual([
      ['alpha', true, false],
      ['beta', false, true],
      ['gamma', true, false],
      ['delta', true, false],
    ]);
    expect(explained.errors).toHaveLength(1);
  });
});
