/** Webhook endpoints: list and create, edit with the example payload, delivery log and redelivery. */
import { DIRECTORY_EVENT_TYPES, isDirectoryEventType } from '../../directory-events.ts';
import { isGatehouseError } from '../../errors.ts';
import { param, pathParam, field, type ActionFn, type Env, type PageFn } from '../env.ts';
import { html, prettyJson, when, type Html } from '../html.ts';
import { badge, consolePage, options, postButton, queryString } from '../layout.ts';
import type { DeliveryDetail, DeliveryView, EndpointView, WebhookExample } from '../views.ts';
import { EMPTY_FORM, EVENT_LABELS, TRIGGER_LABELS, examplePreview, readWebhookForm, unsavedExample, webhookBody, webhookForm, type WebhookFormValues } from './webhook-form.ts';

type EndpointDetail = EndpointView & { deliveries: Record<string, number> };

const hookPath = (id: string) => `/admin/webhooks/${encodeURIComponent(id)}`;
const defaultProvider = (env: Env) => env.ctx.runtime.current().providers.keys().next().value ?? 'corp-oidc';

function secretBox(secret: string): Html {
  return html`<section class="secret" aria-labelledby="secret-title">
<h2 id="secret-title">Signing secret</h2>
<p><strong>Copy it now: it is shown this once.</strong> Receivers verify the <code>webhook-signature</code> header with it (Standard Webhooks).</p>
<p><code id="webhook-secret">${secret}</code><button type="button" class="small" data-copy-target="webhook-secret">Copy<span class="sr-only"> the secret</span></button></p>
</section>`;
}

