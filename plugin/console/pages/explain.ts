/**
 * The explain playground: pick a provider, paste claims, see what a login would do, mapper by
 * mapper and organization by organization, plus the raw JSON (as `gatehouse explain` prints it).
 */
import { isGatehouseError } from '../../errors.ts';
import type { MapperTrace, OrgTrace } from '../../mapping/types.ts';
import { field, type ActionFn, type Env, type PageFn } from '../env.ts';
import { html, prettyJson, type Html } from '../html.ts';
import { consolePage, csrfInput, options } from '../layout.ts';
import type { Explanation } from '../views.ts';

const SAMPLE = prettyJson({
  sub: 'jane',
  email: 'jane.doe@example.com',
  email_verified: true,
  name: 'Jane Doe',
  groups: ['chainloop_acme-corp_org-admin', 'chainloop_acme-corp_developers', 'home-lab'],
});

const yes = html`<span class="mark-yes" aria-hidden="true">✓</span><span class="sr-only">yes</span>`;
const no = html`<span class="mark-no" aria-hidden="true">✗</span><span class="sr-only">no</span>`;
const list = (xs: readonly string[] | undefined) => (xs && xs.length ? xs.join(', ') : '');

function orgRow(o: OrgTrace): Html {
  const missing = [...o.rolesMissing.map((r) => `role ${r}`), ...o.groupsMissing.map((g) => `group ${g}`)];
  const fallback = o.fallbackRole ? html`<br><span class="muted">fallback role ${o.fallbackRole.role ?? '–'}: ${o.fallbackRole.granted ? 'granted' : 'not granted'} (${o.fallbackRole.reason})</span>` : '';
  const dupes = o.duplicates?.length ? html`<br><span class="muted">already given: ${o.duplicates.map((d) => `${d.kind} ${d.name} (by ${d.keptBy})`).join(', ')}</span>` : '';
  return html`<tr><th scope="row">${o.organization}</th><td>${o.matched ? yes : no}</td><td>${o.reason}${o.policy ? html` <span class="muted">(${o.policy} rule)</span>` : ''}${o.claims?.length ? html`<br><span class="muted">from claims ${list(o.claims)}</span>` : ''}</td>
<td>${list(o.roles)}${fallback}</td><td>${list(o.groups)}${dupes}</td><td>${list(missing)}</td><td>${o.error ? html`<span class="flash error">${o.error}</span>` : ''}</td></tr>`;
}

