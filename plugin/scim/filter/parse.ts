/**
 * The RFC 7644 §3.4.2.2 filter grammar, parsed to an AST (pure, no I/O):
 *
 *   FILTER    = attrExp / logExp / valuePath / "not" "(" FILTER ")" / "(" FILTER ")"
 *   valuePath = attrPath "[" valFilter "]"
 *   attrExp   = attrPath "pr" / attrPath compareOp compValue
 *   compValue = false / null / true / number / string        (JSON literals)
 *   attrPath  = [URI ":"] ATTRNAME ["." subAttr]
 *
 * Precedence: `not` > `and` > `or`; operators and keywords are case-insensitive. Chains of one
 * operator are flattened (`a or b or c` is one node), so a long chain never nests deeply.
 * Limits make hostile input a 400, never a stack overflow: length, nesting depth, term count.
 * The same tokenizer reads PATCH paths (`emails[type eq "work"].value`).
 */
import { scimError, type ScimError } from '../errors.ts';

export const MAX_FILTER_LENGTH = 8192;
export const MAX_FILTER_DEPTH = 32;
export const MAX_FILTER_TERMS = 200;

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type Literal = string | number | boolean | null;

export interface AttrPath {
  /** Schema URN prefix, when the path was qualified. */
  uri: string | null;
  name: string;
  sub: string | null;
  /** As written, for error messages. */
  text: string;
}

export type FilterAst =
  | { type: 'logical'; op: 'and' | 'or'; terms: FilterAst[] }
  | { type: 'not'; filter: FilterAst }
  | { type: 'present'; path: AttrPath }
  | { type: 'compare'; path: AttrPath; op: CompareOp; value: Literal }
  | { type: 'valuePath'; path: AttrPath; filter: FilterAst };

/** A PATCH target: `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`. */
export interface PatchPath {
  path: AttrPath;
  filter: FilterAst | null;
  /** The sub-attribute after `]`. */
  subAfterFilter: string | null;
}

const COMPARE_OPS = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const NAME = /^[A-Za-z$][\w$-]*$/;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

type Token =
  | { kind: 'punct'; value: '(' | ')' | '[' | ']'; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'word'; value: string; pos: number };

function tokenize(text: string, fail: (message: string) => ScimError): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      tokens.push({ kind: 'punct', value: c, pos: i });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw fail(`unterminated string starting at position ${i}`);
      let value: unknown;
      try {
        value = JSON.parse(text.slice(i, j + 1));
      } catch {
        throw fail(`invalid string literal at position ${i}`);
      }
      tokens.push({ kind: 'string', value: value as string, pos: i });
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !' \t\n\r()[]"'.includes(text[j] as string)) j++;
      tokens.push({ kind: 'word', value: text.slice(i, j), pos: i });
      i = j;
    }
  }
  return tokens;
}

/** `urn:...:User:name.givenName` -> { uri, name, sub }; null when it is not an attribute path. */
export function splitAttrPath(word: string): AttrPath | null {
  let uri: string | null = null;
  let rest = word;
  if (/^urn:/i.test(word)) {
    const cut = word.lastIndexOf(':');
    uri = word.slice(0, cut);
    rest = word.slice(cut + 1);
  }
  const dot = rest.indexOf('.');
  const name = dot === -1 ? rest : rest.slice(0, dot);
  const sub = dot === -1 ? null : rest.slice(dot + 1);
  if (!NAME.test(name) || (sub !== null && !NAME.test(sub))) return null;
  return { uri, name, sub, text: word };
}

class Parser {
  private pos = 0;
  private depth = 0;
  private terms = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly fail: (message: string) => ScimError,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private isWord(word: string): boolean {
    const t = this.peek();
    return t?.kind === 'word' && t.value.toLowerCase() === word;
  }

  private expect(punct: '(' | ')' | '[' | ']'): void {
    const t = this.peek();
    if (t?.kind !== 'punct' || t.value !== punct) throw this.fail(`expected "${punct}" ${this.where(t)}`);
    this.pos++;
  }

  private where(t: Token | undefined): string {
    return t === undefined ? 'at the end of the filter' : `at position ${t.pos}`;
  }

  private enter(): void {
    if (++this.depth > MAX_FILTER_DEPTH) throw this.fail(`filter nested deeper than ${MAX_FILTER_DEPTH} levels`);
  }

  /** Consumes `punct` when it is next. */
  take(punct: '(' | ')' | '[' | ']'): boolean {
    const t = this.peek();
    if (t?.kind !== 'punct' || t.value !== punct) return false;
    this.pos++;
    return true;
  }

  skip(): void {
    this.pos++;
  }

  done(): boolean {
    return this.pos >= this.tokens.length;
  }

  rest(): Token | undefined {
    return this.peek();
  }

  parseOr(inValuePath: boolean): FilterAst {
    const terms = [this.parseAnd(inValuePath)];
    while (this.isWord('or')) {
      this.pos++;
      terms.push(this.parseAnd(inValuePath));
    }
    return terms.length === 1 ? (terms[0] as FilterAst) : { type: 'logical', op: 'or', terms };
  }

