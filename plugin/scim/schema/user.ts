/**
 * The User resource (RFC 7643 §4.1) and the Enterprise User extension (§4.3). Attributes with
 * `storage` are filterable and sortable; the rest are stored as given and returned as stored.
 */
import { attr, complex, multi, type SchemaDef } from './types.ts';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const text = (name: string, description: string, column?: string) =>
  attr(name, 'string', { description, maxLength: column ? 255 : 1024, ...(column ? { storage: { column } } : {}) });

export const userSchema: SchemaDef = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    attr('userName', 'string', {
      description: 'Unique identifier for the User, typically used to sign in; unique case-insensitively.',
      required: true,
      uniqueness: 'server',
      maxLength: 320,
      storage: { column: 'userName' },
    }),
    complex(
      'name',
      [
        text('formatted', 'The full name, formatted for display.'),
        text('familyName', 'The family name of the User.', 'familyName'),
        text('givenName', 'The given name of the User.', 'givenName'),
        text('middleName', 'The middle name(s) of the User.'),
        text('honorificPrefix', 'The honorific prefix(es) of the User.'),
        text('honorificSuffix', 'The honorific suffix(es) of the User.'),
      ],
      { description: 'The components of the user\'s real name.' },
    ),
    text('displayName', 'The name of the User, suitable for display to end-users.', 'displayName'),
    text('nickName', 'The casual way to address the user.', 'nickName'),
    attr('profileUrl', 'reference', { description: 'A URI of an online profile of the User.', referenceTypes: ['external'], maxLength: 2048 }),
    text('title', 'The user\'s title, such as "Vice President".', 'title'),
    text('userType', 'Relationship between the organization and the user, e.g. "Employee".', 'userType'),
    text('preferredLanguage', 'The User\'s preferred written or spoken language (RFC 7231 Accept-Language).'),
    text('locale', 'Default location of the User (language tag).'),
    text('timezone', 'The User\'s time zone in IANA Time Zone database format.'),
    attr('active', 'boolean', {
      description: 'The User\'s administrative status. false deprovisions (login refused, sessions ended); true reactivates.',
      storage: { column: 'active', derived: true },
    }),
    attr('password', 'string', {
      description: 'Not stored: Gatehouse users sign in through SSO only. Accepted and discarded.',
      mutability: 'writeOnly',
      returned: 'never',
    }),
    multi('emails', 'Email addresses for the user; the primary one (else the first) is the address sign-in matches.', ['work', 'home', 'other'], {
      relation: 'emails',
      sort: 'email',
      valueMaxLength: 320,
    }),
    multi('phoneNumbers', 'Phone numbers for the User.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multi('ims', 'Instant messaging addresses for the User.', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
    multi('photos', 'URLs of photos of the User.', ['photo', 'thumbnail'], { valueType: 'reference' }),
    complex(
      'addresses',
      [
        text('formatted', 'The full mailing address.'),
        text('streetAddress', 'The full street address component.'),
        text('locality', 'The city or locality component.'),
        text('region', 'The state or region component.'),
        text('postalCode', 'The zip code or postal code component.'),
        text('country', 'The country name component.'),
        attr('type', 'string', { canonicalValues: ['work', 'home', 'other'], maxLength: 64 }),
        attr('primary', 'boolean', {}),
      ],
      { multiValued: true, description: 'A physical mailing address for this User.' },
    ),
    complex(
      'groups',
      [
        attr('value', 'string', { caseExact: true, mutability: 'readOnly', storage: { column: 'value' } }),
        attr('$ref', 'reference', { caseExact: true, mutability: 'readOnly', referenceTypes: ['Group'] }),
        attr('display', 'string', { mutability: 'readOnly', storage: { column: 'display' } }),
        attr('type', 'string', { mutability: 'readOnly', canonicalValues: ['direct', 'indirect'] }),
      ],
      {
        multiValued: true,
        mutability: 'readOnly',
        description: 'The SCIM Groups the user belongs to; change them through the Group resource.',
        storage: { relation: 'groups' },
      },
    ),
    multi('entitlements', 'A list of entitlements for the User.', []),
    multi('roles', 'A list of roles for the User (as sent by the client; Gatehouse roles come from mapping).', []),
    multi('x509Certificates', 'A list of certificates issued to the User.', [], { valueType: 'binary' }),
  ],
};

export const enterpriseUserSchema: SchemaDef = {
  id: ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    text('employeeNumber', 'Numeric or alphanumeric identifier assigned to a person.', 'employeeNumber'),
    text('costCenter', 'Identifies the name of a cost center.', 'costCenter'),
    text('organization', 'Identifies the name of an organization.', 'organization'),
    text('division', 'Identifies the name of a division.', 'division'),
    text('department', 'Identifies the name of a department.', 'department'),
    complex(
      'manager',
      [
        attr('value', 'string', { description: 'The id of the SCIM resource representing the manager.', caseExact: true, maxLength: 255, storage: { column: 'managerId' } }),
        attr('$ref', 'reference', { description: 'The URI of the manager.', referenceTypes: ['User'], maxLength: 2048 }),
        attr('displayName', 'string', { description: 'The displayName of the manager.', mutability: 'readOnly', maxLength: 255 }),
      ],
      { description: 'The User\'s manager.' },
    ),
  ],
};
