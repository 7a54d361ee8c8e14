/**
 * The Gatehouse icon (an SVG, read once at start), answered at `/favicon.ico` by the gateway and
 * by the demo IdPs: browsers ask every origin for it, and a 404 on every page is noise.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

export const FAVICON_PATH = '/favicon.ico';

const BODY = readFileSync(join(import.meta.dirname, 'assets', 'favicon.svg'));
const ETAG = `"${createHash('sha256').update(BODY).digest('base64url').slice(0, 16)}"`;
/** A day: the URL is fixed, so a changed icon must be able to arrive without a cache purge. */
const MAX_AGE_S = 86_400;

/** Answers GET/HEAD for the icon (304 on a matching ETag); other methods get 405. */
export function sendFavicon(req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed');
    return;
  }
  const headers = {
    'content-type': 'image/svg+xml',
    'x-content-type-options': 'nosniff',
    'cache-control': `public, max-age=${MAX_AGE_S}`,
    etag: ETAG,
  };
  if (req.headers['if-none-match'] === ETAG) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': String(BODY.length) });
  res.end(req.method === 'HEAD' ? undefined : BODY);
}
