/**
 * Response writing and ETags. Responses are written by hand (not `res.json`) so the content type
 * stays `application/scim+json` and Express's automatic ETag/304 handling never interferes with
 * the weak ETags we derive from `meta.version`.
 */
import type { Response } from 'express';
import { scimError } from './errors.ts';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

export function sendScim(res: Response, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  res.status(status);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body === undefined || status === 204 || status === 304) {
    res.end();
    return;
  }
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  res.setHeader('Content-Type', SCIM_CONTENT_TYPE);
  res.setHeader('Content-Length', String(payload.length));
  res.end(payload);
}

/** `meta.version` and the ETag header: a weak validator over the row version. */
export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/** Parsed If-Match / If-None-Match: `*`, a set of opaque tags (weak prefix dropped), or absent. */
export type Precondition = '*' | Set<string> | null;

export function parsePrecondition(header: string | undefined): Precondition {
  if (header === undefined || header.trim() === '') return null;
  if (header.trim() === '*') return '*';
  const tags = new Set<string>();
  for (const m of header.matchAll(/(?:W\/)?"([^"]*)"/g)) tags.add(m[1] as string);
  return tags;
}

/** Weak comparison (RFC 9110 §8.8.3.2): the version matches one of the tags. */
export function preconditionMatches(pre: Exclude<Precondition, null>, version: number): boolean {
  return pre === '*' || pre.has(String(version));
}

/** If-Match: 412 when the stored version is not one of the tags. */
export function checkIfMatch(pre: Precondition, version: number): void {
  if (pre !== null && !preconditionMatches(pre, version)) throw scimError.preconditionFailed();
}
