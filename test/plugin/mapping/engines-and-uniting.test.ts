/**
 * How engines are built per provider and how the results of all mappers are united: provider
 * blocks replace the global one, organization-only providers map into their org alone, items are
 * deduplicated with the first producer's tag, and the trace stays small unless explain asks.
 */
import { describe, expect, it } from 'vitest';
import { GatehouseError } from '../../../plugin/errors.ts';
import { explainMapping } from '../../../plugin/mapping/index.ts';
import { ACME, claimsFrom, enginesFor, granted, HOME_LAB, loginInput, oidcProvider, row } from './fixtures.ts';

const GLOBAL = {
  defaultRole: 'viewer',
  static: [{ organization: 'acme-corp', groups: ['developers'] }],
  instanceAdmins: ['root@example.com'],
  groupsPattern: 'gh_{ORG_NAME}_{GROUP_NAME}',
  rules: { default: { organization: "contains(groups, '{{orgId}}')", roles: { expression: "contains(groups, 'admin') && 'Admin' || 'Member'" } } },
};

describe('engines per provider', () => {
  const engines = enginesFor({
    organizations: [ACME, HOME_LAB],
    provisioning: GLOBAL,
    providers: [
      oidcProvider('plain'),
      oidcProvider('own', { provisioning: { syncMode: 'MANAGED', message: 'No access yet.', rules: { organizations: { 'home-lab': { roles: { fixed: ['Member'] } } } } } }),
      oidcProvider('lab-only', { organization: 'home-lab' }),
      oidcProvider('lab-own', { organization: 'home-lab', provisioning: { rules: { default: { roles: { fixed: ['Admin'] } } } } }),
    ],
  });
  const token = { sub: 'u', email: 'root@example.com', groups: ['home-lab', 'admin', 'gh_acme-corp_compliance-team'] };

  it('a provider without its own block uses the global engine', () => {
    expect(engines.forProvider('plain')).toBe(engines.global);
    expect(engines.global.syncMode).toBe('ADDITIVE');
    expect(engines.global.requireEntitlement).toBe(false);
  });

  it("a provider's own block replaces the global one entirely (no static, no pattern, no instance admins)", () => {
    const own = engines.forProvider('own');
    expect(own.syncMode).toBe('MANAGED');
    expect(own.requireEntitlement).toBe(true);
    expect(own.message).toBe('No access yet.');
    const outcome = own.evaluate(loginInput(token));
    expect(granted(outcome)).toEqual(['home-lab:role:Member']);
    expect(outcome.instanceAdmin).toBe(false);
    expect(outcome.trace.map((t) => t.mapper)).toEqual(['rules']);
  });

  it('all mappers of the global block run and their results are united', () => {
    const outcome = engines.global.evaluate(loginInput(token));
    expect(granted(outcome)).toEqual([
      'acme-corp:group:compliance-team',
      'acme-corp:group:developers',
      'acme-corp:role:viewer',
      'home-lab:role:Admin',
    ]);
    expect(outcome.instanceAdmin).toBe(true);
    expect(outcome.entitlements.map((e) => `${e.mapper}/${e.source}:${e.organization}`)).toEqual([
      'static/static:acme-corp',
      'groupsPattern/sso:acme-corp',
      'rules/sso:home-lab',
    ]);
  });

  it('an organization-only provider (global block) maps into its org alone and grants no instance admin', () => {
    const engine = engines.forProvider('lab-only');
    expect(engine.organization).toBe('home-lab');
    const outcome = engine.evaluate(loginInput(token));
    expect(granted(outcome)).toEqual(['home-lab:role:Admin']);
    expect(outcome.instanceAdmin).toBe(false);
    const staticTrace = outcome.trace.find((t) => t.mapper === 'static');
    expect(staticTrace?.organizations[0]?.reason).toContain('dropped: the provider is organization-only ("home-lab")');
    expect(staticTrace?.notes.join('\n')).toContain('instance admin not granted');
  });

  it("an organization-only provider's own default policy needs no organization expression", () => {
    expect(granted(engines.forProvider('lab-own').evaluate(loginInput({ sub: 'u' })))).toEqual(['home-lab:role:Admin']);
  });

  it('an unknown provider id is a coded error', () => {
    expect(() => engines.forProvider('nope')).toThrow(GatehouseError);
    try {
      engines.forProvider('nope');
    } catch (error) {
      expect((error as GatehouseError).code).toBe('ERR_UNKNOWN_PROVIDER');
    }
  });
});

