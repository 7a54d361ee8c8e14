/**
 * Identity providers: the list (config-file providers read-only, with only the policy toggle),
 * one provider's settings with "Test connection" and the values its IdP's admin needs, enable and
 * disable (a disabled provider is kept but signs nobody in), and the delete confirmation.
 */
import type { ProbeReport } from '../../admin/probe.ts';
import { field, pathParam, type ActionFn, type Env, type PageFn } from '../env.ts';
import { html, prettyJson, when, type Html, type Part } from '../html.ts';
import { badge, consolePage, csrfInput, options, postButton } from '../layout.ts';
import type { EndpointView, MetadataStatus, ProviderDetail, SecretState } from '../views.ts';
import { POLICIES } from './access.ts';

const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

const enc = encodeURIComponent;
const nameOf = (p: ProviderDetail) => p.displayName ?? p.id;
const sourceBadge = (p: ProviderDetail) =>
  html`${p.source === 'config' ? badge('defined in the config file', 'pending') : badge('run time', 'active')}${p.enabled === false ? html` ${badge('disabled', 'no')}` : ''}`;
const secretState = (s: SecretState | undefined) => badge(s?.set ? 'set' : 'not set', s?.set ? 'yes' : 'no');

function policyForm(env: Env, p: ProviderDetail, back: 'providers' | 'provider'): Html {
  const id = `policy-${p.id}`;
  return html`<form method="post" action="/admin/providers/${enc(p.id)}/policy" class="row">${csrfInput(env.view)}<input type="hidden" name="back" value="${back}">
<label for="${id}" class="sr-only">First-login policy for ${nameOf(p)}</label><select id="${id}" name="firstLoginPolicy">${options(POLICIES, p.firstLoginPolicy)}</select>
<button type="submit" class="small">Save<span class="sr-only"> policy for ${p.id}</span></button></form>`;
}

