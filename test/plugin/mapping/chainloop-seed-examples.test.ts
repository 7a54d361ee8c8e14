/**
 * Chainloop's provisioning docs, reproduced: static provisioning (acme-corp, viewer, two teams,
 * existing role kept, instance admins) and the groups pattern with its reserved role groups.
 */
import { describe, expect, it } from 'vitest';
import { ACME, enginesFor, granted, login, loginInput, row } from './fixtures.ts';

const STATIC = {
  defaultRole: 'viewer',
  static: [{ organization: 'acme-corp', role: 'viewer', groups: ['compliance-team', 'development-team'] }],
  instanceAdmins: ['Root@Example.com'],
};

describe('Chainloop static provisioning', () => {
  const engine = enginesFor({ organizations: [ACME], provisioning: STATIC }).global;

  it('every user who logs in joins acme-corp as viewer, in compliance-team and development-team', () => {
    const outcome = engine.evaluate(loginInput({ sub: 'u1', email: 'dev@example.com' }));
    expect(outcome.entitlements).toEqual([
      { organization: 'acme-corp', roles: ['viewer'], groups: ['compliance-team', 'development-team'], source: 'static', mapper: 'static' },
    ]);
    expect(outcome.instanceAdmin).toBe(false);
  });

  it('a user who already has a different role in acme-corp keeps it and gets no viewer role, but joins the teams', () => {
    const current = [row('acme-corp', 'role', 'admin', 'override')];
    const { outcome, after } = login(engine, { sub: 'u1', email: 'dev@example.com' }, current);
    expect(granted(outcome)).toEqual(['acme-corp:group:compliance-team', 'acme-corp:group:development-team']);
    expect(outcome.trace[0]?.organizations[0]?.fallbackRole).toEqual({
      role: 'viewer',
      granted: false,
      reason: 'existing role "admin" (override) is kept instead',
    });
    expect(after.filter((m) => m.kind === 'role').map((m) => m.name)).toEqual(['admin']);
  });

  it('existing memberships elsewhere stay untouched', () => {
    const current = [row('other-org', 'role', 'owner', 'sso'), row('acme-corp', 'group', 'developers', 'sso')];
    const { plan } = login(engine, { sub: 'u1', email: 'dev@example.com' }, current);
    expect(plan.remove).toEqual([]);
    expect(plan.kept).toEqual(current);
  });

  it('instanceAdmins matches the email case-insensitively', () => {
    expect(engine.evaluate(loginInput({ sub: 'r', email: 'ROOT@example.COM' })).instanceAdmin).toBe(true);
    expect(engine.evaluate(loginInput({ sub: 'r', email: 'root2@example.com' })).instanceAdmin).toBe(false);
    expect(engine.evaluate(loginInput({ sub: 'r' })).instanceAdmin).toBe(false);
  });

  it('a static entry without role uses defaultRole', () => {
    const e = enginesFor({ organizations: [ACME], provisioning: { defaultRole: 'member', static: [{ organization: 'acme-corp' }] } }).global;
    expect(granted(e.evaluate(loginInput({ sub: 'u' })))).toEqual(['acme-corp:role:member']);
  });
});

