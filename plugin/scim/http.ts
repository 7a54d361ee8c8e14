/**
 * The HTTP layer of the SCIM server on plain node:http (no framework): response writing, ETags,
 * request bodies and query strings. Responses are written by hand so the content type stays
 * `application/scim+json` and no framework's automatic ETag/304 handling interferes with the weak
 * ETags we derive from `meta.version`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import { checkBodyDepth } from './body-depth.ts';
import { scimError } from './errors.ts';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

function head(res: ServerResponse, status: number, headers: Record<string, string>): void {
  res.statusCode = status;
  // An API answer is never cached by a browser or a proxy and never sniffed into another type.
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  for (const k in headers) res.setHeader(k, headers[k] as string);
}

export function sendScim(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined || status === 204 || status === 304) {
    head(res, status, headers);
    res.end();
    return;
  }
  sendScimJson(res, status, JSON.stringify(body), headers);
}

/** sendScim for a body already serialized. */
export function sendScimJson(res: ServerResponse, status: number, payload: string, headers: Record<string, string> = {}): void {
  head(res, status, headers);
  res.setHeader('Content-Type', SCIM_CONTENT_TYPE);
  if (payload.length <= 16_384) {
    // A small body goes as a string: node:http sends headers and body in one write.
    res.setHeader('Content-Length', Buffer.byteLength(payload, 'utf8'));
    res.end(payload, 'utf8');
    return;
  }
  // A large one (a page of users) is encoded once, not measured and then encoded again.
  const bytes = Buffer.from(payload, 'utf8');
  res.setHeader('Content-Length', bytes.length);
  res.end(bytes);
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

/** The query string as plain values: a repeated parameter becomes an array (as `querystring` gives). */
export function parseQuery(url: string): Record<string, unknown> {
  const q = url.indexOf('?');
  return q === -1 ? {} : { ...parseQueryString(url.slice(q + 1)) };
}

const JSON_TYPES = /^application\/(?:scim\+json|json|[\w.-]+\+json)\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

/**
 * Reads and parses a JSON request body: `application/scim+json`, `application/json` or any
 * `+json` type (or no type at all), UTF-8, no content coding, at most `limit` bytes (counted as it
 * arrives, so a lying Content-Length cannot make us buffer more). Only objects and arrays are
 * accepted at the top level, nested at most MAX_BODY_DEPTH levels; an empty body is `{}`.
 * Failures are ScimErrors (400, 413, 415).
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  // Mounted behind a body parser of the host app: the stream is spent, the parsed body is there.
  const parsed = req as IncomingMessage & { _body?: boolean; body?: unknown };
  if (parsed._body === true || req.readableEnded) {
    try {
      checkBodyDepth(parsed.body);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve(parsed.body ?? {});
  }
  const type = req.headers['content-type'];
  if (type !== undefined && !JSON_TYPES.test(type)) return Promise.reject(scimError.unsupportedMediaType());
  const charset = type === undefined ? undefined : CHARSET.exec(type)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return Promise.reject(scimError.unsupportedMediaType('Unsupported charset: send the body as UTF-8.'));
  }
  const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (coding !== 'identity') return Promise.reject(scimError.unsupportedMediaType(`Unsupported content encoding "${coding.slice(0, 50)}".`));
  const tooLarge = () => scimError.payloadTooLarge(`The request body exceeds the maximum payload size (${limit} bytes).`);
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (e) => {
      if (failed) return;
      failed = true;
      reject(scimError.invalidSyntax(`The request body could not be read (${e.message}).`));
    });
    req.on('end', () => {
      if (failed) return;
      const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString('utf8');
      const first = /\S/.exec(text)?.[0];
      if (first === undefined) return resolve({});
      if (first !== '{' && first !== '[') return reject(scimError.invalidSyntax('The request body must be a JSON object.'));
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return reject(scimError.invalidSyntax('The request body is not valid JSON.'));
      }
      try {
        checkBodyDepth(body);
        resolve(body);
      } catch (e) {
        reject(e);
      }
    });
  });
}
