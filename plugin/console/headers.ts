/**
 * Security headers of the console (helmet) with a strict Content Security Policy: everything from
 * our own origin, no inline script or style, no framing, forms post only to us. The sign-in
 * chooser uses plain links to `/auth/{id}/login`, so the IdPs' origins need no `form-action`.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** What a page may need beyond the console's policy. */
export interface HeaderOptions {
  https: boolean;
  /** Inline stylesheets allowed by hash (pages that cannot fetch the console's assets). */
  styleHashes?: string[] | undefined;
  /** Inline scripts allowed by hash (the demo SAML IdP's auto-post). */
  scriptHashes?: string[] | undefined;
  /** Other origins that forms (and the redirects after them) may go to: an IdP's way back to its SP. */
  formAction?: string[] | undefined;
}

/** Node's own middleware shape, so plain `http` servers (the demo IdPs) use it as Express does. */
export type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

const withHashes = (base: string[], hashes: string[] | undefined): string[] => (hashes?.length ? [...base, ...hashes.map((h) => `'${h}'`)] : base);

/** helmet with our CSP, loosened only by the hashes and origins in `opts`. */
export function securityHeaders(opts: HeaderOptions): NodeMiddleware {
  const directives: Directives = { ...CONSOLE_CSP };
  directives['style-src'] = withHashes(CONSOLE_CSP['style-src']!, opts.styleHashes);
  directives['script-src'] = withHashes(CONSOLE_CSP['script-src']!, opts.scriptHashes);
  if (opts.formAction?.length) directives['form-action'] = [...CONSOLE_CSP['form-action']!, ...new Set(opts.formAction)];
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
