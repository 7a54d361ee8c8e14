/**
 * The webhook endpoint form (seed 003): URL, secret, trigger type, directory events (checkboxes), optional fields and custom
 * payload key/value pairs, plus the example payload preview built by the webhook payload module
 * itself (the same body a real delivery sends).
 */
import type { Request } from 'express';
import { DIRECTORY_EVENT_TYPES, isDirectoryEventType, type DirectoryEventType } from '../../directory-events.ts';
import { buildBody, exampleFacts, OPTIONAL_FIELDS, serializeBody } from '../../webhooks/payload.ts';
import { WEBHOOK_TRIGGERS, type FiringTrigger, type WebhookTrigger } from '../../webhooks/ports.ts';
import { field, fields } from '../env.ts';
import { html, prettyJson, type Html } from '../html.ts';
import { csrfInput, options, type View } from '../layout.ts';

export const TRIGGER_LABELS: Record<WebhookTrigger, string> = {
  none: 'None: never sends',
  user_created_without_groups: 'When a user with no groups is created',
  login_without_groups: 'When a user with no groups logs in',
  every_login: 'When an SSO user logs in (every login)',
};

const FIELD_LABELS: Record<(typeof OPTIONAL_FIELDS)[number], string> = {
  first_name: 'First name',
  last_name: 'Last name',
  name: 'Full name',
  email_verified: 'Email verified',
  status: 'User status',
  subject: 'IdP subject',
  new_user: 'New user (first login)',
};

export const EVENT_LABELS: Record<DirectoryEventType, string> = {
  'user.created': 'User created',
  'user.updated': 'User attributes changed',
  'user.deactivated': 'User deactivated',
  'user.reactivated': 'User reactivated',
  'user.deleted': 'User deleted',
  'group.created': 'SCIM group created',
  'group.deleted': 'SCIM group deleted',
  'group.members_added': 'Members added to a SCIM group',
  'group.members_removed': 'Members removed from a SCIM group',
  'membership.changed': 'Roles or groups of a user changed',
  'user.approved': 'User approved (waiting room)',
  'user.rejected': 'User rejected (waiting room)',
};

/** What the form holds, before validation (the admin API validates on save). */
export interface WebhookFormValues {
  id?: string | undefined;
  url: string;
  secret?: string | undefined;
  trigger: string;
  events: string[];
  /** Attached providers (the trigger fires for their logins only); empty: every provider. */
  providers: string[];
  fields: string[];
  payload: [string, string][];
  allowPrivateNetwork: boolean;
}

export const EMPTY_FORM: WebhookFormValues = { url: '', trigger: 'user_created_without_groups', events: [], providers: [], fields: [], payload: [], allowPrivateNetwork: false };

export function readWebhookForm(req: Request): WebhookFormValues {
  const keys = fields(req, 'payloadKey');
  const values = fields(req, 'payloadValue');
  const payload: [string, string][] = [];
  keys.forEach((k, i) => {
    const v = values[i] ?? '';
    if (k.trim() !== '' || v.trim() !== '') payload.push([k.trim(), v]);
  });
  return {
    id: field(req, 'id'),
    url: field(req, 'url') ?? '',
    secret: field(req, 'secret'),
    trigger: field(req, 'trigger') ?? 'none',
    events: fields(req, 'events').filter(isDirectoryEventType),
    providers: fields(req, 'providers').filter((p) => p !== ''),
    fields: fields(req, 'fields').filter((f) => f !== ''),
    payload,
    allowPrivateNetwork: field(req, 'allowPrivateNetwork') === 'on',
  };
}

/** The admin API body (create or update) from the form. */
export function webhookBody(v: WebhookFormValues, mode: 'create' | 'update'): Record<string, unknown> {
  return {
    ...(mode === 'create' && v.id ? { id: v.id } : {}),
    url: v.url,
    ...(mode === 'create' && v.secret ? { secret: v.secret } : {}),
    trigger: v.trigger,
    events: v.events,
    providers: v.providers,
    fields: v.fields,
    payload: Object.fromEntries(v.payload),
    allowPrivateNetwork: v.allowPrivateNetwork,
  };
}

function payloadRows(rows: [string, string][]): Html[] {
  // Existing pairs plus two empty rows; the script adds more on demand.
  const all: [string, string][] = [...rows, ['', ''], ['', '']];
  return all.map(
    ([k, v], i) => html`<div class="row" data-row>
<label for="payload-key-${i + 1}">Key ${i + 1}</label><input type="text" id="payload-key-${i + 1}" name="payloadKey" value="${k}" maxlength="191" autocomplete="off">
<label for="payload-value-${i + 1}">Value ${i + 1}</label><input type="text" id="payload-value-${i + 1}" name="payloadValue" value="${v}" maxlength="2000" autocomplete="off">
</div>`,
  );
}

