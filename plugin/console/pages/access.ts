/** Who gets in: FirstLoginPolicy per provider, allowlist overrides, SCIM and admin API tokens. */
import type { ApiTokenKind } from '../../ports.ts';
import { field, pathParam, type ActionFn, type Env, type PageFn } from '../env.ts';
import { actorFormatter } from '../actors.ts';
import { html, when, type Html } from '../html.ts';
import { badge, consolePage, csrfInput, options, postButton } from '../layout.ts';
import type { AllowlistView, MintedTokenView, ProviderView, TokenView } from '../views.ts';

export const POLICIES = [
  { value: 'allow', label: 'allow (active at once)' },
  { value: 'pending_approval', label: 'pending_approval (waiting room)' },
  { value: 'reject', label: 'reject (unknown users refused)' },
];

export const policiesPage: PageFn = async (env) => {
  const { providers } = await env.call<{ providers: ProviderView[] }>('get', '/providers');
  const rows = providers.map((p) => {
    const id = `policy-${p.id}`;
    return html`<tr><td><strong>${p.displayName ?? p.id}</strong>${p.displayName ? html`<br><code>${p.id}</code>` : ''}</td><td>${p.type.toUpperCase()}</td><td>${p.organization ?? html`<span class="muted">all</span>`}</td>
<td>${badge(p.firstLoginPolicy, p.firstLoginPolicy === 'allow' ? 'active' : p.firstLoginPolicy === 'reject' ? 'rejected' : 'pending')}</td><td><code>${p.configuredFirstLoginPolicy}</code></td>
<td><form method="post" action="/admin/providers/${encodeURIComponent(p.id)}/policy" class="row">${csrfInput(env.view)}
<label for="${id}" class="sr-only">First-login policy for ${p.displayName ?? p.id}</label>
<select id="${id}" name="firstLoginPolicy">${options(POLICIES, p.firstLoginPolicy)}</select>
<button type="submit">Save<span class="sr-only"> policy for ${p.id}</span></button></form></td></tr>`;
  });
  return consolePage(
    env.view,
    {
      title: 'Login policies',
      active: 'policies',
      lead: 'What happens when someone unknown signs in for the first time (FirstLoginPolicy). The setting here is stored and wins over the config file, on every instance.',
    },
    html`<table><caption class="sr-only">Providers and their first-login policy</caption>
<thead><tr><th scope="col">Provider</th><th scope="col">Type</th><th scope="col">Organization</th><th scope="col">In force</th><th scope="col">Config file</th><th scope="col">Change</th></tr></thead>
<tbody>${rows}</tbody></table>
<p class="muted">Known users always get in (unless rejected or deprovisioned); users pre-provisioned by SCIM or by hand get in under <code>reject</code>.</p>`,
  );
};

/** The policy toggle sits on the policies page and on the provider pages; it returns where it was used. */
export function policyBack(req: Env['req']): string {
  const back = field(req, 'back');
  if (back === 'providers') return '/admin/providers';
  if (back === 'provider') return `/admin/providers/${encodeURIComponent(pathParam(req, 'id'))}`;
  return '/admin/policies';
}

export const setPolicyAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  const policy = field(env.req, 'firstLoginPolicy');
  await env.call('put', '/providers/{id}/policy', { params: { id }, body: { firstLoginPolicy: policy } });
  return { redirect: policyBack(env.req), flash: `${id}: first-login policy is now ${policy}.` };
};