describe('uniting mapper results', () => {
  it('an item two mappers produce is kept by the first (registry order) and listed as a duplicate by the second', () => {
    const engine = enginesFor({
      organizations: [ACME],
      provisioning: {
        defaultRole: 'viewer',
        static: [{ organization: 'acme-corp', groups: ['developers'] }],
        groupsPattern: 'gh_{ORG_NAME}_{GROUP_NAME}',
      },
    }).global;
    const outcome = engine.evaluate(loginInput({ groups: ['gh_acme-corp_developers', 'gh_acme-corp_compliance-team'] }));
    expect(outcome.entitlements).toEqual([
      { organization: 'acme-corp', roles: ['viewer'], groups: ['developers'], source: 'static', mapper: 'static' },
      { organization: 'acme-corp', roles: [], groups: ['compliance-team'], source: 'sso', mapper: 'groupsPattern' },
    ]);
    expect(outcome.trace[1]?.organizations[0]?.duplicates).toEqual([
      { kind: 'role', name: 'viewer', keptBy: 'static' },
      { kind: 'group', name: 'developers', keptBy: 'static' },
    ]);
  });

  it("a mapper's role takes precedence over another's fallback role (static role yields, as to an existing role)", () => {
    const engine = enginesFor({
      organizations: [ACME],
      provisioning: { static: [{ organization: 'acme-corp', role: 'viewer' }], groupsPattern: 'gh_{ORG_NAME}_{GROUP_NAME}' },
    }).global;
    const outcome = engine.evaluate(loginInput({ groups: ['gh_acme-corp_org-admin'] }));
    expect(granted(outcome)).toEqual(['acme-corp:role:admin']);
    expect(outcome.trace[0]?.organizations[0]?.fallbackRole).toEqual({ role: 'viewer', granted: false, reason: 'role "admin" given by groupsPattern is kept instead' });
  });

  it('groups alone with no defaultRole: the org is not joined, and the trace says why', () => {
    const engine = enginesFor({ organizations: [ACME], provisioning: { groupsPattern: 'gh_{ORG_NAME}_{GROUP_NAME}' } }).global;
    const outcome = engine.evaluate(loginInput({ groups: ['gh_acme-corp_developers'] }));
    expect(outcome.entitlements).toEqual([]);
    expect(outcome.trace[0]?.organizations[0]).toMatchObject({
      matched: false,
      fallbackRole: { role: null, granted: false, reason: 'no role claim and defaultRole is not set' },
    });
    expect(outcome.trace[0]?.organizations[0]?.reason).toContain('not joined: no valid role');
  });

  it('groups alone with no defaultRole still count when the user holds a role there already', () => {
    const engine = enginesFor({ organizations: [ACME], provisioning: { groupsPattern: 'gh_{ORG_NAME}_{GROUP_NAME}' } }).global;
    const outcome = engine.evaluate(loginInput({ groups: ['gh_acme-corp_developers'] }, [row('acme-corp', 'role', 'member', 'override')]));
    expect(granted(outcome)).toEqual(['acme-corp:group:developers']);
  });

  it('a SCIM push tags claims-driven entitlements `scim`; static stays `static`', () => {
    const engine = enginesFor({ organizations: [ACME], provisioning: GLOBAL }).global;
    const outcome = engine.evaluate({ ...loginInput({ groups: ['gh_acme-corp_compliance-team'] }), source: 'scim' });
    expect(outcome.entitlements.map((e) => e.source)).toEqual(['static', 'scim']);
  });

  it('expressions see the raw claims with `groups` replaced by the normalized groups', () => {
    const engine = enginesFor({
      organizations: [HOME_LAB],
      provisioning: { rules: { default: { organization: "contains(groups, 'home-lab') && department == 'R&D'", roles: { fixed: ['Member'] } } } },
    }).global;
    // A SAML IdP sent a single value as a string; the normalizer made it an array.
    const claims = { ...claimsFrom({ sub: 's', department: 'R&D' }), groups: ['home-lab'] };
    claims.raw = { ...claims.raw, groups: 'home-lab' };
    const outcome = engine.evaluate({ claims, source: 'sso', current: [], email: null });
    expect(granted(outcome)).toEqual(['home-lab:role:Member']);
  });

  it('evaluate is pure: it does not change its input and gives the same outcome twice', () => {
    const engine = enginesFor({ organizations: [ACME, HOME_LAB], provisioning: GLOBAL }).global;
    const input = loginInput({ email: 'a@example.com', groups: ['home-lab', 'gh_acme-corp_org-admin'] }, [row('acme-corp', 'role', 'owner', 'override')]);
    const snapshot = structuredClone(input);
    const first = engine.evaluate(input);
    expect(engine.evaluate(input)).toEqual(first);
    expect(input).toEqual(snapshot);
  });
});

