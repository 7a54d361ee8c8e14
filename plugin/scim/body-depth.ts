/**
 * The nesting limit of SCIM request bodies. Nothing SCIM defines nests deeper than a handful of
 * levels (a Bulk PATCH of a complex attribute is about ten); the walks that read a body (schema
 * normalization, PATCH values, Bulk references) recurse, so a body is measured once, without
 * recursion, before any of them runs.
 */
import { scimError } from './errors.ts';

/** The deepest body accepted: the top-level object or array is level 1. */
export const MAX_BODY_DEPTH = 32;

/** Throws 400 invalidSyntax when `body` nests deeper than MAX_BODY_DEPTH. Iterative: any depth is safe. */
export function checkBodyDepth(body: unknown): void {
  const stack: { value: unknown; depth: number }[] = [{ value: body, depth: 1 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, depth } = item;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_BODY_DEPTH) throw scimError.invalidSyntax(`The request body nests deeper than ${MAX_BODY_DEPTH} levels.`);
    const children = Array.isArray(value) ? value : Object.values(value);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
  }
}
