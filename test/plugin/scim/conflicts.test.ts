/**
 * A store conflict becomes the SCIM 409 `uniqueness` a client sees, with the detail naming the
 * attribute and the value taken; any other store result passes through unchanged.
 */
import { describe, expect, it } from 'vitest';
import { scimErrorBody, throwOnConflict, type ScimError } from '../../../plugin/scim/errors.ts';

function thrown(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (e) {
    return e as ScimError;
  }
  throw new Error('expected a throw');
}

describe('throwOnConflict', () => {
  it('answers a userName conflict with 409 uniqueness naming the User', () => {
    expect(scimErrorBody(thrown(() => throwOnConflict({ conflict: 'userName', value: 'Dup@Example.com' })))).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '409',
      scimType: 'uniqueness',
      detail: 'A User with userName "Dup@Example.com" already exists.',
    });
  });

  it('answers a displayName conflict with 409 uniqueness naming the Group', () => {
    expect(scimErrorBody(thrown(() => throwOnConflict({ conflict: 'displayName', value: 'ADMINS' })))).toMatchObject({
      status: '409',
      scimType: 'uniqueness',
      detail: 'A Group with displayName "ADMINS" already exists.',
    });
  });

  it('passes rows and null through', () => {
    const row = { id: 'g1', displayName: 'Admins' };
    expect(throwOnConflict(row)).toBe(row);
    expect(throwOnConflict(null)).toBeNull();
  });
});
