/** Webhook endpoints, example payloads, the delivery log and manual redelivery. */
import type { WebhookService } from '../../webhooks/service.ts';
import { route, type RouteDef } from '../registry.ts';
import { invalidField } from '../validation.ts';
import { createWebhookBody, deliveriesQuery, exampleQuery, rotateSecretBody, updateWebhookBody } from '../schemas.ts';

const TAG = 'Webhooks';

/** Attached providers must exist when the endpoint is saved (400 naming the entry). */
function checkProviders(providers: readonly string[] | undefined, known: (id: string) => boolean): void {
  providers?.forEach((p, j) => {
    if (!known(p)) throw invalidField(`providers[${j}]`, `no provider "${p}"`);
  });
}

export function webhookRoutes(webhooks: WebhookService, knownProvider: (id: string) => boolean): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/webhooks',
      tag: TAG,
      summary: 'List webhook endpoints (secrets are never shown)',
      responses: { 200: { description: 'Endpoints and the retry schedule', schema: 'Webhooks' } },
      handler: async () => ({ body: { webhooks: await webhooks.list(), retryScheduleMs: webhooks.schedule() } }),
    }),
    route({
      method: 'post',
      path: '/webhooks',
      tag: TAG,
      summary: 'Create an endpoint; the secret (given or generated) is shown this once. `providers` attaches it to identity providers: its login trigger then fires for their logins only',
      body: createWebhookBody,
      responses: { 201: { description: 'The endpoint and its secret', schema: 'WebhookWithSecret' }, 400: 'Invalid input', 409: 'Id taken' },
      handler: async ({ body, actor }) => {
        checkProviders(body.providers, knownProvider);
        const created = await webhooks.create(body, actor.label);
        return { status: 201, body: { ...created.endpoint, secret: created.secret } };
      },
    }),
    route({
      method: 'get',
      path: '/webhooks/{id}',
      tag: TAG,
      summary: 'One endpoint with delivery counts',
      responses: { 200: { description: 'The endpoint', schema: 'Webhook' }, 404: 'No such endpoint' },
      handler: async ({ params }) => ({ body: await webhooks.get(params.id ?? '') }),
    }),
    route({
      method: 'patch',
      path: '/webhooks/{id}',
      tag: TAG,
      summary: 'Change an endpoint, or enable/disable it (config endpoints: `enabled` only)',
      body: updateWebhookBody,
      responses: { 200: { description: 'The endpoint', schema: 'Webhook' }, 404: 'No such endpoint', 409: 'Owned by the config file' },
      handler: async ({ params, body, actor }) => {
        checkProviders(body.providers, knownProvider);
        return { body: await webhooks.update(params.id ?? '', body, actor.label) };
      },
    }),
    route({
      method: 'delete',
      path: '/webhooks/{id}',
      tag: TAG,
      summary: 'Delete an endpoint with its delivery log (API endpoints only)',
      responses: { 204: 'Deleted', 404: 'No such endpoint', 409: 'Owned by the config file' },
      handler: async ({ params, actor }) => {
        await webhooks.remove(params.id ?? '', actor.label);
        return { status: 204 };
      },
    }),
    route({
      method: 'post',
      path: '/webhooks/{id}/rotate-secret',
      tag: TAG,
      summary: 'Rotate the secret; both secrets sign during the overlap window',
      body: rotateSecretBody,
      responses: { 200: { description: 'The endpoint and its new secret, shown once', schema: 'WebhookWithSecret' }, 404: 'No such endpoint', 409: 'Owned by the config file' },
      handler: async ({ params, body, actor }) => {
        const r = await webhooks.rotateSecret(params.id ?? '', body, actor.label);
        return { body: { ...r.endpoint, secret: r.secret } };
      },
    }),
    route({
      method: 'get',
      path: '/webhooks/{id}/example',
      tag: TAG,
      summary: 'The exact payload (and signed headers) the trigger or a directory event would send',
      description: '`trigger` previews another trigger, `event` a directory event (its first part); `raw` is the exact body bytes.',
      query: exampleQuery,
      responses: { 200: { description: 'Example', schema: 'WebhookExample' }, 404: 'No such endpoint' },
      handler: async ({ params, query }) => ({ body: await webhooks.example(params.id ?? '', query.trigger, query.provider, query.event) }),
    }),
    route({
      method: 'get',
      path: '/webhooks/{id}/deliveries',
      tag: TAG,
      summary: 'The delivery log, newest first',
      query: deliveriesQuery,
      responses: { 200: { description: 'A page of deliveries', schema: 'DeliveryPage' }, 404: 'No such endpoint' },
      handler: async ({ params, query }) => ({ body: await webhooks.deliveries(params.id ?? '', query) }),
    }),
    route({
      method: 'get',
      path: '/webhooks/{id}/deliveries/{deliveryId}',
      tag: TAG,
      summary: 'One delivery with its body and every attempt',
      responses: { 200: { description: 'The delivery', schema: 'Delivery' }, 404: 'No such delivery' },
      handler: async ({ params }) => ({ body: await webhooks.delivery(params.id ?? '', params.deliveryId ?? '') }),
    }),
    route({
      method: 'post',
      path: '/webhooks/{id}/deliveries/{deliveryId}/redeliver',
      tag: TAG,
      summary: 'Send a delivery again (same webhook-id, fresh round of attempts)',
      responses: { 202: { description: 'Queued', schema: 'Delivery' }, 404: 'No such delivery', 409: 'Endpoint disabled' },
      handler: async ({ params, actor }) => ({ status: 202, body: await webhooks.redeliver(params.id ?? '', params.deliveryId ?? '', actor.label) }),
    }),
  ];
}