async function listPage(env: Env, form: WebhookFormValues, preview: Html | null): Promise<string> {
  const { webhooks, retryScheduleMs } = await env.call<{ webhooks: EndpointView[]; retryScheduleMs: number[] }>('get', '/webhooks');
  const rows = webhooks.map(
    (w) => html`<tr><td><a href="${hookPath(w.id)}">${w.id}</a></td><td><code>${w.url}</code></td><td>${TRIGGER_LABELS[w.trigger]}${w.providers?.length ? html`<br><span class="muted">logins through ${w.providers.join(', ')}</span>` : ''}</td><td>${w.events.length ? w.events.join(', ') : html`<span class="muted">none</span>`}</td>
<td>${w.enabled ? badge('enabled', 'active') : badge('disabled', 'failed')}</td><td>${w.source === 'config' ? 'config file' : 'console / API'}</td></tr>`,
  );
  const retries = retryScheduleMs.map((ms) => (ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`)).join(', ');
  return consolePage(
    env.view,
    { title: 'Webhooks', active: 'webhooks', lead: 'Signed HTTP calls on logins and directory changes, so that automation can add overrides for new IdP users and follow SCIM.' },
    html`<table><caption class="sr-only">Webhook endpoints</caption>
<thead><tr><th scope="col">Id</th><th scope="col">URL</th><th scope="col">Trigger</th><th scope="col">Directory events</th><th scope="col">State</th><th scope="col">Defined in</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="6" class="muted">No endpoint yet.</td></tr>`}</tbody></table>
<p class="muted">Failed deliveries are retried after ${retries || 'no delay'}.</p>
<h2 id="new-endpoint">New endpoint</h2>
${webhookForm(env.view, form, { action: '/admin/webhooks', mode: 'create', submitLabel: 'Create endpoint', providerIds: providerIds(env) })}
${preview ? html`<section class="card" aria-labelledby="preview-title"><h2 id="preview-title">Example payload preview</h2>${preview}</section>` : ''}`,
  );
}

/** The providers an endpoint can be attached to, as they are now. */
function providerIds(env: Env): string[] {
  return [...env.ctx.runtime.current().providers.keys()];
}

/** `?provider=` (the provider page's "Add a webhook" link) preselects that provider. */
export const webhooksPage: PageFn = (env) => {
  const preset = typeof env.req.query.provider === 'string' && providerIds(env).includes(env.req.query.provider) ? [env.req.query.provider] : [];
  return listPage(env, { ...EMPTY_FORM, providers: preset }, null);
};

/** Create, or (intent=preview) show the example payload of the unsaved form. */
export const createWebhookAction: ActionFn = async (env) => {
  const form = readWebhookForm(env.req);
  if (field(env.req, 'intent') === 'preview') {
    return { render: await listPage(env, form, examplePreview(unsavedExample(form, defaultProvider(env), env.ctx.now()))) };
  }
  let created: EndpointView & { secret: string };
  try {
    created = await env.call<EndpointView & { secret: string }>('post', '/webhooks', { body: webhookBody(form, 'create') });
  } catch (e) {
    // Keep what was typed: show the form again with the reason.
    if (!isGatehouseError(e)) throw e;
    env.view.flash = { kind: 'error', text: e.message };
    env.res.status(e.status);
    return { render: await listPage(env, form, null) };
  }
  env.view.flash = { kind: 'ok', text: `Created endpoint ${created.id}.` };
  return { render: await endpointPage(env, created.id, created.secret) };
};

function deliveryRows(env: Env, id: string, deliveries: DeliveryView[]): Html[] {
  return deliveries.map(
    (d) => html`<tr><td><a href="${hookPath(id)}/deliveries/${encodeURIComponent(d.id)}"><code>${d.id}</code></a></td><td>${d.type}</td><td>${badge(d.status)}</td><td>${d.attempts}</td>
<td>${when(d.createdAt)}</td><td>${d.status === 'delivered' ? when(d.deliveredAt) : d.status === 'pending' ? html`next ${when(d.nextAttemptAt)}` : ''}</td><td>${d.lastError ?? ''}</td>
<td class="actions">${postButton(env.view, `${hookPath(id)}/deliveries/${encodeURIComponent(d.id)}/redeliver`, 'Redeliver', { srSuffix: d.id })}</td></tr>`,
  );
}

async function endpointPage(env: Env, id: string, secret: string | null): Promise<string> {
  const w = await env.call<EndpointDetail>('get', '/webhooks/{id}', { params: { id } });
  const previewTrigger = param(env.req, 'preview') ?? (w.trigger === 'none' ? 'every_login' : w.trigger);
  const status = param(env.req, 'status');
  const cursor = param(env.req, 'cursor');
  const previewEvent = isDirectoryEventType(previewTrigger) ? previewTrigger : null;
  const [example, log] = await Promise.all([
    env.call<WebhookExample>('get', '/webhooks/{id}/example', {
      params: { id },
      query: previewEvent ? { event: previewEvent } : { trigger: previewTrigger, provider: defaultProvider(env) },
    }),
    env.call<{ deliveries: DeliveryView[]; nextCursor: string | null }>('get', '/webhooks/{id}/deliveries', { params: { id }, query: { status, cursor, limit: '25' } }),
  ]);
  const fromConfig = w.source === 'config';
  const values: WebhookFormValues = { url: w.url, trigger: w.trigger, events: w.events, providers: w.providers ?? [], fields: w.fields, payload: Object.entries(w.payload), allowPrivateNetwork: w.allowPrivateNetwork };
  const counts = Object.entries(w.deliveries).map(([s, n]) => html`${badge(`${s}: ${n}`, s)} `);
  const firing = [
    ...(['user_created_without_groups', 'login_without_groups', 'every_login'] as const).map((t) => ({ value: t, label: TRIGGER_LABELS[t] })),
    ...DIRECTORY_EVENT_TYPES.map((e) => ({ value: e, label: `Event: ${EVENT_LABELS[e]}` })),
  ];
  const notSent = previewEvent
    ? html`<p class="muted">This endpoint does not subscribe to <code>${previewEvent}</code>.</p>`
    : html`<p class="muted">This endpoint's trigger is “${TRIGGER_LABELS[w.trigger]}”, so it does not send this one.</p>`;
  return consolePage(
    env.view,
    { title: `Webhook ${w.id}`, active: 'webhooks', lead: html`<a href="/admin/webhooks">All endpoints</a>` },
    html`${secret ? secretBox(secret) : ''}
<section class="card" aria-labelledby="state"><h2 id="state" class="sr-only">State</h2><dl class="facts">
<dt>State</dt><dd>${w.enabled ? badge('enabled', 'active') : html`${badge('disabled', 'failed')} ${w.disabledReason ?? ''}`}</dd>
<dt>URL</dt><dd><code>${w.url}</code></dd>
<dt>Secret</dt><dd><code>${w.secretHint}</code>${w.previousSecretValidUntil ? html` (previous secret also signs until ${when(w.previousSecretValidUntil)})` : ''}</dd>
<dt>Defined in</dt><dd>${fromConfig ? 'the config file (change it there; only enable/disable here)' : 'the console / admin API'}</dd>
<dt>Deliveries</dt><dd>${counts}</dd>
</dl>
<div class="row">
${postButton(env.view, `${hookPath(id)}/enabled`, w.enabled ? 'Disable' : 'Enable', { className: w.enabled ? 'small danger' : 'small', fields: { enabled: w.enabled ? 'false' : 'true' } })}
${fromConfig ? '' : postButton(env.view, `${hookPath(id)}/rotate-secret`, 'Rotate secret', { className: 'small secondary', confirm: 'Make a new secret? The old one keeps signing during the overlap window.' })}
${fromConfig ? '' : postButton(env.view, `${hookPath(id)}/delete`, 'Delete endpoint', { className: 'small danger', confirm: `Delete ${w.id} and its delivery log?` })}
</div></section>
<section class="card" aria-labelledby="example-title"><h2 id="example-title">Example payload</h2>
<form method="get" action="${hookPath(id)}#example-title" class="inline"><label>Preview the trigger or event <select name="preview" data-autosubmit>${options(firing, previewTrigger)}</select></label><button type="submit" class="secondary">Show</button></form>
${example.fires ? '' : notSent}
${examplePreview(example)}
</section>
<h2 id="deliveries">Delivery log</h2>
<form method="get" action="${hookPath(id)}#deliveries" class="inline"><label>Status <select name="status"><option value="">any</option>${options(['pending', 'delivered', 'failed'], status)}</select></label><button type="submit" class="secondary">Filter</button></form>
<table><caption class="sr-only">Deliveries, newest first</caption>
<thead><tr><th scope="col">Delivery</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Created</th><th scope="col">Delivered / next</th><th scope="col">Last error</th><th scope="col">Action</th></tr></thead>
<tbody>${log.deliveries.length ? deliveryRows(env, id, log.deliveries) : html`<tr><td colspan="8" class="muted">No delivery yet.</td></tr>`}</tbody></table>
${log.nextCursor ? html`<p class="pager"><a href="${hookPath(id)}${queryString({ status, cursor: log.nextCursor })}#deliveries">Older deliveries</a></p>` : ''}
${fromConfig ? '' : html`<h2 id="settings">Settings</h2>${webhookForm(env.view, values, { action: hookPath(id), mode: 'update', submitLabel: 'Save changes', providerIds: providerIds(env) })}`}`,
  );
}

export const webhookPage: PageFn = (env) => endpointPage(env, pathParam(env.req, 'id'), null);

export const updateWebhookAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  await env.call('patch', '/webhooks/{id}', { params: { id }, body: webhookBody(readWebhookForm(env.req), 'update') });
  return { redirect: hookPath(id), flash: 'Saved.' };
};

