/**
 * The PATCH engine, pure: both IdP dialects (Okta's no-path value objects, Entra ID's path +
 * primitive with its quirks), value-filter paths, member deltas, and the RFC 7644 errors.
 */
import { describe, expect, it } from 'vitest';
import { applyPatch, type MemberDelta } from '../../../plugin/scim/patch.ts';
import { GROUP_RESOURCE } from '../../../plugin/scim/resources/groups.ts';
import { USER_RESOURCE } from '../../../plugin/scim/resources/users.ts';
import { normalizeResource } from '../../../plugin/scim/schema/resource.ts';
import { ENTERPRISE, PATCH_OP } from './helpers.ts';

const ops = (...Operations: Record<string, unknown>[]) => ({ schemas: [PATCH_OP], Operations });

function user(extra: Record<string, unknown> = {}) {
  return normalizeResource(USER_RESOURCE, {
    userName: 'bjensen@example.com',
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    emails: [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ],
    active: true,
    ...extra,
  });
}

const patchUser = (doc: Record<string, unknown>, ...o: Record<string, unknown>[]) => normalizeResource(USER_RESOURCE, applyPatch(USER_RESOURCE, doc, ops(...o)).doc);

describe('PATCH, Okta shape (no path, value object)', () => {
  it('deactivates with {"op":"replace","value":{"active":false}}', () => {
    expect(patchUser(user(), { op: 'replace', value: { active: false } }).active).toBe(false);
  });

  it('merges a complex attribute and replaces multi-valued ones', () => {
    const doc = patchUser(user(), { op: 'replace', value: { name: { givenName: 'Babs' }, emails: [{ value: 'new@example.com', type: 'work', primary: true }] } });
    expect(doc.name).toEqual({ givenName: 'Babs', familyName: 'Jensen' });
    expect(doc.emails).toEqual([{ value: 'new@example.com', type: 'work', primary: true }]);
  });

  it('ignores id, meta and schemas in the value (Okta sends the id back)', () => {
    const doc = patchUser(user(), { op: 'replace', value: { id: 'abc', schemas: ['x'], meta: {}, displayName: 'Babs' } });
    expect(doc.displayName).toBe('Babs');
    expect(doc).not.toHaveProperty('id');
  });

  it('adds to a multi-valued attribute without duplicating, and keeps primary unique', () => {
    const doc = patchUser(user(), { op: 'add', value: { emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }, { value: 'x@y.z', type: 'other' }] } });
    expect((doc.emails as unknown[]).length).toBe(3);
    const again = patchUser(doc, { op: 'add', path: 'emails', value: [{ value: 'x@y.z', type: 'other', primary: true }] });
    expect((again.emails as { value: string; primary?: boolean }[]).filter((e) => e.primary).map((e) => e.value)).toEqual(['x@y.z']);
    const emails = doc.emails as { value: string; primary?: boolean }[];
    expect(emails.map((e) => e.value)).toEqual(['bjensen@example.com', 'babs@jensen.org', 'x@y.z']);
    expect(emails.filter((e) => e.primary).map((e) => e.value)).toEqual(['bjensen@example.com']);
  });
});