describe('Chainloop groups pattern', () => {
  const underscore = enginesFor({ organizations: [ACME], provisioning: { defaultRole: 'viewer', groupsPattern: 'chainloop_{ORG_NAME}_{GROUP_NAME}' } }).global;
  const hashAt = enginesFor({ organizations: [ACME], provisioning: { defaultRole: 'viewer', groupsPattern: '#{GROUP_NAME}@{ORG_NAME}#' } }).global;

  it('chainloop_acme-corp_developers: group developers in acme-corp, joined with defaultRole', () => {
    const outcome = underscore.evaluate(loginInput({ groups: ['chainloop_acme-corp_developers'] }));
    expect(outcome.entitlements).toEqual([{ organization: 'acme-corp', roles: ['viewer'], groups: ['developers'], source: 'sso', mapper: 'groupsPattern' }]);
  });

  it('chainloop_acme-corp_org-viewer: the viewer role, not a group', () => {
    expect(granted(underscore.evaluate(loginInput({ groups: ['chainloop_acme-corp_org-viewer'] })))).toEqual(['acme-corp:role:viewer']);
  });

  it('#developers@acme-corp#: group developers (GROUP_NAME first, # and @ are literal)', () => {
    expect(granted(hashAt.evaluate(loginInput({ groups: ['#developers@acme-corp#'] })))).toEqual([
      'acme-corp:group:developers',
      'acme-corp:role:viewer',
    ]);
  });

  it('#org-admin@acme-corp#: the admin role, and no defaultRole since a role was mapped', () => {
    expect(granted(hashAt.evaluate(loginInput({ groups: ['#org-admin@acme-corp#'] })))).toEqual(['acme-corp:role:admin']);
  });

  it('every reserved group is a role: org-owner, org-admin, org-viewer, org-member, org-contributor', () => {
    const groups = ['owner', 'admin', 'viewer', 'member', 'contributor'].map((r) => `chainloop_acme-corp_org-${r}`);
    expect(granted(underscore.evaluate(loginInput({ groups })))).toEqual([
      'acme-corp:role:admin',
      'acme-corp:role:contributor',
      'acme-corp:role:member',
      'acme-corp:role:owner',
      'acme-corp:role:viewer',
    ]);
  });

  it('admin in the org "instance" makes an instance admin (both pattern shapes)', () => {
    const a = underscore.evaluate(loginInput({ groups: ['chainloop_instance_admin'] }));
    expect(a.instanceAdmin).toBe(true);
    expect(a.entitlements).toEqual([]);
    expect(a.trace[0]?.instanceAdmin).toBe(true);
    expect(hashAt.evaluate(loginInput({ groups: ['#admin@instance#'] })).instanceAdmin).toBe(true);
    expect(underscore.evaluate(loginInput({ groups: ['chainloop_instance_org-admin'] })).instanceAdmin).toBe(false);
  });

  it('claims that do not match, or lack the org or group part, are ignored', () => {
    const outcome = underscore.evaluate(
      loginInput({ groups: ['developers', 'chainloop_acme-corp', 'chainloop__developers', 'xchainloop_acme-corp_developers', 'chainloop_acme-corp_'] }),
    );
    expect(outcome.entitlements).toEqual([]);
    expect(outcome.trace[0]?.summary).toEqual({ evaluated: 5, matched: 0, notListed: 5 });
  });

  it('a claim naming an unknown organization is ignored and recorded in the trace', () => {
    const outcome = underscore.evaluate(loginInput({ groups: ['chainloop_nope_developers', 'chainloop_acme-corp_developers'] }));
    expect(granted(outcome)).toEqual(['acme-corp:group:developers', 'acme-corp:role:viewer']);
    expect(outcome.trace[0]?.ignored).toEqual([{ value: 'chainloop_nope_developers', reason: 'unknown organization "nope"' }]);
  });

  it('a group that does not exist in the org is not granted; the org is still joined with defaultRole', () => {
    const outcome = underscore.evaluate(loginInput({ groups: ['chainloop_acme-corp_ghosts'] }));
    expect(granted(outcome)).toEqual(['acme-corp:role:viewer']);
    expect(outcome.trace[0]?.organizations[0]?.groupsMissing).toEqual(['ghosts']);
  });

  it('with requireExistingGroups: false, unknown groups are granted (the store creates them)', () => {
    const e = enginesFor({
      organizations: [ACME],
      provisioning: { defaultRole: 'viewer', groupsPattern: 'chainloop_{ORG_NAME}_{GROUP_NAME}', requireExistingGroups: false },
    }).global;
    expect(granted(e.evaluate(loginInput({ groups: ['chainloop_acme-corp_ghosts'] })))).toEqual(['acme-corp:group:ghosts', 'acme-corp:role:viewer']);
  });

  it('a reserved role the org does not have is traced as missing and no defaultRole is guessed', () => {
    const e = enginesFor({
      organizations: [{ id: 'home-lab', roles: ['Admin', 'Member', 'viewer'], groups: ['devs'] }],
      provisioning: { defaultRole: 'viewer', groupsPattern: 'x_{ORG_NAME}_{GROUP_NAME}' },
    }).global;
    const outcome = e.evaluate(loginInput({ groups: ['x_home-lab_org-owner', 'x_home-lab_devs'] }));
    expect(outcome.entitlements).toEqual([]);
    expect(outcome.trace[0]?.organizations[0]).toMatchObject({ matched: false, rolesMissing: ['owner'] });
  });
});

describe('groups pattern: names that contain the separator', () => {
  const orgs = [
    { id: 'acme', roles: ['viewer', 'admin'], groups: ['corp_developers'] },
    { id: 'acme_corp', roles: ['viewer', 'admin'], groups: ['developers'] },
    { id: 'beta', roles: ['viewer'], groups: ['dev_ops'] },
  ];
  const engine = enginesFor({ organizations: orgs, provisioning: { defaultRole: 'viewer', groupsPattern: 'x_{ORG_NAME}_{GROUP_NAME}' } }).global;

  it('prefers the reading whose group exists, then the longest org name, and notes the alternatives', () => {
    const outcome = engine.evaluate(loginInput({ groups: ['x_acme_corp_developers'] }));
    // Both "acme" + "corp_developers" and "acme_corp" + "developers" exist: the longer org wins.
    expect(granted(outcome)).toEqual(['acme_corp:group:developers', 'acme_corp:role:viewer']);
    expect(outcome.trace[0]?.notes.join('\n')).toContain('ambiguous');
  });

  it('a group name containing the separator is read whole when only that reading has an existing org', () => {
    expect(granted(engine.evaluate(loginInput({ groups: ['x_beta_dev_ops'] })))).toEqual(['beta:group:dev_ops', 'beta:role:viewer']);
  });

  it('an org whose name contains the separator is found through the catalog', () => {
    expect(granted(engine.evaluate(loginInput({ groups: ['x_acme_corp_org-admin'] })))).toEqual(['acme_corp:role:admin']);
  });
});