export const toggleWebhookAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  const enabled = field(env.req, 'enabled') === 'true';
  await env.call('patch', '/webhooks/{id}', { params: { id }, body: { enabled } });
  return { redirect: hookPath(id), flash: enabled ? 'Endpoint enabled.' : 'Endpoint disabled.' };
};

export const rotateSecretAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  const r = await env.call<EndpointView & { secret: string }>('post', '/webhooks/{id}/rotate-secret', { params: { id }, body: {} });
  env.view.flash = { kind: 'ok', text: 'New secret made.' };
  return { render: await endpointPage(env, id, r.secret) };
};

export const deleteWebhookAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  await env.call('delete', '/webhooks/{id}', { params: { id } });
  return { redirect: '/admin/webhooks', flash: `Deleted ${id}.` };
};

export const redeliverAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  const deliveryId = pathParam(env.req, 'deliveryId');
  await env.call('post', '/webhooks/{id}/deliveries/{deliveryId}/redeliver', { params: { id, deliveryId } });
  return { redirect: `${hookPath(id)}#deliveries`, flash: `Delivery ${deliveryId} queued again.` };
};

export const deliveryPage: PageFn = async (env) => {
  const id = pathParam(env.req, 'id');
  const deliveryId = pathParam(env.req, 'deliveryId');
  const d = await env.call<DeliveryDetail>('get', '/webhooks/{id}/deliveries/{deliveryId}', { params: { id, deliveryId } });
  const attempts = d.attemptLog.map(
    (a) => html`<tr><td>${a.attempt}</td><td>${when(a.startedAt)}</td><td>${a.durationMs} ms</td><td>${a.statusCode ?? ''}</td><td>${badge(a.outcome, a.outcome === 'delivered' ? 'delivered' : a.outcome === 'retry' ? 'pending' : 'failed')}</td><td>${a.error ?? ''}</td><td>${a.responseExcerpt ? html`<code>${a.responseExcerpt}</code>` : ''}</td></tr>`,
  );
  return consolePage(
    env.view,
    { title: `Delivery ${d.id}`, active: 'webhooks', lead: html`<a href="${hookPath(id)}#deliveries">Endpoint ${id}</a>` },
    html`<p>${badge(d.status)} ${d.type} · ${d.attempts} attempt(s) · created ${when(d.createdAt)}</p>
${postButton(env.view, `${hookPath(id)}/deliveries/${encodeURIComponent(d.id)}/redeliver`, 'Redeliver', { className: '' })}
<h2>Attempts</h2>
<table><caption class="sr-only">Attempts</caption><thead><tr><th scope="col">#</th><th scope="col">Started</th><th scope="col">Took</th><th scope="col">HTTP status</th><th scope="col">Outcome</th><th scope="col">Error</th><th scope="col">Response</th></tr></thead>
<tbody>${attempts.length ? attempts : html`<tr><td colspan="7" class="muted">Not attempted yet.</td></tr>`}</tbody></table>
<h2>Body</h2><pre aria-label="Delivery body">${prettyJson(d.body)}</pre>`,
  );
};
