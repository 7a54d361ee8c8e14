/**
 * planMembershipSync over sequences of logins: ADDITIVE only adds, MANAGED makes the rows of its
 * own sources equal to the claims, overrides and other sources survive, overage blocks removal.
 */
import { describe, expect, it } from 'vitest';
import { planMembershipSync } from '../../../plugin/mapping/diff.ts';
import type { Membership } from '../../../plugin/types.ts';
import { ACME, applyPlan, enginesFor, facts, login, loginInput, row } from './fixtures.ts';

const PATTERN = 'chainloop_{ORG_NAME}_{GROUP_NAME}';
const g = (name: string): string => `chainloop_acme-corp_${name}`;

function engineIn(syncMode: 'ADDITIVE' | 'MANAGED', extra: Record<string, unknown> = {}) {
  return enginesFor({ organizations: [ACME], provisioning: { syncMode, defaultRole: 'viewer', groupsPattern: PATTERN, ...extra } }).global;
}

describe('ADDITIVE over a sequence of logins', () => {
  it('adds groups as they appear and never removes them when they disappear', () => {
    const engine = engineIn('ADDITIVE');
    let rows: Membership[] = [];
    rows = login(engine, { groups: [g('developers'), g('compliance-team')] }, rows).after;
    expect(facts(rows)).toEqual(['acme-corp:group:compliance-team/sso', 'acme-corp:group:developers/sso', 'acme-corp:role:viewer/sso']);

    const second = login(engine, { groups: [g('developers')] }, rows);
    expect(second.plan.add).toEqual([]);
    expect(second.plan.remove).toEqual([]);
    rows = second.after;
    expect(facts(rows)).toHaveLength(3);

    const third = login(engine, { groups: [] }, rows);
    expect(third.plan.remove).toEqual([]);
    expect(third.outcome.entitlements).toEqual([]);
    expect(engine.requireEntitlement).toBe(false);
  });

  it('a later role claim is added next to the existing default role', () => {
    const engine = engineIn('ADDITIVE');
    let rows = login(engine, { groups: [g('developers')] }, []).after;
    rows = login(engine, { groups: [g('org-admin')] }, rows).after;
    expect(facts(rows)).toEqual(['acme-corp:group:developers/sso', 'acme-corp:role:admin/sso', 'acme-corp:role:viewer/sso']);
  });
});