export const allowlistPage: PageFn = async (env) => {
  const a = await env.call<AllowlistView>('get', '/allowlist');
  const actor = await actorFormatter(env.ctx, a.entries.map((e) => e.createdBy));
  const rows = a.entries.map(
    (e) =>
      html`<tr><td><code>${e.entry}</code></td><td>${actor(e.createdBy)}</td><td>${when(e.createdAt)}</td>
<td class="actions">${postButton(env.view, `/admin/allowlist/${encodeURIComponent(e.id)}/delete`, 'Remove', { className: 'small danger', srSuffix: e.entry, confirm: `Remove ${e.entry} from the allowlist?` })}</td></tr>`,
  );
  const state = !a.enabled
    ? html`<p class="flash error" role="note">The allowlist is <strong>off</strong> (<code>allowlist.enabled: false</code>): everyone may sign in. Entries below count once it is on.</p>`
    : !a.allowDbOverrides
      ? html`<p class="flash error" role="note">Entries added here do <strong>not</strong> count: <code>allowlist.allowDbOverrides</code> is false in the config.</p>`
      : html`<p class="muted">The allowlist is on: an email must match a config entry or an entry below.</p>`;
  return consolePage(
    env.view,
    { title: 'Allowlist', active: 'allowlist', lead: 'Exact email addresses or @domain entries, case-insensitive.' },
    html`${state}
<h2>From the config file</h2>
<p>${a.configEntries.length ? a.configEntries.map((e) => html`<code>${e}</code> `) : html`<span class="muted">none</span>`}</p>
<h2>Added at run time</h2>
<form method="post" action="/admin/allowlist" class="inline">${csrfInput(env.view)}
<label>Email or @domain <input type="text" name="entry" required maxlength="320" size="34" placeholder="jane@example.com or @example.com" autocomplete="off"></label>
<button type="submit">Add entry</button></form>
<table><caption class="sr-only">Allowlist entries added at run time</caption>
<thead><tr><th scope="col">Entry</th><th scope="col">Added by</th><th scope="col">Added</th><th scope="col">Action</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="4" class="muted">No entry.</td></tr>`}</tbody></table>`,
  );
};

export const addAllowlistAction: ActionFn = async (env) => {
  const entry = field(env.req, 'entry') ?? '';
  await env.call('post', '/allowlist', { body: { entry } });
  return { redirect: '/admin/allowlist', flash: `Added ${entry}.` };
};

export const removeAllowlistAction: ActionFn = async (env) => {
  await env.call('delete', '/allowlist/{id}', { params: { id: pathParam(env.req, 'id') } });
  return { redirect: '/admin/allowlist', flash: 'Entry removed.' };
};

interface TokenKindInfo {
  kind: ApiTokenKind;
  base: '/scim-tokens' | '/admin-tokens';
  title: string;
  what: string;
  active: 'scim-tokens' | 'admin-tokens';
}

export const TOKEN_KINDS: Record<ApiTokenKind, TokenKindInfo> = {
  scim: { kind: 'scim', base: '/scim-tokens', title: 'SCIM tokens', what: 'SCIM token', active: 'scim-tokens' },
  admin: { kind: 'admin', base: '/admin-tokens', title: 'Admin API tokens', what: 'admin API token', active: 'admin-tokens' },
};

function mintedBox(t: MintedTokenView): Html {
  return html`<section class="secret" aria-labelledby="minted-title">
<h2 id="minted-title">New token “${t.name}”</h2>
<p><strong>Copy it now: it is shown this once.</strong> Only its hash is stored.</p>
<p><code id="minted-token">${t.token}</code><button type="button" class="small" data-copy-target="minted-token">Copy<span class="sr-only"> the token</span></button></p>
</section>`;
}

async function tokensPage(env: Env, k: TokenKindInfo, minted: MintedTokenView | null): Promise<string> {
  const { tokens } = await env.call<{ tokens: TokenView[] }>('get', k.base);
  const scim = env.ctx.config.scim;
  const actor = await actorFormatter(env.ctx, tokens.map((t) => t.createdBy));
  const rows = tokens.map(
    (t) =>
      html`<tr><td>${t.name}</td><td><code>${t.hint}</code></td>${k.kind === 'scim' ? html`<td>${t.provider ?? html`<span class="muted">any</span>`}</td>` : ''}<td>${actor(t.createdBy)}</td><td>${when(t.createdAt)}</td><td>${when(t.lastUsedAt)}</td>
<td>${t.revokedAt ? html`${badge('revoked')} ${when(t.revokedAt)}` : badge('active')}</td>
<td class="actions">${t.revokedAt ? '' : postButton(env.view, `/admin${k.base}/${encodeURIComponent(t.id)}/revoke`, 'Revoke', { className: 'small danger', srSuffix: t.name, confirm: `Revoke ${t.name}? Clients using it get 401 at once.` })}</td></tr>`,
  );
  const providers = [...env.ctx.runtime.current().providers.values()].map((p) => ({ value: p.config.id, label: p.config.displayName ?? p.config.id }));
  const lead =
    k.kind === 'scim'
      ? html`Bearer tokens for your IdP's SCIM client (${scim.enabled ? html`endpoint <code>${scim.basePath}</code>` : html`SCIM is <strong>off</strong> in the config`}).`
      : html`Bearer tokens for automation against <code>/admin/api</code> (see the OpenAPI document at <a href="/admin/api/openapi.json">/admin/api/openapi.json</a>).`;
  return consolePage(
    env.view,
    { title: k.title, active: k.active, lead },
    html`${minted ? mintedBox(minted) : ''}
<form method="post" action="/admin${k.base}" class="inline" aria-label="Mint a ${k.what}">${csrfInput(env.view)}
<label>Name <input type="text" name="name" required maxlength="191" size="24" placeholder="${k.kind === 'scim' ? 'okta-prod' : 'terraform'}" autocomplete="off"></label>
${k.kind === 'scim' ? html`<label>Bound to provider <select name="provider"><option value="">any</option>${options(providers, undefined)}</select></label>` : ''}
<button type="submit">Mint token</button></form>
<table><caption class="sr-only">${k.title}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Starts with</th>${k.kind === 'scim' ? html`<th scope="col">Provider</th>` : ''}<th scope="col">Minted by</th><th scope="col">Minted</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="8" class="muted">No token yet.</td></tr>`}</tbody></table>`,
  );
}

export const tokensPageFor =
  (kind: ApiTokenKind): PageFn =>
  (env) =>
    tokensPage(env, TOKEN_KINDS[kind], null);

/** Mints and renders the token in this response only: it never goes through the session. */
export const mintTokenAction =
  (kind: ApiTokenKind): ActionFn =>
  async (env) => {
    const k = TOKEN_KINDS[kind];
    const provider = kind === 'scim' ? field(env.req, 'provider') : undefined;
    const minted = await env.call<MintedTokenView>('post', k.base, { body: { name: field(env.req, 'name') ?? '', ...(provider ? { provider } : {}) } });
    env.view.flash = { kind: 'ok', text: `Minted ${k.what} “${minted.name}”.` };
    return { render: await tokensPage(env, k, minted) };
  };

export const revokeTokenAction =
  (kind: ApiTokenKind): ActionFn =>
  async (env) => {
    const k = TOKEN_KINDS[kind];
    await env.call('delete', `${k.base}/{id}`, { params: { id: pathParam(env.req, 'id') } });
    return { redirect: `/admin${k.base}`, flash: `Revoked the ${k.what}.` };
  };
