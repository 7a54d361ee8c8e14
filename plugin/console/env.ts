/** What a console page or form handler gets: the request, the admin API in process, the view. */
import type { Request, Response } from 'express';
import type { Method } from '../admin/registry.ts';
import type { GatehouseContext } from '../context.ts';
import type { CallInput } from './api.ts';
import type { View } from './layout.ts';

export interface Env {
  req: Request;
  res: Response;
  ctx: GatehouseContext;
  view: View;
  /** Runs an admin API route as the signed-in admin. */
  call<T>(method: Method, path: string, input?: CallInput): Promise<T>;
  has(method: Method, path: string): boolean;
}

/** A GET page: returns the HTML. */
export type PageFn = (env: Env) => Promise<string>;

/**
 * A form handler: redirect with a flash message (PRG), or render a page directly when the result
 * must be shown once and never stored (a new token or secret).
 */
export type ActionResult = { redirect: string; flash?: string } | { render: string };
export type ActionFn = (env: Env) => Promise<ActionResult>;

/** A form field as one trimmed string (the first, if repeated); undefined when empty. */
export function field(req: Request, name: string): string | undefined {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  const s = Array.isArray(v) ? v[0] : v;
  if (typeof s !== 'string') return undefined;
  const t = s.trim();
  return t === '' ? undefined : t;
}

/** Every value of a repeated form field, untrimmed empties kept (key/value rows pair up by index). */
export function fields(req: Request, name: string): string[] {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : ''));
  return typeof v === 'string' ? [v] : [];
}

/** A query parameter as a string, undefined when empty. */
export function param(req: Request, name: string): string | undefined {
  const v = req.query[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s.trim() !== '' ? s.trim() : undefined;
}

/** A route parameter. */
export const pathParam = (req: Request, name: string): string => String(req.params[name] ?? '');
