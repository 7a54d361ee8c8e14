/**
 * Invalid provisioning config fails at start with a precise message: the key path, and for a
 * JMESPath expression the position of the error.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../plugin/errors.ts';
import { ACME, enginesFor, HOME_LAB, oidcProvider } from './fixtures.ts';

function failure(input: Record<string, unknown>): ConfigError {
  try {
    enginesFor({ organizations: [ACME, HOME_LAB], ...input });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const rulesFor = (policy: Record<string, unknown>) => ({ provisioning: { rules: { organizations: { 'acme-corp': policy } } } });

describe('JMESPath syntax errors carry the key path and the position', () => {
  it('a doubled comma in a role expression: position 16', () => {
    const e = failure(rulesFor({ roles: { expression: "contains(groups,, 'admin') && 'admin' || 'viewer'" } }));
    expect(e.message).toBe(
      'provisioning.rules.organizations.acme-corp.roles.expression: JMESPath syntax error at position 16: invalid token (Comma): ","',
    );
    expect(e.code).toBe('ERR_CONFIG_INVALID');
    expect(e.path).toBe('provisioning.rules.organizations.acme-corp.roles.expression');
  });

  it('an expression cut short: the position is its length', () => {
    const e = failure(rulesFor({ organization: "contains(groups, 'acme-corp') &&" }));
    expect(e.message).toBe('provisioning.rules.organizations.acme-corp.organization: JMESPath syntax error at position 32: unexpected end of expression');
  });

  it('an error after {{orgId}} in the default policy is reported at its position in the template', () => {
    const e = failure({ provisioning: { rules: { default: { organization: "contains(groups, '{{orgId}}'))", roles: { fixed: ['admin'] } } } } });
    expect(e.message).toBe('provisioning.rules.default.organization: JMESPath syntax error at position 29: unexpected token type: Rparen, value: )');
  });

  it('an unknown character', () => {
    const e = failure(rulesFor({ organization: "contains(groups, 'x') ~ true" }));
    expect(e.message).toBe('provisioning.rules.organizations.acme-corp.organization: JMESPath syntax error at position 22: unknown character: ~');
  });

  it('an unknown function is refused at start, not at the first login', () => {
    const e = failure(rulesFor({ roles: { expression: "contains(groups, 'a') && lookup(groups)" } }));
    expect(e.message).toBe('provisioning.rules.organizations.acme-corp.roles.expression: JMESPath syntax error at position 25: unknown function lookup()');
  });

  it('an unterminated string literal (which the library would silently accept)', () => {
    const e = failure(rulesFor({ organization: "contains(groups, 'acme-corp)" }));
    expect(e.message).toBe('provisioning.rules.organizations.acme-corp.organization: JMESPath syntax error at position 17: unterminated literal');
  });

  it('the claim path of a mapping builder is compiled too', () => {
    const e = failure(rulesFor({ roles: { claim: 'realm_access.', map: { x: 'admin' } } }));
    expect(e.message).toBe('provisioning.rules.organizations.acme-corp.roles.claim: JMESPath syntax error at position 13: unexpected end of expression');
  });

  it('an org id that breaks the substituted expression names the org', () => {
    const e = failure({
      organizations: [{ id: "o'brien", roles: ['member'] }],
      provisioning: { rules: { default: { organization: "contains(groups, '{{orgId}}')", roles: { fixed: ['member'] } } } },
    });
    expect(e.message).toMatch(/^provisioning\.rules\.default\.organization: JMESPath syntax error at position \d+ \(with \{\{orgId\}\} = "o'brien"/);
  });
});

describe('groupsPattern', () => {
  it('missing {GROUP_NAME} in the global block', () => {
    expect(failure({ provisioning: { groupsPattern: 'chainloop_{ORG_NAME}' } }).message).toBe(
      'provisioning.groupsPattern: must contain {ORG_NAME} and {GROUP_NAME}',
    );
  });

  it("missing {ORG_NAME} in a provider's own block", () => {
    const e = failure({ providers: [oidcProvider('corp-oidc', { provisioning: { groupsPattern: 'team-{GROUP_NAME}' } })] });
    expect(e.message).toBe('providers[0].provisioning.groupsPattern: must contain {ORG_NAME} and {GROUP_NAME}');
  });

  it('a placeholder twice', () => {
    expect(failure({ provisioning: { groupsPattern: '{ORG_NAME}_{GROUP_NAME}_{ORG_NAME}' } }).message).toBe(
      'provisioning.groupsPattern: must contain {ORG_NAME} and {GROUP_NAME} exactly once each',
    );
  });
});

describe('roles and organizations must exist', () => {
  it('an unknown role in `fixed`', () => {
    expect(failure(rulesFor({ roles: { fixed: ['boss'] } })).message).toBe(
      'provisioning.rules.organizations.acme-corp.roles.fixed[0]: role "boss" does not exist in organization "acme-corp"',
    );
  });

  it('a role named with the wrong case does not exist either', () => {
    expect(failure(rulesFor({ roles: { fixed: ['admin', 'Viewer'] } })).message).toBe(
      'provisioning.rules.organizations.acme-corp.roles.fixed[1]: role "Viewer" does not exist in organization "acme-corp"',
    );
  });

  it('a default policy role that exists in no organization', () => {
    const e = failure({ provisioning: { rules: { default: { organization: '`true`', roles: { fixed: ['boss'] } } } } });
    expect(e.message).toBe('provisioning.rules.default.roles.fixed[0]: role "boss" does not exist in any organization');
  });

  it('roles.map naming a missing role', () => {
    const e = failure(rulesFor({ roles: { claim: 'groups', map: { '6f1e2c1a-0d1b-4e5f-9a7b-1c2d3e4f5a6b': 'superuser' } } }));
    expect(e.message).toBe(
      'provisioning.rules.organizations.acme-corp.roles.map.6f1e2c1a-0d1b-4e5f-9a7b-1c2d3e4f5a6b: role "superuser" does not exist in organization "acme-corp"',
    );
  });

  it('roles.map with a list naming a missing role points at the list item', () => {
    const e = failure(rulesFor({ roles: { claim: 'groups', map: { 'Domain Admins': ['admin', 'root'] } } }));
    expect(e.message).toBe('provisioning.rules.organizations.acme-corp.roles.map["Domain Admins"][1]: role "root" does not exist in organization "acme-corp"');
  });

  it('an unknown organization in rules.organizations', () => {
    expect(failure({ provisioning: { rules: { organizations: { nope: { roles: { fixed: ['admin'] } } } } } }).message).toBe(
      'provisioning.rules.organizations.nope: unknown organization "nope"',
    );
  });

  it('an unknown organization in static', () => {
    expect(failure({ provisioning: { defaultRole: 'viewer', static: [{ organization: 'x' }] } }).message).toBe(
      'provisioning.static[0].organization: unknown organization "x"',
    );
  });

  it('a static role or group that the org does not have', () => {
    expect(failure({ provisioning: { static: [{ organization: 'acme-corp', role: 'boss' }] } }).message).toBe(
      'provisioning.static[0].role: role "boss" does not exist in organization "acme-corp"',
    );
    expect(failure({ provisioning: { static: [{ organization: 'acme-corp', role: 'viewer', groups: ['developers', 'ops'] }] } }).message).toBe(
      'provisioning.static[0].groups[1]: group "ops" does not exist in organization "acme-corp"',
    );
  });

  it('a static entry with no role and no defaultRole', () => {
    expect(failure({ provisioning: { static: [{ organization: 'acme-corp' }] } }).message).toBe(
      'provisioning.static[0].role: no role given and provisioning.defaultRole is not set',
    );
  });

  it('a defaultRole that exists in no organization', () => {
    expect(failure({ provisioning: { defaultRole: 'viewr', groupsPattern: 'x_{ORG_NAME}_{GROUP_NAME}' } }).message).toBe(
      'provisioning.defaultRole: role "viewr" does not exist in any organization',
    );
  });

  it('a default policy without an organization expression (it would put everyone everywhere)', () => {
    expect(failure({ provisioning: { rules: { default: { roles: { fixed: ['admin'] } } } } }).message).toMatch(
      /^provisioning\.rules\.default\.organization: required/,
    );
  });

  it("an organization-only provider's own block may not name another org", () => {
    const e = failure({
      providers: [
        oidcProvider('corp-oidc'),
        oidcProvider('lab-oidc', { organization: 'home-lab', provisioning: { rules: { organizations: { 'acme-corp': { roles: { fixed: ['admin'] } } } } } }),
      ],
    });
    expect(e.message).toBe(
      'providers[1].provisioning.rules.organizations.acme-corp: the provider is organization-only ("home-lab") and cannot map into "acme-corp"',
    );
  });

  it('an instanceAdmins entry that is not an email', () => {
    expect(failure({ provisioning: { instanceAdmins: ['root'] } }).message).toBe('provisioning.instanceAdmins[0]: "root" is not an email address');
  });
});