function mapperSection(m: MapperTrace): Html {
  return html`<section class="mapper" aria-labelledby="mapper-${m.mapper}">
<h3 id="mapper-${m.mapper}">Mapper <code>${m.mapper}</code> <span class="muted">source ${m.source} · evaluated ${m.summary.evaluated}, matched ${m.summary.matched}${m.instanceAdmin ? ' · makes the user an instance admin' : ''}</span></h3>
${m.organizations.length
  ? html`<table><caption class="sr-only">Organizations seen by ${m.mapper}</caption><thead><tr><th scope="col">Organization</th><th scope="col">Joins</th><th scope="col">Why</th><th scope="col">Roles</th><th scope="col">Groups</th><th scope="col">Missing in org</th><th scope="col">Error</th></tr></thead>
<tbody>${m.organizations.map(orgRow)}</tbody></table>`
  : html`<p class="muted">No organization from this mapper.</p>`}
${m.ignored.length ? html`<p>Ignored:</p><ul>${m.ignored.map((i) => html`<li><code>${i.value}</code>: ${i.reason}</li>`)}</ul>` : ''}
${m.notes.length ? html`<ul class="muted">${m.notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}
</section>`;
}

/** The outcome of an explain run (also the provider page's "try it" pane). */
export function explanationHtml(x: Explanation): Html {
  const c = x.claims;
  const diff = x.diff as { add: string[]; remove: string[]; keep: string[]; note?: string };
  return html`<section aria-labelledby="outcome" class="card">
<h2 id="outcome">Outcome</h2>
<dl class="facts">
<dt>Provider</dt><dd>${x.provider} (${x.syncMode})</dd>
<dt>Existing user</dt><dd>${x.user ? html`<a href="/admin/users/${encodeURIComponent(x.user.id)}">${x.user.email ?? x.user.id}</a> (${x.user.status})` : 'none: a first login'}</dd>
<dt>Access</dt><dd>${x.wouldBlock ? html`<strong>blocked</strong>: ${x.wouldBlock}` : x.hasEntitlement ? 'granted' : 'no membership from the claims'}</dd>
<dt>Instance admin</dt><dd>${x.instanceAdmin ? 'yes' : 'no'}</dd>
<dt>Normalized claims</dt><dd>subject <code>${c.subject}</code>, email <code>${c.email ?? '–'}</code>${c.emailVerified ? ' (verified)' : ' (not verified)'}, groups <code>${list(c.groups) || '–'}</code></dd>
</dl></section>
<h2>Rule by rule</h2>
<div class="trace">${x.mappers.map(mapperSection)}</div>
${x.errors.length ? html`<h2>Errors (the organization was skipped)</h2><ul>${x.errors.map((e) => html`<li><code>${e.mapper}</code> ${e.organization ?? ''}: ${e.message}</li>`)}</ul>` : ''}
<h2>Memberships the login would apply</h2>
${diff.note ? html`<p class="muted">${diff.note}</p>` : ''}
<table><caption class="sr-only">Membership changes</caption><thead><tr><th scope="col">Add</th><th scope="col">Remove</th><th scope="col">Keep</th></tr></thead>
<tbody><tr><td>${diff.add.map((a) => html`<div><code>${a}</code></div>`)}</td><td>${diff.remove.map((a) => html`<div><code>${a}</code></div>`)}</td><td>${diff.keep.map((a) => html`<div><code>${a}</code></div>`)}</td></tr></tbody></table>
<details><summary>Raw JSON (as <code>gatehouse explain</code> prints it)</summary><pre aria-label="Raw explain output">${prettyJson(x)}</pre></details>`;
}

async function explainPage(env: Env, input: { provider?: string | undefined; claims: string }, outcome: Explanation | null): Promise<string> {
  const providers = [...env.ctx.runtime.current().providers.values()].map((p) => ({ value: p.config.id, label: `${p.config.displayName ?? p.config.id} (${p.config.type.toUpperCase()})` }));
  return consolePage(
    env.view,
    { title: 'Explain', active: 'explain', lead: 'A dry run of a login with these claims: nothing is written.' },
    html`<form method="post" action="/admin/explain" class="card stack" aria-label="Explain a login">${csrfInput(env.view)}
<label>Provider <select name="provider">${options(providers, input.provider)}</select></label>
<label>Claims (JSON object, as the IdP sends them) <textarea name="claims" spellcheck="false" required>${input.claims}</textarea></label>
<button type="submit">Explain</button>
</form>
${outcome ? explanationHtml(outcome) : ''}`,
  );
}

export const explainFormPage: PageFn = (env) => explainPage(env, { claims: SAMPLE }, null);

export const explainAction: ActionFn = async (env) => {
  const provider = field(env.req, 'provider');
  const text = field(env.req, 'claims') ?? '';
  const fail = async (message: string, status: number) => {
    env.view.flash = { kind: 'error', text: message };
    env.res.status(status);
    return { render: await explainPage(env, { provider, claims: text }, null) };
  };
  let claims: unknown;
  try {
    claims = JSON.parse(text);
  } catch (e) {
    return fail(`claims: not valid JSON (${(e as Error).message})`, 400);
  }
  try {
    const outcome = await env.call<Explanation>('post', '/explain', { body: { provider, claims } });
    return { render: await explainPage(env, { provider, claims: text }, outcome) };
  } catch (e) {
    if (!isGatehouseError(e)) throw e;
    return fail(e.message, e.status);
  }
};
