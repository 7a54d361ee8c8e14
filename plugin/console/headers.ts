/**
 * Security headers of the console (helmet) with a strict Content Security Policy: everything from
 * our own origin, no inline script or style, no framing, forms post only to us. The sign-in
 * chooser uses plain links to `/auth/{id}/login`, so the IdPs' origins need no `form-action`.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

type Directives = Record<string, string[]>;

export const CONSOLE_CSP: Directives = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
  'form-action': ["'self'"],
};

/** helmet with our CSP; `styleHashes` allow specific inline stylesheets (the waiting room). */
export function securityHeaders(opts: { https: boolean; styleHashes?: string[] | undefined }): RequestHandler {
  const directives: Directives = { ...CONSOLE_CSP };
  if (opts.styleHashes?.length) directives['style-src'] = ["'self'", ...opts.styleHashes.map((h) => `'${h}'`)];
  const mw = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { ...directives, ...(opts.https ? { 'upgrade-insecure-requests': [] } : {}) } },
    // HSTS only where the console is served over https (browsers ignore it on http anyway).
    strictTransportSecurity: opts.https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
  });
  return (req, res, next) => {
    // Admin data must not sit in shared or back/forward caches.
    res.setHeader('Cache-Control', 'no-store');
    mw(req, res, next);
  };
}

/** `sha256-...` of an inline `<style>` body, for `style-src`. */
export function cspHash(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}