describe('trace size and explain', () => {
  const organizations = Array.from({ length: 50 }, (_, i) => ({ id: `org-${i}`, roles: ['Admin', 'Member'] }));
  const engine = enginesFor({
    organizations,
    provisioning: { rules: { default: { organization: "contains(groups, '{{orgId}}')", roles: { fixed: ['Member'] } } } },
  }).global;
  const input = loginInput({ sub: 'u', groups: ['org-3', 'org-7'] });

  it('evaluate lists only the orgs that matched (or failed), and counts the rest', () => {
    const trace = engine.evaluate(input).trace[0];
    expect(trace?.organizations.map((o) => o.organization)).toEqual(['org-3', 'org-7']);
    expect(trace?.summary).toEqual({ evaluated: 50, matched: 2, notListed: 48 });
  });

  it('explain lists the group claims a pattern ignored; a login only counts them', () => {
    const withPattern = enginesFor({ organizations: [ACME], provisioning: { defaultRole: 'viewer', groupsPattern: 'gh_{ORG_NAME}_{GROUP_NAME}' } }).global;
    const login = loginInput({ groups: ['Everyone', 'gh_acme-corp_developers'] });
    expect(withPattern.evaluate(login).trace[0]?.ignored).toEqual([]);
    expect(withPattern.evaluate(login).trace[0]?.summary).toEqual({ evaluated: 2, matched: 1, notListed: 1 });
    expect(explainMapping(withPattern, login).mappers[0]?.ignored).toEqual([
      { value: 'Everyone', reason: 'does not match the pattern "gh_{ORG_NAME}_{GROUP_NAME}"' },
    ]);
  });

  it('explainMapping lists every org with its reason, and is plain JSON', () => {
    const explained = explainMapping(engine, input);
    expect(explained.mappers[0]?.organizations).toHaveLength(50);
    expect(explained.mappers[0]?.summary.notListed).toBe(0);
    expect(explained.hasEntitlement).toBe(true);
    expect(explained.plan.add).toHaveLength(2);
    expect(JSON.parse(JSON.stringify(explained))).toEqual(explained);
    expect(Object.keys(explained).sort()).toEqual(
      ['entitlements', 'errors', 'groupsUnavailable', 'hasEntitlement', 'instanceAdmin', 'mappers', 'organization', 'plan', 'requireEntitlement'].sort(),
    );
  });
});
