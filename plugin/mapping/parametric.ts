/**
 * Fast path for `{{orgId}}` expressions evaluated for every organization on every login.
 *
 * The default policy `contains(groups, '{{orgId}}')` runs once per org: with 10,000 orgs that is
 * 10,000 interpreter calls re-checking the same `groups`. Here the template (compiled with a probe
 * id) is split into the parts that do not depend on the org, evaluated ONCE per login by the
 * library, and a thin per-org layer that only handles the operators JMESPath gives simple
 * semantics to: `||`, `&&`, `!`, `contains()`, `==`, `!=` and string literals holding the id.
 * Anything else makes the template ineligible and the per-org compiled AST is used as before.
 *
 * Exactness: each org's own compiled AST is compared at start with the probe AST (literal strings
 * with the probe replaced by the id); an org whose AST differs (an id with quotes or escapes)
 * always takes the generic path. At run time, any case the layer does not model exactly (a
 * `contains()` argument of the wrong type, a non-primitive comparison, a failing shared part)
 * throws FALLBACK and the caller runs the generic path, which yields the library's own result or
 * error. A property test checks fast == generic on random claims.
 */
import { TreeInterpreter } from '@jmespath-community/jmespath';
import type { JSONObject, JSONValue } from '@jmespath-community/jmespath';

type Node = { type: string; [key: string]: unknown };

/** Thrown by the per-org layer when only the generic path can give the exact answer. */
export const FALLBACK: unique symbol = Symbol('generic path');

/** A login's shared values, then the per-org evaluation. */
export type BoundParametric = (orgId: string) => JSONValue;

export interface ParametricExpression {
  /** Evaluates the org-independent parts for one login; null: use the generic path this login. */
  bind(data: JSONObject): BoundParametric | null;
}

type Shared = { value: JSONValue; members: ReadonlySet<unknown> | null };
type Eval = (orgId: string, shared: readonly Shared[]) => JSONValue;

/** JMESPath falsiness: false, null, '', [], {} (numbers are never false). */
function isFalse(value: JSONValue): boolean {
  if (value === null || value === false || value === undefined) return true;
  if (typeof value === 'string') return value === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function isPrimitive(value: JSONValue): value is string | number | boolean | null {
  return value === null || typeof value !== 'object';
}

function dependsOn(node: unknown, probe: string): boolean {
  return JSON.stringify(node).includes(probe);
}

/**
 * Builds the per-org layer from the probe AST, or returns null when the template uses something
 * the layer does not model (then every org uses its own compiled AST).
 */
export function buildParametric(probeAst: unknown, probe: string): ParametricExpression | null {
  const shared: Node[] = [];

  const share = (node: Node): { slot: number; evaluate: Eval } => {
    const slot = shared.push(node) - 1;
    return { slot, evaluate: (_orgId, values) => (values[slot] as Shared).value };
  };

  const build = (raw: unknown): Eval | null => {
    const node = raw as Node;
    if (!dependsOn(node, probe)) return share(node).evaluate;
    switch (node.type) {
      case 'Literal': {
        if (typeof node.value !== 'string') return null;
        if (node.value === probe) return (orgId) => orgId;
        // Built once per org and kept: the same string object each login, its hash already computed.
        const parts = node.value.split(probe);
        const perOrg = new Map<string, string>();
        return (orgId) => {
          let text = perOrg.get(orgId);
          if (text === undefined) {
            text = parts.join(orgId);
            perOrg.set(orgId, text);
          }
          return text;
        };
      }
      case 'OrExpression':
      case 'AndExpression': {
        const left = build(node.left);
        const right = build(node.right);
        if (left === null || right === null) return null;
        if (node.type === 'OrExpression') {
          return (orgId, values) => {
            const v = left(orgId, values);
            return isFalse(v) ? right(orgId, values) : v;
          };
        }
        return (orgId, values) => {
          const v = left(orgId, values);
          return isFalse(v) ? v : right(orgId, values);
        };
      }
      case 'NotExpression': {
        const child = build(node.child);
        return child === null ? null : (orgId, values) => isFalse(child(orgId, values));
      }
      case 'Comparator': {
        if (node.name !== 'EQ' && node.name !== 'NE') return null;
        const left = build(node.left);
        const right = build(node.right);
        if (left === null || right === null) return null;
        const equal = node.name === 'EQ';
        return (orgId, values) => {
          const a = left(orgId, values);
          const b = right(orgId, values);
          if (!isPrimitive(a) || !isPrimitive(b)) throw FALLBACK;
          return (a === b) === equal;
        };
      }
      case 'Function':
        return buildContains(node);
      default:
        return null;
    }
  };

  /** `contains(haystack, needle)`; a shared array haystack becomes one Set per login (Set.has and includes both use SameValueZero). */
  const buildContains = (node: Node): Eval | null => {
    const args = node.children as unknown[];
    if (node.name !== 'contains' || args.length !== 2) return null;
    const sharedHaystack = dependsOn(args[0], probe) ? null : share(args[0] as Node).slot;
    const haystack = sharedHaystack === null ? build(args[0]) : null;
    const needle = build(args[1]);
    if ((sharedHaystack === null && haystack === null) || needle === null) return null;
    return (orgId, values) => {
      const item = needle(orgId, values);
      let hay: JSONValue;
      if (sharedHaystack !== null) {
        const slot = values[sharedHaystack] as Shared;
        hay = slot.value;
        if (Array.isArray(hay)) {
          slot.members ??= new Set(hay);
          return slot.members.has(item);
        }
      } else {
        hay = (haystack as Eval)(orgId, values);
        if (Array.isArray(hay)) return hay.includes(item);
      }
      if (typeof hay === 'string') return typeof item === 'string' ? hay.includes(item) : null;
      throw FALLBACK;
    };
  };

  const top = build(probeAst);
  if (top === null || shared.length === 0) return null;
  return {
    bind(data) {
      const values: Shared[] = [];
      for (const node of shared) {
        let value: JSONValue;
        try {
          value = TreeInterpreter.search(node as never, data);
        } catch {
          return null;
        }
        values.push({ value, members: null });
      }
      return (orgId) => top(orgId, values);
    },
  };
}
