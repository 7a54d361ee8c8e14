/**
 * What one authenticated SCIM request carries through the resource operations: the Gatehouse
 * context, the SCIM store, the token that made the request (audit actor, provider scope) and the
 * mapping engine that token's scope selects.
 */
import type { GatehouseContext } from '../context.ts';
import type { MappingEngine } from '../mapping/index.ts';
import type { ApiTokenRecord } from '../ports.ts';
import { scimError } from './errors.ts';
import type { ScimStore, ScimTransaction } from './ports.ts';

export interface ScimRequestContext {
  ctx: GatehouseContext;
  scim: ScimStore;
  token: ApiTokenRecord;
  /** `scim:<token name>` */
  actor: string;
  /** The provider's engine for a provider-scoped token, else the global one. */
  engine: MappingEngine;
  /** Absolute URL of the SCIM base (Location headers, `$ref`). */
  baseUrl: string;
}

export function requestContext(ctx: GatehouseContext, scim: ScimStore, token: ApiTokenRecord, baseUrl: string): ScimRequestContext {
  return {
    ctx,
    scim,
    token,
    actor: `scim:${token.name}`,
    engine: token.provider === null ? ctx.runtime.current().engines.global : ctx.runtime.current().engines.forProvider(token.provider),
    baseUrl,
  };
}

/** One audit row inside the write's transaction: it commits or rolls back with the change. */
export async function auditWrite(
  tx: ScimTransaction,
  rc: ScimRequestContext,
  action: string,
  entry: { outcome: string; userId?: string | null; details?: Record<string, unknown> },
): Promise<void> {
  await tx.store.audit({
    action,
    outcome: entry.outcome,
    actor: rc.actor,
    provider: rc.token.provider,
    userId: entry.userId ?? null,
    details: { tokenId: rc.token.id, ...(entry.details ?? {}) },
  });
}

/** A write that found the row changed since it was read (optimistic concurrency). */
export class StaleWrite extends Error {
  constructor() {
    super('the resource changed while it was being written');
    this.name = 'StaleWrite';
  }
}

/**
 * Runs a write transaction, again when it lost a race: a StaleWrite (unless the client pinned a
 * version with If-Match, which then fails with 412) or a deadlock/serialization failure.
 */
export async function withWriteRetry<T>(rc: ScimRequestContext, pinned: boolean, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const stale = e instanceof StaleWrite;
      if (stale && pinned) throw scimError.preconditionFailed();
      if (stale && attempt >= 5) throw scimError.conflict('The resource is being changed concurrently; retry the request.');
      if (attempt >= 5 || !(stale || rc.scim.isRetryable(e))) throw e;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
    }
  }
}