/**
 * The form; `action` is where it posts. Create mode adds id and secret, and a preview button that
 * posts `intent=preview`.
 */
export function webhookForm(view: View, v: WebhookFormValues, opts: { action: string; mode: 'create' | 'update'; submitLabel: string; providerIds: readonly string[] }): Html {
  const checks = OPTIONAL_FIELDS.map(
    (f) => html`<label class="check"><input type="checkbox" name="fields" value="${f}"${v.fields.includes(f) ? html` checked` : ''}> ${FIELD_LABELS[f]} <code>${f}</code></label>`,
  );
  const events = DIRECTORY_EVENT_TYPES.map(
    (e) => html`<label class="check"><input type="checkbox" name="events" value="${e}"${v.events.includes(e) ? html` checked` : ''}> ${EVENT_LABELS[e]} <code>${e}</code></label>`,
  );
  const attach = opts.providerIds.map(
    (p) => html`<label class="check"><input type="checkbox" name="providers" value="${p}"${v.providers.includes(p) ? html` checked` : ''}> <code>${p}</code></label>`,
  );
  return html`<form method="post" action="${opts.action}" class="card stack" aria-label="${opts.mode === 'create' ? 'New webhook endpoint' : 'Edit webhook endpoint'}">
${csrfInput(view)}
${opts.mode === 'create' ? html`<label>Id (optional) <input type="text" name="id" value="${v.id ?? ''}" maxlength="64" autocomplete="off" aria-describedby="id-help"></label><span id="id-help" class="muted">Letters, digits, <code>_ . -</code>; generated when empty.</span>` : ''}
<label>Webhook URL <input type="url" name="url" value="${v.url}" required size="60" placeholder="https://automation.example.com/gatehouse"></label>
${opts.mode === 'create' ? html`<label>Webhook secret (optional) <input type="text" name="secret" value="${v.secret ?? ''}" size="60" placeholder="whsec_… (leave empty to generate one)" autocomplete="off"></label>` : ''}
<label>Trigger type <select name="trigger">${options(WEBHOOK_TRIGGERS.map((t) => ({ value: t, label: TRIGGER_LABELS[t] })), v.trigger)}</select></label>
<fieldset><legend>Logins through (none ticked: every identity provider)</legend>${attach.length ? attach : html`<span class="muted">No provider yet.</span>`}</fieldset>
<fieldset><legend>Directory events (SCIM, admin API, waiting room), besides the trigger</legend>${events}</fieldset>
<fieldset><legend>Optional fields in <code>data.user</code> of login deliveries</legend>${checks}</fieldset>
<fieldset><legend>Custom payload (key/value pairs in <code>data.custom_payload</code>)</legend>
<div id="payload-rows" class="stack">${payloadRows(v.payload)}</div>
<button type="button" class="small secondary" data-add-row="payload-rows" hidden>Add a key/value pair</button>
</fieldset>
<label class="check"><input type="checkbox" name="allowPrivateNetwork"${v.allowPrivateNetwork ? html` checked` : ''}> Allow loopback and private-network targets (off: such URLs are refused)</label>
<div class="row">${opts.mode === 'create' ? html`<button type="submit" name="intent" value="preview" class="secondary">Preview example payload</button>` : ''}<button type="submit" name="intent" value="save">${opts.submitLabel}</button></div>
</form>`;
}

/** Headers and body of an example delivery, as JSON blocks. */
export function examplePreview(example: { headers: Record<string, string> | null; body: unknown; note?: string | undefined } | null): Html {
  if (!example || example.body === null) return html`<p class="muted">${example?.note ?? 'Trigger "none" never sends.'}</p>`;
  return html`${example.note ? html`<p class="muted">${example.note}</p>` : ''}<h3>Headers</h3><pre aria-label="Example headers">${prettyJson(example.headers)}</pre>
<h3>Body</h3><pre aria-label="Example payload">${prettyJson(example.body)}</pre>`;
}

/** The example body for form values not yet saved (unsigned: the secret may not exist yet). */
export function unsavedExample(v: WebhookFormValues, provider: string, now: number): { headers: Record<string, string> | null; body: unknown; note?: string } {
  const type: FiringTrigger = v.trigger === 'none' || !(WEBHOOK_TRIGGERS as readonly string[]).includes(v.trigger) ? 'every_login' : (v.trigger as FiringTrigger);
  const body = serializeBody(buildBody(type, { fields: v.fields, payload: Object.fromEntries(v.payload) }, exampleFacts(type, provider), now));
  return {
    headers: { 'content-type': 'application/json', 'webhook-id': 'msg_example', 'webhook-timestamp': String(Math.floor(now / 1000)), 'webhook-signature': 'v1,<signed with the endpoint secret once saved>' },
    body: JSON.parse(body) as unknown,
    ...(v.trigger === 'none' ? { note: 'Trigger "none" never sends; this is what "every login" would send.' } : {}),
  };
}