  private parseAnd(inValuePath: boolean): FilterAst {
    const terms = [this.parseUnary(inValuePath)];
    while (this.isWord('and')) {
      this.pos++;
      terms.push(this.parseUnary(inValuePath));
    }
    return terms.length === 1 ? (terms[0] as FilterAst) : { type: 'logical', op: 'and', terms };
  }

  private parseUnary(inValuePath: boolean): FilterAst {
    const t = this.peek();
    if (t === undefined) throw this.fail('unexpected end of filter');
    if (t.kind === 'word' && t.value.toLowerCase() === 'not') {
      this.pos++;
      this.enter();
      this.expect('(');
      const inner = this.parseOr(inValuePath);
      this.expect(')');
      this.depth--;
      return { type: 'not', filter: inner };
    }
    if (t.kind === 'punct' && t.value === '(') {
      this.pos++;
      this.enter();
      const inner = this.parseOr(inValuePath);
      this.expect(')');
      this.depth--;
      return inner;
    }
    const path = this.parsePath();
    const next = this.peek();
    if (next?.kind === 'punct' && next.value === '[') {
      if (inValuePath) throw this.fail(`nested "[" at position ${next.pos}`);
      if (path.sub !== null) throw this.fail(`"${path.text}" cannot take a value filter`);
      this.pos++;
      this.enter();
      const inner = this.parseOr(true);
      this.expect(']');
      this.depth--;
      this.count();
      return { type: 'valuePath', path, filter: inner };
    }
    return this.parseAttrExp(path);
  }

  parsePath(): AttrPath {
    const t = this.peek();
    if (t?.kind !== 'word') throw this.fail(`expected an attribute name ${this.where(t)}`);
    const path = splitAttrPath(t.value);
    if (path === null) throw this.fail(`"${t.value.slice(0, 100)}" is not a valid attribute name (position ${t.pos})`);
    this.pos++;
    return path;
  }

  private count(): void {
    if (++this.terms > MAX_FILTER_TERMS) throw this.fail(`filter has more than ${MAX_FILTER_TERMS} comparisons`);
  }

  private parseAttrExp(path: AttrPath): FilterAst {
    const opToken = this.peek();
    if (opToken?.kind !== 'word') throw this.fail(`expected an operator after "${path.text}" ${this.where(opToken)}`);
    const op = opToken.value.toLowerCase();
    this.pos++;
    this.count();
    if (op === 'pr') return { type: 'present', path };
    if (!COMPARE_OPS.has(op)) throw this.fail(`unknown operator "${opToken.value.slice(0, 20)}" at position ${opToken.pos}`);
    return { type: 'compare', path, op: op as CompareOp, value: this.parseValue() };
  }

  private parseValue(): Literal {
    const t = this.peek();
    if (t === undefined) throw this.fail('expected a value at the end of the filter');
    this.pos++;
    if (t.kind === 'string') return t.value;
    if (t.kind === 'word') {
      const lower = t.value.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      if (lower === 'null') return null;
      if (NUMBER.test(t.value)) return Number(t.value);
    }
    throw this.fail(`expected a value (string, number, true, false, null) at position ${t.pos}`);
  }
}

/** Parses a filter; throws ScimError 400 `invalidFilter` with the position of the problem. */
export function parseFilter(text: string): FilterAst {
  const fail = (message: string) => scimError.invalidFilter(`Invalid filter: ${message}.`);
  if (text.length > MAX_FILTER_LENGTH) throw fail(`longer than ${MAX_FILTER_LENGTH} characters`);
  const parser = new Parser(tokenize(text, fail), fail);
  if (parser.done()) throw fail('empty filter');
  const ast = parser.parseOr(false);
  const extra = parser.rest();
  if (extra) throw fail(`unexpected "${extra.value.slice(0, 40)}" at position ${extra.pos}`);
  return ast;
}

/** Parses a PATCH `path`; throws ScimError 400 `invalidPath`. */
export function parsePatchPath(text: string): PatchPath {
  const fail = (message: string) => scimError.invalidPath(`Invalid path "${text.slice(0, 200)}": ${message}.`);
  if (text.length > MAX_FILTER_LENGTH) throw fail('too long');
  const tokens = tokenize(text, fail);
  const parser = new Parser(tokens, fail);
  const path = parser.parsePath();
  let filter: FilterAst | null = null;
  let subAfterFilter: string | null = null;
  if (parser.take('[')) {
    if (path.sub !== null) throw fail('a sub-attribute cannot take a value filter');
    filter = parser.parseOr(true);
    if (!parser.take(']')) throw fail('expected "]"');
    const after = parser.rest();
    if (after !== undefined) {
      if (after.kind !== 'word' || !after.value.startsWith('.') || !NAME.test(after.value.slice(1))) throw fail(`unexpected "${after.value.slice(0, 40)}"`);
      subAfterFilter = after.value.slice(1);
      parser.skip();
    }
  }
  const extra = parser.rest();
  if (extra !== undefined) throw fail(`unexpected "${extra.value.slice(0, 40)}"`);
  return { path, filter, subAfterFilter };
}
