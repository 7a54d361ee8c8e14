/** Login webhooks: transactional outbox, Standard Webhooks signatures, a leasing dispatcher. See docs/webhooks.md. */
export { createDispatcher, type Dispatcher, type DispatcherDeps } from './dispatcher.ts';
export { configEndpointId, resolveConfigEndpoints, syncConfigEndpoints, type ConfigEndpoint } from './endpoints.ts';
export { createWebhookLoginHook, newMessageId } from './hook.ts';
export { buildBody, exampleFacts, OPTIONAL_FIELDS, serializeBody, shouldFire, type WebhookBody } from './payload.ts';
export * from './ports.ts';
export { backoffMs, nominalSchedule, parseRetryAfter } from './retry.ts';
export { createWebhookService, type WebhookService } from './service.ts';
export { defaultDeliverySettings, webhookDeliverySchema, type WebhookDeliverySettings } from './settings.ts';
export { generateSecret, secretProblem, sign, signedHeaders, signingSecrets } from './signing.ts';
export { privateAddressReason } from './ssrf.ts';
export { createHttpTransport, TransportError, type Transport, type TransportRequest, type TransportResponse } from './transport.ts';
