/**
 * The login hook: inside the login transaction, one outbox row per endpoint whose trigger fires.
 * A rolled-back login therefore sends nothing, and a committed one is sent even if the process
 * dies right after the commit. The dispatcher is nudged only once the commit has happened.
 */
import { randomUUID } from 'node:crypto';
import type { LoginHook } from '../context.ts';
import { buildBody, serializeBody, shouldFire } from './payload.ts';
import type { NewWebhookEvent, WebhookStore } from './ports.ts';

/** A Standard Webhooks message id: `msg_` and 32 hex digits. */
export function newMessageId(): string {
  return `msg_${randomUUID().replace(/-/g, '')}`;
}

export function createWebhookLoginHook(deps: { store: WebhookStore; now: () => number; onCommitted: () => void }): LoginHook {
  return async (tx, event) => {
    const endpoints = await deps.store.listFiringEndpoints(tx);
    if (endpoints.length === 0) return;
    const at = deps.now();
    const rows: NewWebhookEvent[] = [];
    for (const endpoint of endpoints) {
      const trigger = endpoint.trigger;
      // Attached to providers (as on the provider's own page): their logins only.
      if (endpoint.providers.length > 0 && !endpoint.providers.includes(event.claims.provider)) continue;
      if (!shouldFire(trigger, event)) continue;
      rows.push({
        id: newMessageId(),
        endpointId: endpoint.id,
        type: trigger,
        body: serializeBody(buildBody(trigger, endpoint, event, at)),
        userId: event.user.id,
        createdAt: at,
      });
    }
    if (rows.length === 0) return;
    await deps.store.enqueue(tx, rows);
    deps.store.afterCommit(tx, deps.onCommitted);
  };
}
