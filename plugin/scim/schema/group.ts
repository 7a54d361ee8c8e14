/**
 * The Group resource (RFC 7643 §4.2). SCIM Groups are the IdP's groups (e.g. "chainlaunch-admins"),
 * kept apart from organization groups; their display names feed the mapping rules as `groups`.
 * Members are Users only.
 */
import { attr, complex, type SchemaDef } from './types.ts';

export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export const groupSchema: SchemaDef = {
  id: GROUP_SCHEMA,
  name: 'Group',
  description: 'Group',
  attributes: [
    attr('displayName', 'string', {
      description: 'A human-readable name for the Group; unique case-insensitively. Mapping rules see it as a group claim.',
      required: true,
      uniqueness: 'server',
      maxLength: 255,
      storage: { column: 'displayName' },
    }),
    complex(
      'members',
      [
        attr('value', 'string', { description: 'Identifier of the member (a User id).', caseExact: true, mutability: 'immutable', maxLength: 255, storage: { column: 'value' } }),
        attr('$ref', 'reference', { description: 'The URI of the member.', caseExact: true, mutability: 'immutable', referenceTypes: ['User'] }),
        attr('display', 'string', { description: 'A human-readable name of the member.', mutability: 'readOnly' }),
        attr('type', 'string', { description: 'The type of the member: only "User".', mutability: 'immutable', canonicalValues: ['User'] }),
      ],
      { multiValued: true, description: 'A list of members of the Group.', storage: { relation: 'members' } },
    ),
  ],
};
