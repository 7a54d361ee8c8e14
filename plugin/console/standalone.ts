/**
 * Pages outside the console's router that still carry its look and its headers: the gateway's
 * landing page, the waiting room and the demo IdPs' pages. They inline the console's stylesheet
 * (allowed by its hash): a pending session, another origin (an IdP) or a gateway without the
 * console cannot rely on `/admin/assets`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONSOLE_CSS } from './assets.ts';
import { cspHash, securityHeaders, type HeaderOptions, type NodeMiddleware } from './headers.ts';
import type { Part } from './html.ts';
import { barePage } from './layout.ts';

const CONSOLE_CSS_HASH = cspHash(CONSOLE_CSS);

/** The console's headers for a page with the inline stylesheet (and `opts`' scripts and form targets). */
export function inlinePageHeaders(opts: Omit<HeaderOptions, 'styleHashes'>): NodeMiddleware {
  return securityHeaders({ ...opts, styleHashes: [CONSOLE_CSS_HASH] });
}

/** A bare console page with the stylesheet inline; `brand` names the server in the top bar. */
export function inlinePage(title: string, body: Part, opts: { brand?: string; head?: Part } = {}): string {
  return barePage(title, body, { inlineCss: CONSOLE_CSS, head: opts.head, brand: opts.brand });
}

/** Sends a page through `headers` from any Node server (Express or plain `http`). */
export function sendInlinePage(headers: NodeMiddleware, req: IncomingMessage, res: ServerResponse, status: number, page: string): void {
  headers(req, res, (err) => {
    if (err) {
      res.statusCode = 500;
      res.end();
      return;
    }
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(page);
  });
}
