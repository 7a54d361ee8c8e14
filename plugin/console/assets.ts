/**
 * The console's stylesheet and script, read once at start and served from memory under a
 * content-hashed URL (`/admin/assets/console.css?v=<hash>`), so browsers may cache them for a
 * year and a new release is fetched at once.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestHandler } from 'express';

export const ASSETS_PATH = '/admin/assets';

interface Asset {
  body: Buffer;
  type: string;
  hash: string;
  etag: string;
}

function load(file: string, type: string): Asset {
  const body = readFileSync(join(import.meta.dirname, 'assets', file));
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  return { body, type, hash, etag: `"${hash}"` };
}

const ASSETS: Record<string, Asset> = {
  'console.css': load('console.css', 'text/css; charset=utf-8'),
  'console.js': load('console.js', 'text/javascript; charset=utf-8'),
};

/** The stylesheet's text (the waiting room inlines it: a pending session cannot fetch assets). */
export const CONSOLE_CSS = ASSETS['console.css']!.body.toString('utf8');

/** `/admin/assets/console.css?v=...` */
export function assetUrl(name: 'console.css' | 'console.js'): string {
  return `${ASSETS_PATH}/${name}?v=${ASSETS[name]!.hash}`;
}

/** Serves the assets; anything else under the path is a 404. */
export function serveAssets(): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const asset = Object.hasOwn(ASSETS, req.path.slice(1)) ? ASSETS[req.path.slice(1)] : undefined;
    if (!asset) {
      res.status(404).type('text/plain').send('no such asset');
      return;
    }
    res.setHeader('Content-Type', asset.type);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('ETag', asset.etag);
    // Versioned URLs never change content; an unversioned one is revalidated.
    res.setHeader('Cache-Control', req.query.v === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (req.headers['if-none-match'] === asset.etag) {
      res.status(304).end();
      return;
    }
    res.status(200).send(asset.body);
  };
}
