/**
 * JMESPath, compiled once at start. The library's `compile` reports a syntax error without a
 * position, so we locate it ourselves from its tokenizer; a config error then names the key path
 * and the offset, e.g. `provisioning.rules.default.organization: JMESPath syntax error at position 14: ...`.
 */
import { compile, isRegistered, tokenize, TreeInterpreter } from '@jmespath-community/jmespath';
import type { JSONObject, JSONValue } from '@jmespath-community/jmespath';
import { ConfigError } from '../errors.ts';
import { buildParametric, type BoundParametric } from './parametric.ts';

type Ast = ReturnType<typeof compile>;
type LexToken = ReturnType<typeof tokenize>[number];

/** The template variable of rule expressions, replaced by each organization id. */
export const ORG_PLACEHOLDER = '{{orgId}}';
/** Same length as the placeholder, so syntax error positions in a template stay exact. */
const PROBE_ORG_ID = 'GhOrgId9Q';

/** An expression compiled once; evaluation never re-parses. */
export interface CompiledExpression {
  /** Config key path of the expression, for errors and the trace. */
  readonly path: string;
  /** The text that was compiled (after `{{orgId}}` substitution). */
  readonly source: string;
  readonly ast: Ast;
}

/** The result of an expression, or its error message prefixed with the key path. */
export type Evaluation = { value: JSONValue } | { error: string };

const TRUE: Evaluation = Object.freeze({ value: true });
const FALSE: Evaluation = Object.freeze({ value: false });

/** An expression that may contain `{{orgId}}`: compiled once, or once per organization. */
export interface ExpressionTemplate {
  readonly path: string;
  readonly template: string;
  /** False when the text has no `{{orgId}}`: the same result holds for every organization. */
  readonly perOrganization: boolean;
  /** True when the per-login fast path (parametric.ts) applies to this template. */
  readonly parametric: boolean;
  /** The compiled expression for an organization (undefined: not compiled for that org). */
  forOrganization(orgId: string): CompiledExpression | undefined;
  /**
   * Prepares one login: work that does not depend on the org is done once, here. The returned
   * function evaluates for one org and never throws.
   */
  bind(data: JSONObject): (orgId: string) => Evaluation;
}

/** Syntax problem with its 0-based character offset in the expression text. */
export interface SyntaxProblem {
  position: number;
  message: string;
}