describe('PATCH, Entra ID shape (path + primitive) and its quirks', () => {
  it('takes capitalized op names and "False"/"True" booleans', () => {
    expect(patchUser(user(), { op: 'Replace', path: 'active', value: 'False' }).active).toBe(false);
    expect(patchUser(user({ active: false }), { op: 'Replace', path: 'active', value: 'True' }).active).toBe(true);
  });

  it('sets a value-filter path, creating the element when no value matches', () => {
    const replaced = patchUser(user(), { op: 'Replace', path: 'emails[type eq "work"].value', value: 'barbara@example.com' });
    expect(replaced.emails).toEqual([
      { value: 'barbara@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ]);
    const created = patchUser(user({ emails: undefined }), { op: 'Add', path: 'emails[type eq "work"].value', value: 'first@example.com' });
    expect(created.emails).toEqual([{ type: 'work', value: 'first@example.com' }]);
  });

  it('removes by value filter and by sub-attribute', () => {
    expect(patchUser(user(), { op: 'Remove', path: 'emails[type eq "home"]' }).emails).toEqual([{ value: 'bjensen@example.com', type: 'work', primary: true }]);
    expect((patchUser(user(), { op: 'Remove', path: 'emails[type eq "work"].primary' }).emails as unknown[])[0]).toEqual({ value: 'bjensen@example.com', type: 'work' });
    expect(patchUser(user(), { op: 'Remove', path: 'emails[value eq "nobody@x"]' }).emails).toHaveLength(2);
  });

  it('unwraps single-element arrays for single-valued attributes', () => {
    expect(patchUser(user(), { op: 'Replace', path: 'displayName', value: ['Babs J'] }).displayName).toBe('Babs J');
    expect(patchUser(user(), { op: 'Replace', path: 'name.givenName', value: ['B'] }).name).toMatchObject({ givenName: 'B' });
  });

  it('sets enterprise attributes by URN path, and a manager given as a bare id', () => {
    const doc = patchUser(
      user(),
      { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Sales' },
      { op: 'Replace', path: `${ENTERPRISE}:manager`, value: 'manager-id-1' },
    );
    expect(doc[ENTERPRISE]).toEqual({ department: 'Sales', manager: { value: 'manager-id-1' } });
    expect(patchUser(doc, { op: 'Remove', path: `${ENTERPRISE}:manager` })[ENTERPRISE]).toEqual({ department: 'Sales' });
  });

  it('reads dotted, filtered and URN keys inside a no-path value', () => {
    const doc = patchUser(user(), {
      op: 'replace',
      value: { 'name.familyName': 'J', 'emails[type eq "work"].value': 'w@example.com', [`${ENTERPRISE}:employeeNumber`]: '42', [ENTERPRISE]: { costCenter: 'cc1' } },
    });
    expect(doc.name).toMatchObject({ familyName: 'J' });
    expect((doc.emails as { value: string }[])[0]?.value).toBe('w@example.com');
    expect(doc[ENTERPRISE]).toEqual({ employeeNumber: '42', costCenter: 'cc1' });
  });

  it('accepts an empty Operations list as no change', () => {
    const before = user();
    expect(applyPatch(USER_RESOURCE, before, { schemas: [PATCH_OP], Operations: [] }).doc).toEqual(before);
  });

  it('accepts and discards a password', () => {
    expect(patchUser(user(), { op: 'replace', path: 'password', value: 'secret' })).not.toHaveProperty('password');
  });
});

describe('PATCH errors (RFC 7644 §3.12)', () => {
  const err = (doc: Record<string, unknown>, ...o: Record<string, unknown>[]) => {
    try {
      patchUser(doc, ...o);
    } catch (e) {
      return e as { status: number; scimType?: string; message: string };
    }
    throw new Error('patched');
  };

  it.each([
    [{ op: 'remove' }, 'noTarget'],
    [{ op: 'replace', path: 'emails[type eq "work" or type eq "home"].display', value: 'x' }, 'noTarget'],
    [{ op: 'frobnicate', path: 'title', value: 'x' }, 'invalidSyntax'],
    [{ op: 'replace', path: 'title' }, 'invalidSyntax'],
    [{ op: 'replace', path: 'nickname[', value: 'x' }, 'invalidPath'],
    [{ op: 'replace', path: 'doesNotExist', value: 'x' }, 'invalidPath'],
    [{ op: 'replace', path: 'id', value: 'x' }, 'mutability'],
    [{ op: 'replace', path: 'groups', value: [{ value: 'g' }] }, 'mutability'],
    [{ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }, 'mutability'],
    [{ op: 'replace', path: 'active', value: 'maybe' }, 'invalidValue'],
    [{ op: 'replace', path: 'displayName', value: ['a', 'b'] }, 'invalidValue'],
    [{ op: 'remove', path: 'userName' }, 'invalidValue'],
    [{ op: 'replace', path: 'emails[bogus eq "x"].value', value: 'v' }, 'invalidPath'],
  ])('%j -> %s', (op, scimType) => {
    const doc = user({ emails: [{ value: 'a@x', type: 'other' }] });
    const e = err(doc, op);
    expect(e.status).toBe(400);
    expect(e.scimType).toBe(scimType);
  });

  it('refuses a body that is not a PatchOp', () => {
    expect(() => applyPatch(USER_RESOURCE, user(), { Operations: 'x' })).toThrow(expect.objectContaining({ scimType: 'invalidSyntax' }));
    expect(() => applyPatch(USER_RESOURCE, user(), { schemas: ['urn:other'], Operations: [] })).toThrow(expect.objectContaining({ scimType: 'invalidSyntax' }));
    expect(() => applyPatch(USER_RESOURCE, user(), [])).toThrow(expect.objectContaining({ scimType: 'invalidSyntax' }));
  });
});

describe('PATCH of Group members: deltas, never the member list', () => {
  const group = { displayName: 'Admins' };
  const deltas = (...o: Record<string, unknown>[]): MemberDelta[] => applyPatch(GROUP_RESOURCE, group, ops(...o), { delta: 'members' }).deltas;

  it('reads both dialects of add, remove and replace', () => {
    expect(deltas({ op: 'add', path: 'members', value: [{ value: 'u1' }, { value: 'u2', display: 'x' }] })).toEqual([{ op: 'add', values: ['u1', 'u2'] }]);
    expect(deltas({ op: 'Add', path: 'members', value: [{ value: 'u1' }] })).toEqual([{ op: 'add', values: ['u1'] }]);
    expect(deltas({ op: 'Remove', path: 'members', value: [{ value: 'u1' }] })).toEqual([{ op: 'remove', values: ['u1'] }]);
    expect(deltas({ op: 'remove', path: 'members[value eq "u2"]' })).toEqual([{ op: 'remove', values: ['u2'] }]);
    expect(deltas({ op: 'remove', path: 'members[value eq "a" or value eq "b"]' })).toEqual([{ op: 'remove', values: ['a', 'b'] }]);
    expect(deltas({ op: 'remove', path: 'members' })).toEqual([{ op: 'replace', values: [] }]);
    expect(deltas({ op: 'replace', path: 'members', value: [{ value: 'u3' }] })).toEqual([{ op: 'replace', values: ['u3'] }]);
    expect(deltas({ op: 'add', value: { members: [{ value: 'u4' }] } })).toEqual([{ op: 'add', values: ['u4'] }]);
    expect(deltas({ op: 'remove', path: 'members[display co "bob"]' })).toEqual([{ op: 'removeWhere', filter: expect.objectContaining({ op: 'co' }) }]);
  });

  it('renames with Okta\'s {"op":"replace","value":{"id":...,"displayName":...}}', () => {
    expect(applyPatch(GROUP_RESOURCE, group, ops({ op: 'replace', value: { id: 'g1', displayName: 'Renamed' } }), { delta: 'members' }).doc).toEqual({ displayName: 'Renamed' });
  });

  it.each([
    [{ op: 'add', path: 'members', value: [{ display: 'no value' }] }, 'invalidValue'],
    [{ op: 'add', path: 'members', value: [{ value: 'g2', type: 'Group' }] }, 'invalidValue'],
    [{ op: 'add', path: 'members[value eq "x"]', value: [{ value: 'x' }] }, 'invalidPath'],
    [{ op: 'replace', path: 'members.value', value: 'x' }, 'invalidPath'],
    [{ op: 'remove', path: 'members[nope eq "x"]' }, 'invalidPath'],
  ])('%j -> %s', (op, scimType) => {
    expect(() => deltas(op)).toThrow(expect.objectContaining({ status: 400, scimType }));
  });
});
