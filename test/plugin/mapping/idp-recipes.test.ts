/**
 * The cookbook of docs/mapping.md, pinned: Azure group GUIDs through the mapping builder (with
 * the overage case), Keycloak realm/client roles, Okta group names, Google Workspace domains.
 */
import { describe, expect, it } from 'vitest';
import { ACME, enginesFor, granted, HOME_LAB, login, loginInput, row } from './fixtures.ts';

const ADMINS_GUID = '6f1e2c1a-0d1b-4e5f-9a7b-1c2d3e4f5a6b';
const MEMBERS_GUID = 'b2c4d6e8-1a3b-4c5d-8e9f-0a1b2c3d4e5f';
const OPS_GUID = '0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f';

describe('Azure Entra ID: group GUIDs through the mapping builder', () => {
  const engines = enginesFor({
    organizations: [ACME],
    provisioning: {
      syncMode: 'MANAGED',
      rules: {
        organizations: {
          'acme-corp': { roles: { claim: 'groups', map: { [ADMINS_GUID]: 'admin', [MEMBERS_GUID]: 'member', [OPS_GUID]: ['member', 'contributor'] } } },
        },
      },
    },
  });
  const engine = engines.global;

  it('maps each GUID the user is in to its role; unmapped GUIDs are ignored', () => {
    const outcome = engine.evaluate(loginInput({ sub: 'az1', groups: [ADMINS_GUID, 'ffffffff-0000-0000-0000-000000000000'] }));
    expect(outcome.entitlements).toEqual([{ organization: 'acme-corp', roles: ['admin'], groups: [], source: 'sso', mapper: 'rules' }]);
    expect(outcome.trace[0]?.organizations[0]?.reason).toContain('claim "groups" gave 2 value(s), 1 of them in the map');
  });

  it('a GUID may map to several roles, and roles named twice are granted once', () => {
    const outcome = engine.evaluate(loginInput({ sub: 'az1', groups: [MEMBERS_GUID, OPS_GUID] }));
    expect(granted(outcome)).toEqual(['acme-corp:role:contributor', 'acme-corp:role:member']);
  });

  it('a user in no mapped group is not joined', () => {
    const outcome = engine.evaluate(loginInput({ sub: 'az1', groups: ['ffffffff-0000-0000-0000-000000000000'] }));
    expect(outcome.entitlements).toEqual([]);
    expect(outcome.trace[0]?.organizations[0]?.reason).toContain('no role named: not joined');
  });

  it('overage (_claim_names.groups, no groups claim): nothing is granted from groups, and MANAGED removes nothing', () => {
    const current = [row('acme-corp', 'role', 'admin', 'sso', 'rules')];
    const { outcome, plan } = login(engine, { sub: 'az1', _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph' } } }, current);
    expect(outcome.groupsUnavailable).toBe(true);
    expect(outcome.entitlements).toEqual([]);
    expect(plan.remove).toEqual([]);
    expect(plan.removalBlocked).toBe(true);
  });
});

describe('Keycloak: realm_access.roles and resource_access', () => {
  const token = {
    sub: 'kc1',
    email: 'ada@example.com',
    realm_access: { roles: ['offline_access', 'uma_authorization', 'gatehouse-admin', 'org-home-lab'] },
    resource_access: { gatehouse: { roles: ['Member'] } },
  };

  it('a role expression over realm_access.roles', () => {
    const engine = enginesFor({
      organizations: [ACME],
      provisioning: {
        rules: { organizations: { 'acme-corp': { roles: { expression: "contains(realm_access.roles, 'gatehouse-admin') && 'admin' || 'viewer'" } } } },
      },
    }).global;
    expect(granted(engine.evaluate(loginInput(token)))).toEqual(['acme-corp:role:admin']);
    expect(granted(engine.evaluate(loginInput({ ...token, realm_access: { roles: [] } })))).toEqual(['acme-corp:role:viewer']);
  });

  it('the mapping builder with claim realm_access.roles', () => {
    const engine = enginesFor({
      organizations: [ACME],
      provisioning: { rules: { organizations: { 'acme-corp': { roles: { claim: 'realm_access.roles', map: { 'gatehouse-admin': 'admin' } } } } } },
    }).global;
    expect(granted(engine.evaluate(loginInput(token)))).toEqual(['acme-corp:role:admin']);
    // A token without realm_access: the claim is null, no role, not joined, and no error.
    const outcome = engine.evaluate(loginInput({ sub: 'kc2' }));
    expect(outcome.entitlements).toEqual([]);
    expect(outcome.errors).toEqual([]);
  });

  it('org selection from realm roles with {{orgId}}, roles from a client role list', () => {
    const engine = enginesFor({
      organizations: [ACME, HOME_LAB],
      provisioning: {
        rules: {
          default: {
            organization: "contains(realm_access.roles || `[]`, 'org-{{orgId}}')",
            roles: { expression: 'resource_access.gatehouse.roles' },
          },
        },
      },
    }).global;
    expect(granted(engine.evaluate(loginInput(token)))).toEqual(['home-lab:role:Member']);
    // `|| \`[]\`` keeps a token without realm_access from being an error.
    const bare = engine.evaluate(loginInput({ sub: 'kc3' }));
    expect(bare.errors).toEqual([]);
  });

  it('without the `|| `[]`` guard, a missing realm_access is an expression error for each org, not a crash', () => {
    const engine = enginesFor({
      organizations: [HOME_LAB],
      provisioning: { rules: { default: { organization: "contains(realm_access.roles, 'org-{{orgId}}')", roles: { fixed: ['Member'] } } } },
    }).global;
    const outcome = engine.evaluate(loginInput({ sub: 'kc3' }));
    expect(outcome.entitlements).toEqual([]);
    expect(outcome.errors[0]?.message).toMatch(/^provisioning\.rules\.default\.organization: Invalid type: contains\(\)/);
  });
});

describe('Okta: group names that carry the org id', () => {
  it('selection and role both templated with {{orgId}}', () => {
    const engine = enginesFor({
      organizations: [ACME, { id: 'globex', roles: ['admin', 'member'] }, HOME_LAB],
      provisioning: {
        rules: {
          default: {
            organization: "contains(groups, '{{orgId}}-users') || contains(groups, '{{orgId}}-admins')",
            roles: { expression: "contains(groups, '{{orgId}}-admins') && 'admin' || 'member'" },
          },
        },
      },
    }).global;
    const outcome = engine.evaluate(loginInput({ sub: 'okta1', groups: ['Everyone', 'acme-corp-admins', 'globex-users'] }));
    expect(granted(outcome)).toEqual(['acme-corp:role:admin', 'globex:role:member']);
  });
});

describe('Google Workspace: everyone of a domain', () => {
  const engine = enginesFor({
    organizations: [ACME],
    provisioning: {
      rules: {
        organizations: {
          'acme-corp': { organization: "email_verified == `true` && ends_with(lower(email), '@example.com')", roles: { fixed: ['member'] } },
        },
      },
    },
  }).global;

  it('a verified address of the domain joins, whatever its case (the raw claim is matched, hence lower())', () => {
    const token = { sub: 'g1', email: 'Ada@Example.COM', email_verified: true, hd: 'example.com' };
    expect(granted(engine.evaluate(loginInput(token)))).toEqual(['acme-corp:role:member']);
  });

  it('another domain, a look-alike suffix, or an unverified address does not', () => {
    expect(engine.evaluate(loginInput({ sub: 'g2', email: 'eve@example.com.evil.test', email_verified: true })).entitlements).toEqual([]);
    expect(engine.evaluate(loginInput({ sub: 'g3', email: 'eve@notexample.org', email_verified: true })).entitlements).toEqual([]);
    expect(engine.evaluate(loginInput({ sub: 'g4', email: 'eve@example.com', email_verified: false })).entitlements).toEqual([]);
  });

  it('a verified token without email is an expression error for that org (ends_with of null), reported', () => {
    const outcome = engine.evaluate(loginInput({ sub: 'g5', email_verified: true }));
    expect(outcome.entitlements).toEqual([]);
    expect(outcome.errors).toHaveLength(1);
  });

  it('the `hd` claim works too', () => {
    const hd = enginesFor({
      organizations: [ACME],
      provisioning: { rules: { organizations: { 'acme-corp': { organization: "hd == 'example.com'", roles: { fixed: ['member'] } } } } },
    }).global;
    expect(granted(hd.evaluate(loginInput({ sub: 'g5', email: 'a@example.com', hd: 'example.com' })))).toEqual(['acme-corp:role:member']);
    expect(hd.evaluate(loginInput({ sub: 'g6', email: 'a@gmail.com' })).entitlements).toEqual([]);
  });
});