describe('MANAGED over a sequence of logins', () => {
  it('adds groups, then removes those the claims no longer give', () => {
    const engine = engineIn('MANAGED');
    expect(engine.requireEntitlement).toBe(true);
    let rows: Membership[] = [];
    rows = login(engine, { groups: [g('developers'), g('compliance-team')] }, rows).after;
    expect(facts(rows)).toHaveLength(3);

    const second = login(engine, { groups: [g('developers')] }, rows);
    expect(facts(second.plan.remove)).toEqual(['acme-corp:group:compliance-team/sso']);
    rows = second.after;
    expect(facts(rows)).toEqual(['acme-corp:group:developers/sso', 'acme-corp:role:viewer/sso']);

    const third = login(engine, { groups: [] }, rows);
    expect(third.after).toEqual([]);
    expect(third.outcome.entitlements).toEqual([]);
  });

  it('a role claim replaces the default role, and losing it brings the default role back', () => {
    const engine = engineIn('MANAGED');
    let rows = login(engine, { groups: [g('developers')] }, []).after;
    rows = login(engine, { groups: [g('developers'), g('org-admin')] }, rows).after;
    expect(facts(rows)).toEqual(['acme-corp:group:developers/sso', 'acme-corp:role:admin/sso']);
    rows = login(engine, { groups: [g('developers')] }, rows).after;
    expect(facts(rows)).toEqual(['acme-corp:group:developers/sso', 'acme-corp:role:viewer/sso']);
  });

  it('override rows survive, and an override role stops the default role from being added', () => {
    const engine = engineIn('MANAGED');
    const overrides = [row('acme-corp', 'role', 'owner', 'override'), row('acme-corp', 'group', 'development-team', 'override')];
    let rows: Membership[] = [...overrides, row('acme-corp', 'role', 'viewer', 'sso'), row('acme-corp', 'group', 'developers', 'sso')];
    const next = login(engine, { groups: [g('compliance-team')] }, rows);
    expect(facts(next.plan.remove)).toEqual(['acme-corp:group:developers/sso', 'acme-corp:role:viewer/sso']);
    rows = next.after;
    expect(facts(rows)).toEqual([
      'acme-corp:group:compliance-team/sso',
      'acme-corp:group:development-team/override',
      'acme-corp:role:owner/override',
    ]);
    const empty = login(engine, { groups: [] }, rows);
    expect(facts(empty.after)).toEqual(['acme-corp:group:development-team/override', 'acme-corp:role:owner/override']);
  });

  it('a login (source sso) keeps SCIM rows; a SCIM push keeps SSO rows', () => {
    const engine = engineIn('MANAGED');
    const rows = [row('acme-corp', 'group', 'developers', 'scim'), row('acme-corp', 'role', 'viewer', 'sso'), row('acme-corp', 'group', 'compliance-team', 'sso')];
    const viaLogin = login(engine, { groups: [] }, rows);
    expect(facts(viaLogin.plan.remove)).toEqual(['acme-corp:group:compliance-team/sso', 'acme-corp:role:viewer/sso']);

    const input = loginInput({ groups: [] }, rows, 'scim');
    const outcome = engine.evaluate(input);
    const viaScim = planMembershipSync({ current: rows, outcome, syncMode: 'MANAGED', source: 'scim' });
    expect(facts(viaScim.remove)).toEqual(['acme-corp:group:developers/scim']);
  });

  it('static rows are managed too: removing an org from `static` removes its rows on the next login', () => {
    const withStatic = engineIn('MANAGED', { static: [{ organization: 'acme-corp', groups: ['development-team'] }] });
    let rows = login(withStatic, { groups: [] }, []).after;
    expect(facts(rows)).toEqual(['acme-corp:group:development-team/static', 'acme-corp:role:viewer/static']);
    rows = login(engineIn('MANAGED'), { groups: [] }, rows).after;
    expect(rows).toEqual([]);
  });

  it('each source owns its own row: SSO adds its row next to an override with the same role', () => {
    const engine = engineIn('MANAGED');
    const rows = [row('acme-corp', 'role', 'admin', 'override')];
    const next = login(engine, { groups: [g('org-admin')] }, rows);
    expect(facts(next.plan.add)).toEqual(['acme-corp:role:admin/sso']);
    expect(next.plan.kept).toEqual(rows);
  });
});

describe('groups overage (Azure): MANAGED must not remove', () => {
  const overage = [
    ['_claim_names.groups', { _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/...' } } }],
    ['hasgroups: true', { hasgroups: true }],
  ] as const;

  for (const [title, claims] of overage) {
    it(`${title}: the plan removes nothing, says so, and the trace records it`, () => {
      const engine = engineIn('MANAGED');
      const rows = [row('acme-corp', 'role', 'viewer', 'sso'), row('acme-corp', 'group', 'developers', 'sso')];
      const { outcome, plan } = login(engine, { ...claims }, rows);
      expect(outcome.groupsUnavailable).toBe(true);
      expect(plan.remove).toEqual([]);
      expect(plan.kept).toEqual(rows);
      expect(plan.removalBlocked).toBe(true);
      expect(outcome.trace.flatMap((t) => t.notes).join('\n')).toContain('MANAGED sync removes nothing');
    });
  }

  it('additions still happen during overage (static grants)', () => {
    const engine = engineIn('MANAGED', { static: [{ organization: 'acme-corp', groups: ['development-team'] }] });
    const rows = [row('acme-corp', 'role', 'admin', 'sso')];
    const { plan } = login(engine, { hasgroups: true }, rows);
    // The sso admin role survives (nothing is removed), so the static fallback role is not added.
    expect(facts(plan.add)).toEqual(['acme-corp:group:development-team/static']);
    expect(plan.remove).toEqual([]);
  });

  it('a plan is the same given the same inputs (pure)', () => {
    const engine = engineIn('MANAGED');
    const rows = [row('acme-corp', 'role', 'viewer', 'sso')];
    const input = loginInput({ groups: [g('developers')] }, rows);
    const a = planMembershipSync({ current: rows, outcome: engine.evaluate(input), syncMode: 'MANAGED', source: 'sso' });
    const b = planMembershipSync({ current: rows, outcome: engine.evaluate(input), syncMode: 'MANAGED', source: 'sso' });
    expect(a).toEqual(b);
    expect(applyPlan(rows, a)).toHaveLength(2);
  });
});
