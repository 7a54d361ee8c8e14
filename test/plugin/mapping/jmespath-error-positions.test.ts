/**
 * The JMESPath library reports syntax errors without a position; ours computes it. Pinned over
 * lexer errors, parser errors, truncated input, and the checks the library skips at compile time.
 */
import { describe, expect, it } from 'vitest';
import { compileTemplate, tryCompile } from '../../../plugin/mapping/expression.ts';

const cases: [string, number, string][] = [
  ["contains(groups, 'admin') &&", 28, 'unexpected end of expression'],
  ['foo[', 4, 'unexpected end of expression'],
  ['a.b.', 4, 'unexpected end of expression'],
  ["contains(groups,, 'x')", 16, 'invalid token (Comma): ","'],
  ['a ~ b', 2, 'unknown character: ~'],
  ['`1` ~', 4, 'unknown character: ~'],
  ['`{bad', 0, 'unexpected end of JSON input or invalid format for a JSON literal'],
  ['foo bar', 4, 'unexpected token type: UnquotedIdentifier, value: bar'],
  ['a | | b', 4, 'invalid token (Pipe): "|"'],
  ["'abc", 0, 'unterminated literal'],
  ["contains(groups, 'x') && nofunc(a)", 25, 'unknown function nofunc()'],
  ['a[1:2:3:4]', 7, 'too many colons in slice expression'],
  ['', 0, 'unexpected end of expression'],
];

describe('syntax error positions', () => {
  for (const [source, position, message] of cases) {
    it(`${JSON.stringify(source)} -> position ${position}`, () => {
      expect(tryCompile(source)).toEqual({ problem: { position, message } });
    });
  }

  it('valid expressions compile, including the seeds and backtick JSON literals', () => {
    for (const source of ["contains(groups, 'admin') && 'Admin' || 'Member'", "'home-lab'", '`[1,2]`', 'realm_access.roles', "ends_with(lower(email), '@x')", 'a ? b : c']) {
      expect(tryCompile(source)).toHaveProperty('ast');
    }
  });
});

describe('{{orgId}} templates', () => {
  it('compile once per org when the template mentions {{orgId}}, once in all otherwise', () => {
    const t = compileTemplate("contains(groups, '{{orgId}}')", 'p', ['a', 'b']);
    expect(t.perOrganization).toBe(true);
    expect(t.forOrganization('a')?.source).toBe("contains(groups, 'a')");
    expect(t.forOrganization('c')).toBeUndefined();
    const plain = compileTemplate("contains(groups, 'x')", 'p', ['a', 'b']);
    expect(plain.perOrganization).toBe(false);
    expect(plain.forOrganization('a')).toBe(plain.forOrganization('zzz'));
  });

  it('a template error is reported at its position in the template, whatever the org ids', () => {
    expect(() => compileTemplate("contains(groups, '{{orgId}}') ||| x", 'k', ['a-much-longer-org-id'])).toThrow(
      'k: JMESPath syntax error at position 32: invalid token (Pipe): "|"',
    );
  });
});
