/**
 * The per-login fast path for `{{orgId}}` organization expressions (parametric.ts) must give
 * exactly what the org's own compiled expression gives, error messages included, on any claims.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTemplate, evaluateExpression } from '../../../plugin/mapping/expression.ts';

const ORG_IDS = ['a', 'b-c', 'acme_corp', 'x.y', 'say"hi', 'back\\slash', '42', 'admin'];

const TEMPLATES: [string, boolean][] = [
  ["contains(groups, '{{orgId}}')", true],
  ["contains(groups, '{{orgId}}-users') || contains(groups, '{{orgId}}-admins')", true],
  ["contains(groups, 'admin') && contains(groups, '{{orgId}}')", true],
  ["!contains(blocked, '{{orgId}}') && contains(groups, '{{orgId}}')", true],
  ["department == '{{orgId}}' || contains(email, '@{{orgId}}.example')", true],
  ["contains(groups, '{{orgId}}') && '{{orgId}}' || `false`", true],
  ["contains(tags.orgs, '{{orgId}}') != `false`", true],
  ["x != '{{orgId}}'", true],
  ["x || contains(groups, '{{orgId}}')", true],
  ["department && x != '{{orgId}}' || !x", true],
  ["department && contains(groups, '{{orgId}}')", true],
  // Not modelled: these always take the generic path.
  ["groups[?starts_with(@, '{{orgId}}')] | length(@) > `0`", false],
  ["'{{orgId}}'", false],
];

const memberish = fc.oneof(
  fc.constantFrom(...ORG_IDS),
  fc.constantFrom(...ORG_IDS).map((id) => `${id}-users`),
  fc.constantFrom(...ORG_IDS).map((id) => `${id}-admins`),
  fc.string({ maxLength: 6 }),
);
// JMESPath truthiness edges (0 is true, '' [] {} are false) get their own branch: random values rarely hit them.
const edges = fc.constantFrom<unknown>(0, 1, 42, '', false, true, null, [], {}, [0], { a: null });
const loose = fc.oneof(memberish, edges, fc.integer(), fc.array(memberish, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }));
const listy = fc.oneof({ weight: 4, arbitrary: fc.array(fc.oneof({ weight: 5, arbitrary: memberish }, loose), { maxLength: 8 }) }, { weight: 1, arbitrary: loose });

const claims = fc.record(
  {
    groups: listy,
    blocked: listy,
    department: loose,
    email: fc.oneof(memberish.map((m) => `u@${m}.example`), loose),
    tags: fc.oneof(fc.record({ orgs: listy }), loose),
    x: loose,
  },
  { requiredKeys: [] },
);

describe('fast path == generic path', () => {
  for (const [template, eligible] of TEMPLATES) {
    it(`${template}`, () => {
      const compiled = compileTemplate(template, 'k', ORG_IDS);
      expect(compiled.parametric).toBe(eligible);
      fc.assert(
        fc.property(claims, (data) => {
          const bound = compiled.bind(data as never);
          for (const orgId of ORG_IDS) {
            const expected = evaluateExpression(compiled.forOrganization(orgId)!, data as never);
            expect(bound(orgId)).toEqual(expected);
          }
        }),
        { numRuns: 400 },
      );
    });
  }
});
