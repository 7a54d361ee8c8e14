/**
 * renderUserJson (a page written without parsing stored documents) says exactly what renderUser
 * says, for any document SCIM can store, with or without the enterprise extension, groups or a
 * deprovisioned status; a document holding a key the rendering sets takes the slow path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { USER_RESOURCE, renderUser, renderUserJson } from '../../../plugin/scim/resources/users.ts';
import { normalizeResource } from '../../../plugin/scim/schema/resource.ts';
import type { ScimUserRow } from '../../../plugin/scim/ports.ts';
import { ENTERPRISE } from './helpers.ts';

const BASE = 'https://gh.example/scim/v2';
const text = fc.string({ unit: fc.constantFrom('a', 'Z', '"', '\\', 'é', '💡', ' ', ':', '{', '}', ',', '\u2028'), minLength: 1, maxLength: 12 });

function row(doc: Record<string, unknown> | null, extra: Partial<ScimUserRow> = {}): ScimUserRow {
  return {
    id: '0b6f3f7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
    email: 'u@x.example',
    emailOriginal: 'U@x.example',
    userName: 'u@x.example',
    externalId: null,
    givenName: null,
    familyName: null,
    displayName: null,
    status: 'active',
    instanceAdmin: false,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_100_000,
    version: 3,
    doc,
    ...extra,
  };
}

describe('renderUserJson', () => {
  it('equals renderUser for any stored document', () => {
    fc.assert(
      fc.property(
        text,
        fc.option(text, { nil: undefined }),
        fc.option(fc.record({ givenName: text, familyName: text }), { nil: undefined }),
        fc.array(fc.record({ value: text, type: fc.constantFrom('work', 'home') }), { maxLength: 3 }),
        fc.option(fc.record({ employeeNumber: text, department: text }), { nil: undefined }),
        fc.array(fc.record({ id: fc.uuid(), displayName: text }), { maxLength: 4 }),
        fc.constantFrom('active', 'pending_approval', 'deprovisioned'),
        (userName, displayName, name, emails, ext, groups, status) => {
          const body: Record<string, unknown> = { userName, emails, ...(displayName ? { displayName } : {}), ...(name ? { name } : {}), ...(ext ? { [ENTERPRISE]: ext } : {}) };
          const doc = normalizeResource(USER_RESOURCE, body);
          const r = row(null, { docJson: JSON.stringify(doc), groups, status: status as ScimUserRow['status'] });
          expect(JSON.parse(renderUserJson(r, BASE))).toEqual(renderUser(row(doc, { groups, status: status as ScimUserRow['status'] }), BASE));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('renders a user without a document from its columns, and an empty document', () => {
    const columnsOnly = row(null, { docJson: null, givenName: 'Col', displayName: 'Col U' });
    expect(JSON.parse(renderUserJson(columnsOnly, BASE))).toEqual(renderUser(columnsOnly, BASE));
    expect(JSON.parse(renderUserJson(row(null, { docJson: '{}' }), BASE))).toEqual(renderUser(row({}), BASE));
  });

  it('takes the slow path when a stored document holds a key the rendering sets', () => {
    const odd = { userName: 'odd@x.example', active: false, groups: [{ value: 'stale' }], meta: { stale: true } };
    const r = row(null, { docJson: JSON.stringify(odd), groups: [] });
    const out = JSON.parse(renderUserJson(r, BASE)) as Record<string, unknown>;
    expect(out).toEqual(renderUser(row(odd, { groups: [] }), BASE));
    expect(out.active).toBe(true);
  });
});