export const providersPage: PageFn = async (env) => {
  const { providers } = await env.call<{ providers: ProviderDetail[] }>('get', '/providers');
  const writable = env.has('post', '/providers');
  const rows = providers.map(
    (p) => html`<tr><th scope="row"><a href="/admin/providers/${enc(p.id)}">${nameOf(p)}</a>${p.displayName ? html`<br><code>${p.id}</code>` : ''}</th>
<td>${p.type.toUpperCase()}</td><td>${sourceBadge(p)}</td><td>${p.domains?.length ? p.domains.join(', ') : html`<span class="muted">–</span>`}</td>
<td>${p.organization ?? html`<span class="muted">all</span>`}</td><td>${policyForm(env, p, 'providers')}</td></tr>`,
  );
  const create = writable
    ? html`<p class="row"><a class="button" href="/admin/providers/new?type=oidc">New OIDC provider</a> <a class="button secondary" href="/admin/providers/new?type=saml">New SAML provider</a></p>`
    : html`<p class="muted">Providers are managed in the config file only here (no provider store is configured).</p>`;
  return consolePage(
    env.view,
    { title: 'Identity providers', active: 'providers', lead: 'Where users sign in. Run-time providers are edited here; those defined in the config file are read-only but for their first-login policy.' },
    html`${create}
<table><caption class="sr-only">Identity providers</caption>
<thead><tr><th scope="col">Provider</th><th scope="col">Type</th><th scope="col">Defined</th><th scope="col">Email domains</th><th scope="col">Organization</th><th scope="col">First-login policy</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="6" class="muted">No provider yet.</td></tr>`}</tbody></table>`,
  );
};

/** Settings and Auto Provisioning: the two tabs of a provider. */
export function providerTabs(p: ProviderDetail, current: 'settings' | 'provisioning'): Html {
  const tab = (key: typeof current, href: string, label: string) => html`<li><a href="${href}"${key === current ? html` aria-current="page"` : ''}>${label}</a></li>`;
  return html`<nav aria-label="Provider sections"><ul class="tabs">${tab('settings', `/admin/providers/${enc(p.id)}`, 'Settings')}${tab('provisioning', `/admin/providers/${enc(p.id)}/provisioning`, 'Auto Provisioning')}</ul></nav>`;
}

function settings(p: ProviderDetail): Html {
  const row = (term: string, value: Part) => html`<dt>${term}</dt><dd>${value ?? html`<span class="muted">–</span>`}</dd>`;
  const code = (v: string | undefined) => (v ? html`<code>${v}</code>` : undefined);
  const specific =
    p.type === 'oidc'
      ? [row('Issuer', code(p.issuer)), row('Client ID', code(p.clientId)), row('Client secret', secretState(p.clientSecret)), row('Scopes', p.scopes?.join(' '))]
      : [
          row('SP entity ID', code(p.issuer)),
          row('IdP metadata URL', code(p.metadataUrl)),
          row('IdP SSO URL', code(p.entryPoint)),
          row('IdP issuer', code(p.idpIssuer)),
          row('IdP certificates', Array.isArray(p.idpCert) ? p.idpCert.length : p.idpCert ? 1 : 0),
          row('SP signing key', secretState(p.privateKey)),
          row('SP decryption key', secretState(p.decryptionKey)),
        ];
  return html`<dl class="facts">${row('Id', code(p.id))}${row('Type', p.type.toUpperCase())}${row('Defined', sourceBadge(p))}${specific}
${row('Email domains', p.domains?.join(', '))}${row('Groups claim', code(p.claims?.groups))}${row('Organization', p.organization)}${row('Updated', p.updatedAt ? when(p.updatedAt) : undefined)}</dl>`;
}

/** The metadata refresh state, when the API reports one (SAML with a metadataUrl). */
function metadataStatus(s: MetadataStatus, now: number): Html {
  const certs = s.certificates.map((c) => {
    const days = Math.floor((Date.parse(c.notAfter) - now) / DAY_MS);
    const soon = days < EXPIRY_WARNING_DAYS ? html` <span class="warn" role="alert">${days < 0 ? 'expired' : `expires in ${days} days`}</span>` : '';
    return html`<li><code>${c.subject}</code> until ${when(c.notAfter)}${soon}</li>`;
  });
  return html`<section class="card" aria-labelledby="metadata-status"><h2 id="metadata-status">IdP metadata</h2>
<dl class="facts"><dt>URL</dt><dd><code>${s.url}</code></dd><dt>Last refreshed</dt><dd>${when(s.lastRefreshedAt)}</dd>
<dt>Last error</dt><dd>${s.lastError ? html`<span class="flash error">${s.lastError}</span>` : html`<span class="muted">none</span>`}</dd></dl>
<ul>${certs}</ul></section>`;
}

const SP_LABELS: Record<string, string> = { redirectUri: 'Redirect URI', acsUrl: 'ACS URL', spEntityId: 'SP entity ID', spMetadataUrl: 'SP metadata URL' };

function testResult(r: ProbeReport): Html {
  const sp = Object.entries(r.sp).map(
    ([k, v]) => html`<dt>${SP_LABELS[k] ?? k}</dt><dd><code id="sp-${k}">${v}</code> <button type="button" class="small secondary" data-copy-target="sp-${k}">Copy<span class="sr-only"> ${SP_LABELS[k] ?? k}</span></button></dd>`,
  );
  const checks = r.checks.map((c) => html`<tr><th scope="row"><code>${c.name}</code></th><td>${badge(c.ok ? 'ok' : 'failed', c.ok ? 'yes' : 'no')}</td><td>${c.detail}</td></tr>`);
  return html`<section class="card" aria-labelledby="test-result"><h2 id="test-result">Test connection: ${r.ok ? 'all checks passed' : 'a check failed'}</h2>
<table><caption class="sr-only">Checks</caption><thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead><tbody>${checks}</tbody></table>
<h3>For the IdP's admin</h3><dl class="facts" aria-label="Values for the IdP">${sp}</dl>
<details><summary>What the IdP publishes</summary><pre>${prettyJson(r.found)}</pre></details></section>`;
}

/** The webhook endpoints attached to this provider (Rafay's webhook on the identity provider), and a link to add one. */
async function attachedWebhooks(env: Env, p: ProviderDetail): Promise<Html> {
  if (!env.has('get', '/webhooks')) return html``;
  const { webhooks } = await env.call<{ webhooks: EndpointView[] }>('get', '/webhooks');
  const mine = webhooks.filter((w) => w.providers.includes(p.id));
  const rows = mine.map((w) => html`<li><a href="/admin/webhooks/${enc(w.id)}">${w.id}</a> <code>${w.url}</code> ${w.trigger}${w.enabled ? '' : html` ${badge('disabled', 'failed')}`}</li>`);
  return html`<section class="card" aria-labelledby="provider-webhooks"><h2 id="provider-webhooks">Webhooks</h2>
${rows.length ? html`<ul>${rows}</ul>` : html`<p class="muted">No endpoint is attached to this provider; endpoints attached to none fire for every provider.</p>`}
<p><a href="/admin/webhooks?provider=${enc(p.id)}#new-endpoint">Add a webhook for logins through ${nameOf(p)}</a></p></section>`;
}

async function providerPage(env: Env, report: ProbeReport | null): Promise<string> {
  const p = await env.call<ProviderDetail>('get', '/providers/{id}', { params: { id: pathParam(env.req, 'id') } });
  const runtime = p.source === 'database';
  const enabled = p.enabled !== false;
  const toggle = postButton(env.view, `/admin/providers/${enc(p.id)}/enabled`, enabled ? 'Disable' : 'Enable', {
    className: enabled ? 'secondary' : '',
    srSuffix: p.id,
    fields: { enabled: enabled ? 'false' : 'true' },
    ...(enabled ? { confirm: `Disable provider ${p.id}? Nobody can sign in through it until it is enabled again.` } : {}),
  });
  const manage = runtime
    ? html`<p class="row"><a class="button" href="/admin/providers/${enc(p.id)}/edit">Edit</a> ${toggle} <a class="button danger" href="/admin/providers/${enc(p.id)}/delete">Delete</a></p>
${enabled ? '' : html`<p class="flash error" role="status">Disabled: off the sign-in chooser, and its logins are refused.</p>`}`
    : html`<p class="muted">Defined in the config file: read-only here but for the first-login policy.</p>`;
  return consolePage(
    env.view,
    { title: nameOf(p), active: 'providers' },
    html`${providerTabs(p, 'settings')}${manage}${settings(p)}
<section class="card" aria-labelledby="policy"><h2 id="policy">First-login policy</h2>${policyForm(env, p, 'provider')}</section>
${p.metadataStatus ? metadataStatus(p.metadataStatus, env.ctx.now()) : ''}
${await attachedWebhooks(env, p)}
<form method="post" action="/admin/providers/${enc(p.id)}/test" class="card stack" aria-label="Test connection">${csrfInput(env.view)}
<p class="muted">Fetches the IdP's discovery document or metadata and checks it against these settings; shows the values to give the IdP.</p>
<label class="check"><input type="checkbox" name="allowPrivateNetwork"${p.allowPrivateNetwork ? html` checked` : ''}> The IdP is on a private network (loopback, LAN)</label>
<button type="submit">Test connection</button></form>
${report ? testResult(report) : ''}`,
  );
}

export const providerDetailPage: PageFn = (env) => providerPage(env, null);

export const testProviderAction: ActionFn = async (env) => {
  const report = await env.call<ProbeReport>('post', '/providers/{id}/test', {
    params: { id: pathParam(env.req, 'id') },
    body: { allowPrivateNetwork: field(env.req, 'allowPrivateNetwork') !== undefined },
  });
  return { render: await providerPage(env, report) };
};

export const deleteConfirmPage: PageFn = async (env) => {
  const p = await env.call<ProviderDetail>('get', '/providers/{id}', { params: { id: pathParam(env.req, 'id') } });
  return consolePage(
    env.view,
    { title: `Delete ${nameOf(p)}?`, active: 'providers' },
    html`<div class="card stack"><p>Its logins are refused on every instance within 5 seconds; a login in flight fails cleanly. Users who signed in through it keep their accounts and memberships.</p>
${postButton(env.view, `/admin/providers/${enc(p.id)}/delete`, 'Delete provider', { className: 'danger', srSuffix: p.id, confirm: `Delete provider ${p.id}?` })}
<p><a href="/admin/providers/${enc(p.id)}">Cancel</a></p></div>`,
  );
};

export const deleteProviderAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  await env.call('delete', '/providers/{id}', { params: { id } });
  return { redirect: '/admin/providers', flash: `Deleted ${id}.` };
};

export const setEnabledAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  const enabled = field(env.req, 'enabled') === 'true';
  await env.call('put', '/providers/{id}/enabled', { params: { id }, body: { enabled } });
  return { redirect: `/admin/providers/${enc(id)}`, flash: `${enabled ? 'Enabled' : 'Disabled'} ${id}.` };
};