/** Evaluates without throwing: an interpreter error becomes `{ error: '<path>: <message>' }`. */
export function evaluateExpression(expr: CompiledExpression, data: JSONValue): Evaluation {
  try {
    return { value: TreeInterpreter.search(expr.ast, data) };
  } catch (error) {
    return { error: `${expr.path}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Compiles one expression or throws a ConfigError with the key path and the error position. */
export function compileExpression(source: string, path: string, context = ''): CompiledExpression {
  const result = tryCompile(source);
  if ('problem' in result) {
    const { position, message } = result.problem;
    throw new ConfigError(path, `JMESPath syntax error at position ${position}${context}: ${message}`);
  }
  return { path, source, ast: result.ast };
}

/**
 * Compiles a template for each of `orgIds` when it mentions `{{orgId}}` (ids are substituted as
 * plain text, as Pangolin does), else once. The template itself is checked first with a probe id
 * of the placeholder's length, so a mistake in the text is reported at its own position.
 */
export function compileTemplate(template: string, path: string, orgIds: Iterable<string>): ExpressionTemplate {
  if (!template.includes(ORG_PLACEHOLDER)) {
    const compiled = compileExpression(template, path);
    return {
      path,
      template,
      perOrganization: false,
      parametric: false,
      forOrganization: () => compiled,
      bind(data) {
        let result: Evaluation | undefined;
        return () => (result ??= evaluateExpression(compiled, data));
      },
    };
  }
  const probeAst = compileExpression(template.replaceAll(ORG_PLACEHOLDER, PROBE_ORG_ID), path).ast;
  // A probe that the template already contains could not be told apart from the placeholder.
  const parametric = template.includes(PROBE_ORG_ID) ? null : buildParametric(probeAst, PROBE_ORG_ID);
  const byOrg = new Map<string, CompiledExpression>();
  // Orgs whose AST does not match the probe's (ids with quotes or escapes): always the generic path.
  const genericOrgs = new Set<string>();
  for (const orgId of orgIds) {
    const source = template.replaceAll(ORG_PLACEHOLDER, orgId);
    const compiled = compileExpression(source, path, ` (with {{orgId}} = "${orgId}": ${source})`);
    byOrg.set(orgId, compiled);
    if (parametric !== null && !sameShape(probeAst, compiled.ast, orgId)) genericOrgs.add(orgId);
  }
  return {
    path,
    template,
    perOrganization: true,
    parametric: parametric !== null,
    forOrganization: (orgId) => byOrg.get(orgId),
    bind(data) {
      const fast: BoundParametric | null = parametric?.bind(data) ?? null;
      return (orgId) => {
        if (fast !== null && byOrg.has(orgId) && (genericOrgs.size === 0 || !genericOrgs.has(orgId))) {
          try {
            const value = fast(orgId);
            return value === true ? TRUE : value === false ? FALSE : { value };
          } catch {
            // FALLBACK (a case the fast path does not model): the org's own AST gives the exact result or error.
          }
        }
        const compiled = byOrg.get(orgId);
        if (compiled === undefined) return { error: `${path}: not compiled for organization "${orgId}"` };
        return evaluateExpression(compiled, data);
      };
    },
  };
}

/**
 * True when an org's compiled AST is the probe AST with the probe replaced by the org id inside
 * strings: then the fast path, built from the probe AST, computes exactly what the org's AST would.
 */
function sameShape(probe: unknown, actual: unknown, orgId: string): boolean {
  if (typeof probe === 'string') return typeof actual === 'string' && probe.replaceAll(PROBE_ORG_ID, orgId) === actual;
  if (probe === null || typeof probe !== 'object') return probe === actual;
  if (actual === null || typeof actual !== 'object' || Array.isArray(probe) !== Array.isArray(actual)) return false;
  const a = probe as Record<string, unknown>;
  const b = actual as Record<string, unknown>;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && sameShape(a[key], b[key], orgId));
}

/** Parses `source`; returns the AST or the first problem with its position. Never throws. */
export function tryCompile(source: string): { ast: Ast } | { problem: SyntaxProblem } {
  let tokens: LexToken[] | null = null;
  try {
    tokens = tokenize(source);
  } catch {
    // reported below, with its position, by compile + locateSyntaxError
  }
  // Checked first: an unclosed quote swallows the rest and would surface as a vaguer parse error.
  const unterminated = tokens === null ? null : findUnterminatedLiteral(source, tokens);
  if (unterminated !== null) return { problem: { position: unterminated, message: 'unterminated literal' } };
  let ast: Ast;
  try {
    ast = compile(source);
  } catch (error) {
    const position = locateSyntaxError(source);
    const message = position === source.length && failsOnlyAtEnd(error) ? 'unexpected end of expression' : cleanMessage(error);
    return { problem: { position, message } };
  }
  for (const name of functionNames(ast)) {
    if (!isRegistered(name)) {
      return { problem: { position: functionPosition(tokens ?? [], name), message: `unknown function ${name}()` } };
    }
  }
  return { ast };
}

function cleanMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^syntax(?: error)?[:,]?\s*/i, '').replace(/: undefined$/, '') || 'invalid expression';
}

/**
 * Offset of the first syntax error of an expression that failed to compile.
 * Lexer errors: the end of the longest prefix that still tokenizes. Parser errors: the start of
 * the first token after which the token prefix can no longer be completed (a prefix that only
 * fails for lack of input, at EOF, is still viable). An expression that is merely cut short
 * reports its length.
 */
export function locateSyntaxError(source: string): number {
  let tokens: LexToken[];
  try {
    tokens = tokenize(source);
  } catch {
    for (let end = source.length - 1; end > 0; end--) {
      if (tokenizes(source.slice(0, end))) return end;
    }
    return 0;
  }
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as LexToken;
    const end = tokens[i + 1]?.start ?? source.length;
    try {
      compile(source.slice(0, end));
    } catch (error) {
      if (!failsOnlyAtEnd(error)) return token.start;
    }
  }
  return source.length;
}

function tokenizes(text: string): boolean {
  try {
    tokenize(text);
    return true;
  } catch {
    return false;
  }
}

/** The parser names the token it choked on; at the end of input that token is EOF. */
function failsOnlyAtEnd(error: unknown): boolean {
  const text = error instanceof Error ? error.message : '';
  return /\(EOF\)|got: EOF\b|type: EOF\b/.test(text);
}

/**
 * The lexer accepts `'abc` and `` `1 `` without their closing quote; a config that does so is
 * almost certainly a typo, so we refuse it.
 */
function findUnterminatedLiteral(source: string, tokens: LexToken[]): number | null {
  for (const token of tokens) {
    if ((token.type as string) !== 'Literal') continue;
    const quote = source[token.start];
    if (quote !== "'" && quote !== '`') continue;
    let i = token.start + 1;
    while (i < source.length && source[i] !== quote) {
      i += source[i] === '\\' && (source[i + 1] === '\\' || source[i + 1] === quote) ? 2 : 1;
    }
    if (i >= source.length) return token.start;
  }
  return null;
}

/** Every function name called in an AST (the library only checks them when evaluating). */
function functionNames(ast: Ast): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'Function' && typeof record.name === 'string') names.add(record.name);
    if (record.type === 'Literal') return;
    for (const value of Object.values(record)) visit(value);
  };
  visit(ast);
  return names;
}

function functionPosition(tokens: LexToken[], name: string): number {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as LexToken;
    const next = tokens[i + 1];
    if ((token.type as string) === 'UnquotedIdentifier' && token.value === name && (next?.type as string | undefined) === 'Lparen') {
      return token.start;
    }
  }
  return 0;
}

/** JMESPath's notion of a JSON type, for "wrong type" messages. */
export function jsonType(value: JSONValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
