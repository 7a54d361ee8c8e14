/**
 * The state a login carries across the IdP round trip (OIDC state/nonce/PKCE verifier, SAML
 * RelayState and returnTo) lives in its own short-lived cookie, encrypted and authenticated with
 * AES-256-GCM under a key derived from the session secret, rather than in a server-side session:
 * - anonymous visitors create no session rows (nothing to flood);
 * - a SAML IdP on another site POSTs to our ACS cross-site, where a SameSite=Lax cookie is not
 *   sent; on https this cookie is SameSite=None; Secure, so the flow survives that POST.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { FlowState } from '../ports.ts';

export const FLOW_COOKIE = 'gatehouse.flow';
const MAX_AGE_MS = 15 * 60 * 1000;

export interface FlowCookieOptions {
  secrets: readonly string[];
  secure: boolean;
  name?: string;
  /** Cookie path (default `/auth/`, where the gateway's login and callback routes live). */
  path?: string;
  /** The clock (the context's, so tests can move it). */
  now?: () => number;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'gatehouse', 'gatehouse flow cookie v1', 32));
}

export class FlowCookie {
  private readonly keys: Buffer[];
  private readonly now: () => number;
  readonly name: string;

  constructor(private readonly opts: FlowCookieOptions) {
    this.keys = opts.secrets.map(keyOf);
    this.name = opts.name ?? FLOW_COOKIE;
    this.now = opts.now ?? Date.now;
  }

  seal(flow: FlowState): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0]!, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify({ f: flow, t: this.now() }), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The flow, or an empty one when the cookie is missing, tampered with, or too old. */
  unseal(value: string | undefined): FlowState {
    if (!value || value.length > 8192) return {};
    const raw = Buffer.from(value, 'base64url');
    if (raw.length < 29) return {};
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
        const parsed = JSON.parse(text) as { f?: unknown; t?: unknown };
        if (typeof parsed.t !== 'number' || this.now() - parsed.t > MAX_AGE_MS) return {};
        return parsed.f && typeof parsed.f === 'object' ? (parsed.f as FlowState) : {};
      } catch {
        // try the next key (rotation)
      }
    }
    return {};
  }

  read(req: Request): FlowState {
    return this.unseal(readCookie(req, this.name));
  }

  write(res: Response, flow: FlowState): void {
    if (Object.keys(flow).length === 0) {
      this.clear(res);
      return;
    }
    res.cookie(this.name, this.seal(flow), {
      httpOnly: true,
      secure: this.opts.secure,
      sameSite: this.opts.secure ? 'none' : 'lax',
      maxAge: MAX_AGE_MS,
      path: this.opts.path ?? '/auth/',
    });
  }

  clear(res: Response): void {
    res.clearCookie(this.name, { path: this.opts.path ?? '/auth/', httpOnly: true, secure: this.opts.secure, sameSite: this.opts.secure ? 'none' : 'lax' });
  }
}

/** Reads one cookie from the Cookie header (no cookie-parser dependency). */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
