/** The operations every registry entry provides; routes and Bulk call only these. */
import type { ScimRequestContext } from '../context.ts';
import type { Precondition } from '../http.ts';
import type { Projection } from '../project.ts';
import type { ListRequest } from '../query.ts';

export type ScimResource = Record<string, unknown>;

export interface WriteResult {
  id: string;
  version: number;
  resource: ScimResource;
}

export interface ResourceOps {
  /** Throws 404 when absent. */
  get(rc: ScimRequestContext, id: string, projection: Projection): Promise<ScimResource>;
  list(rc: ScimRequestContext, request: ListRequest): Promise<{ total: number; resources: ScimResource[] }>;
  /**
   * The same page already serialized, one JSON text per resource, for the default projection
   * (what every IdP asks for): optional, a faster path for large pages.
   */
  listJson?(rc: ScimRequestContext, request: ListRequest): Promise<{ total: number; items: string[] }>;
  create(rc: ScimRequestContext, body: unknown): Promise<WriteResult>;
  replace(rc: ScimRequestContext, id: string, body: unknown, ifMatch: Precondition): Promise<WriteResult>;
  patch(rc: ScimRequestContext, id: string, body: unknown, ifMatch: Precondition, projection: Projection | null): Promise<WriteResult>;
  remove(rc: ScimRequestContext, id: string, ifMatch: Precondition): Promise<void>;
}
