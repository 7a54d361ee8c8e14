/**
 * The RFC 7644 §3.4.2.2 filter grammar, pure: every operator, precedence, grouping, value paths,
 * URN-qualified names, and hostile input (deep nesting, huge filters, garbage) that must give a
 * 400 `invalidFilter`, never a crash.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScimError } from '../../../plugin/scim/errors.ts';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseFilter, parsePatchPath, type FilterAst } from '../../../plugin/scim/filter/parse.ts';
import { resolveFilter } from '../../../plugin/scim/filter/resolve.ts';
import { USER_RESOURCE } from '../../../plugin/scim/resources/users.ts';
import { GROUP_RESOURCE } from '../../../plugin/scim/resources/groups.ts';

function invalid(text: string): ScimError {
  try {
    parseFilter(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ScimError);
    return e as ScimError;
  }
  throw new Error(`"${text}" parsed`);
}

describe('SCIM filter parser', () => {
  it.each(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'])('parses the %s operator (any case)', (op) => {
    expect(parseFilter(`userName ${op} "bjensen"`)).toEqual({ type: 'compare', path: { uri: null, name: 'userName', sub: null, text: 'userName' }, op, value: 'bjensen' });
    expect(parseFilter(`userName ${op.toUpperCase()} "x"`)).toMatchObject({ op });
  });

  it('parses pr, literals and numbers', () => {
    expect(parseFilter('title pr')).toMatchObject({ type: 'present', path: { name: 'title' } });
    expect(parseFilter('active eq true')).toMatchObject({ value: true });
    expect(parseFilter('active eq FALSE')).toMatchObject({ value: false });
    expect(parseFilter('title eq null')).toMatchObject({ value: null });
    expect(parseFilter('x gt -1.5e3')).toMatchObject({ value: -1500 });
  });

  it('gives not > and > or precedence and flattens chains', () => {
    const ast = parseFilter('a eq "1" or b eq "2" and c eq "3" or not (d eq "4")') as Extract<FilterAst, { type: 'logical' }>;
    expect(ast.op).toBe('or');
    expect(ast.terms).toHaveLength(3);
    expect(ast.terms[1]).toMatchObject({ type: 'logical', op: 'and', terms: [{ path: { name: 'b' } }, { path: { name: 'c' } }] });
    expect(ast.terms[2]).toMatchObject({ type: 'not', filter: { path: { name: 'd' } } });
    const chain = parseFilter(Array.from({ length: 150 }, (_, i) => `userName eq "u${i}"`).join(' or ')) as Extract<FilterAst, { type: 'logical' }>;
    expect(chain.terms).toHaveLength(150);
  });

  it('parses parentheses, value paths and URN-qualified attributes', () => {
    expect(parseFilter('(userName eq "a" or userName eq "b") and active eq true')).toMatchObject({ op: 'and', terms: [{ op: 'or' }, { value: true }] });
    expect(parseFilter('emails[type eq "work" and value co "@example.com"]')).toMatchObject({
      type: 'valuePath',
      path: { name: 'emails' },
      filter: { type: 'logical', op: 'and' },
    });
    expect(parseFilter('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"')).toMatchObject({
      path: { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', name: 'employeeNumber', sub: null },
    });
    expect(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:name.familyName co "O\'Malley"')).toMatchObject({
      path: { name: 'name', sub: 'familyName' },
      value: "O'Malley",
    });
    expect(parseFilter('meta.lastModified gt "2011-05-13T04:42:34Z"')).toMatchObject({ path: { name: 'meta', sub: 'lastModified' } });
  });

  it('reads a JSON string literal exactly: escaped quotes stay inside the value (injection attempt)', () => {
    expect(parseFilter('userName eq "a\\" or \\"1\\"=\\"1"')).toMatchObject({ type: 'compare', value: 'a" or "1"="1' });
    expect(parseFilter('userName eq "100%_\\\\x"')).toMatchObject({ value: '100%_\\x' });
    expect(parseFilter('userName eq "\\u00e9"')).toMatchObject({ value: 'é' });
  });

  it.each([
    ['', 'empty filter'],
    ['userName', 'expected an operator'],
    ['userName eq', 'expected a value'],
    ['userName xx "a"', 'unknown operator'],
    ['userName eq "a', 'unterminated string'],
    ['userName eq bjensen', 'expected a value'],
    ['userName eq "a" and', 'unexpected end'],
    ['(userName eq "a"', 'expected ")"'],
    ['userName eq "a")', 'unexpected ")"'],
    ['not userName eq "a"', 'expected "("'],
    ['emails[type eq "work"', 'expected "]"'],
    ['emails[type[value eq "x"] eq "y"]', 'nested "["'],
    ['1abc eq "x"', 'not a valid attribute name'],
    ['userName eq "\\q"', 'invalid string literal'],
  ])('refuses %j with 400 invalidFilter (%s)', (text, message) => {
    const e = invalid(text);
    expect(e.status).toBe(400);
    expect(e.scimType).toBe('invalidFilter');
    expect(e.message).toContain(message);
  });

  it('answers 1,000 nested parentheses with invalidFilter, not a stack overflow', () => {
    const e = invalid(`${'('.repeat(1000)}userName eq "x"${')'.repeat(1000)}`);
    expect(e.message).toContain(`deeper than ${MAX_FILTER_DEPTH}`);
    expect(invalid(`${'not ('.repeat(1000)}userName eq "x"${')'.repeat(1000)}`).scimType).toBe('invalidFilter');
    expect(invalid(`${'('.repeat(100_000)}`).scimType).toBe('invalidFilter');
  });

  it('answers a 10 kB filter with invalidFilter', () => {
    const big = `userName eq "${'a'.repeat(10 * 1024)}"`;
    expect(big.length).toBeGreaterThan(MAX_FILTER_LENGTH);
    expect(invalid(big).message).toContain(`longer than ${MAX_FILTER_LENGTH}`);
    expect(invalid(Array.from({ length: 300 }, () => 'a eq "1"').join(' or ')).message).toContain('more than 200 comparisons');
  });

  it('never throws anything but a 400 ScimError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        try {
          parseFilter(text);
        } catch (e) {
          return e instanceof ScimError && e.status === 400 && e.scimType === 'invalidFilter';
        }
        return true;
      }),
      { numRuns: 2000 },
    );
    const alphabet = fc.constantFrom('(', ')', '[', ']', '"', '\\', ' ', 'not', 'and', 'or', 'eq', 'pr', 'userName', 'emails', '.', 'x', ':', 'urn:a:b');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), (parts) => {
        try {
          parseFilter(parts.join(' '));
        } catch (e) {
          return e instanceof ScimError && e.status === 400;
        }
        return true;
      }),
      { numRuns: 3000 },
    );
  });
});

describe('SCIM filter resolution against the registry', () => {
  const users = (text: string) => resolveFilter(USER_RESOURCE, parseFilter(text));
  const refuse = (text: string) => {
    try {
      users(text);
    } catch (e) {
      return e as ScimError;
    }
    throw new Error(`"${text}" resolved`);
  };

  it('maps attributes case-insensitively to storage columns, with typed values', () => {
    expect(users('USERNAME eq "Bjensen"')).toEqual({ kind: 'compare', column: 'userName', op: 'eq', value: 'Bjensen', type: 'string', caseExact: false });
    expect(users('externalId eq "X"')).toMatchObject({ column: 'externalId', caseExact: true });
    expect(users('name.givenName sw "B"')).toMatchObject({ column: 'givenName', op: 'sw' });
    expect(users('meta.created ge "2020-01-01T00:00:00Z"')).toMatchObject({ column: 'created', type: 'dateTime', value: Date.parse('2020-01-01T00:00:00Z') });
    expect(users('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1"')).toMatchObject({ column: 'managerId' });
    expect(users('active eq "True"')).toMatchObject({ column: 'active', value: true, type: 'boolean' });
  });

  it('turns ne into not(eq), and eq null into not(pr)', () => {
    expect(users('title ne "x"')).toEqual({ kind: 'not', term: expect.objectContaining({ op: 'eq', column: 'title' }) });
    expect(users('title eq null')).toEqual({ kind: 'not', term: { kind: 'present', column: 'title', type: 'string' } });
  });

  it('turns multi-valued attributes into "some row of the relation"', () => {
    expect(users('emails.value eq "a@x"')).toEqual({ kind: 'some', relation: 'emails', where: expect.objectContaining({ column: 'value', op: 'eq' }) });
    expect(users('emails co "@x"')).toMatchObject({ kind: 'some', relation: 'emails', where: { column: 'value', op: 'co' } });
    expect(users('emails[type eq "work" and value co "@x"]')).toMatchObject({ kind: 'some', relation: 'emails', where: { kind: 'and' } });
    expect(users('emails pr')).toEqual({ kind: 'some', relation: 'emails', where: null });
    expect(users('groups.display eq "Admins"')).toMatchObject({ kind: 'some', relation: 'groups' });
    expect(resolveFilter(GROUP_RESOURCE, parseFilter('id eq "g" and members[value eq "u"]'))).toMatchObject({ kind: 'and', terms: [{ column: 'id' }, { kind: 'some', relation: 'members' }] });
  });

  it.each([
    ['nope eq "x"', 'unknown attribute'],
    ['name eq "x"', 'is complex'],
    ['password eq "x"', 'not filterable'],
    ['locale eq "en"', 'not filterable'],
    ['active gt true', 'only eq, ne and pr'],
    ['active co "t"', 'needs a string attribute'],
    ['userName eq true', 'does not compare'],
    ['meta.created gt "yesterday"', 'does not compare'],
    ['userName gt null', 'null only compares'],
    ['emails[nope eq "x"]', 'not a sub-attribute'],
    ['name[givenName eq "x"]', 'not a filterable multi-valued'],
    ['urn:example:unknown:User:userName eq "x"', 'unknown attribute'],
  ])('refuses %j with invalidFilter (%s)', (text, message) => {
    const e = refuse(text);
    expect(e.scimType).toBe('invalidFilter');
    expect(e.message).toContain(message);
  });
});

describe('SCIM PATCH paths', () => {
  it('parses attr, attr.sub, attr[filter] and attr[filter].sub', () => {
    expect(parsePatchPath('name.givenName')).toMatchObject({ path: { name: 'name', sub: 'givenName' }, filter: null, subAfterFilter: null });
    expect(parsePatchPath('emails[type eq "work"].value')).toMatchObject({ path: { name: 'emails' }, filter: { op: 'eq' }, subAfterFilter: 'value' });
    expect(parsePatchPath('members[value eq "2819c223"]')).toMatchObject({ path: { name: 'members' }, filter: { value: '2819c223' }, subAfterFilter: null });
    expect(parsePatchPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager')).toMatchObject({ path: { name: 'manager' } });
  });

  it.each(['', 'emails[type eq "work"', 'emails[type eq "work"]value', 'emails[type eq "work"].1x', 'name.givenName[x eq "y"]', 'a b'])('refuses %j with invalidPath', (text) => {
    expect(() => parsePatchPath(text)).toThrow(expect.objectContaining({ scimType: 'invalidPath' }));
  });
});
