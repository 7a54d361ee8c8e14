/**
 * Every admin route is declared once, here-shaped: method, path, schemas, responses, handler.
 * The Express router and the OpenAPI document are both built from the same list, so they
 * cannot drift apart.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { AdminActor } from './auth.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Reply {
  status?: number;
  body?: unknown;
}

export interface RouteInput<B, Q> {
  req: Request;
  res: Response;
  body: B;
  query: Q;
  params: Record<string, string>;
  actor: AdminActor;
}

export interface RouteDef<B = unknown, Q = unknown> {
  method: Method;
  /** OpenAPI-style path under `/admin/api`, e.g. `/users/{id}/overrides`. */
  path: string;
  summary: string;
  tag: string;
  description?: string;
  body?: z.ZodType<B>;
  /** Reshapes the raw body before `body` checks it (e.g. drops the read-only fields of a GET answer). */
  prepareBody?: (raw: unknown, params: Record<string, string>) => unknown;
  query?: z.ZodType<Q>;
  /** Status -> description (and optional component schema name). */
  responses: Record<number, string | { description: string; schema: string }>;
  /** No authentication (the OpenAPI document). */
  public?: boolean;
  handler: (input: RouteInput<B, Q>) => Promise<Reply> | Reply;
}

/** Keeps the body/query types of one route tied to its handler. */
export function route<B = undefined, Q = undefined>(def: RouteDef<B, Q>): RouteDef {
  return def as unknown as RouteDef;
}

/** `/users/{id}` -> `/users/:id` */
export function expressPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? '');
}
