/** The waiting room (console side), IdP users, and one user with "Manage groups" (seed 003). */
import { effectivePolicy } from '../../login/gate.ts';
import { field, param, pathParam, type ActionFn, type Env, type PageFn } from '../env.ts';
import { actorFormatter, type ActorFormatter } from '../actors.ts';
import { html, when, type Html } from '../html.ts';
import { badge, consolePage, csrfInput, options, postButton, queryString } from '../layout.ts';
import type { Organization, UserDetail, UserPage, UserView } from '../views.ts';
import { defaultSortDir, type SortDir, type UserSort } from '../../ports.ts';
import { USER_STATUSES } from '../../types.ts';
import { accountSection } from './user-lifecycle.ts';


export function displayName(u: UserView): string {
  return u.displayName ?? ([u.givenName, u.familyName].filter(Boolean).join(' ') || '');
}

function approveReject(env: Env, u: UserView, back: 'waiting' | 'user'): Html {
  const who = u.email ?? u.id;
  return html`${u.status !== 'active' && u.status !== 'deprovisioned' ? postButton(env.view, `/admin/users/${encodeURIComponent(u.id)}/approve`, 'Approve', { srSuffix: who, fields: { back } }) : ''}
${u.status !== 'rejected' ? postButton(env.view, `/admin/users/${encodeURIComponent(u.id)}/reject`, 'Reject', { className: 'small danger', srSuffix: who, confirm: `Reject ${who}? Their sessions end at once.`, fields: { back } }) : ''}`;
}

const userLink = (u: UserView) => html`<a href="/admin/users/${encodeURIComponent(u.id)}">${u.email ?? u.id}</a>`;

export const waitingRoomPage: PageFn = async (env) => {
  const cursor = param(env.req, 'cursor');
  const page = await env.call<UserPage>('get', '/users', { query: { status: 'pending_approval', limit: '100', cursor } });
  const gated: string[] = [];
  for (const p of env.ctx.runtime.current().providers.values()) {
    if ((await effectivePolicy(env.ctx.store, p.config.id, p.config.firstLoginPolicy)) === 'pending_approval') gated.push(p.config.displayName ?? p.config.id);
  }
  const rows = page.users.map(
    (u) => html`<tr><td>${userLink(u)}</td><td>${displayName(u)}</td><td>${when(u.createdAt)}</td><td class="actions">${approveReject(env, u, 'waiting')}</td></tr>`,
  );
  return consolePage(
    env.view,
    {
      title: 'Waiting room',
      active: 'waiting',
      lead: gated.length
        ? html`New users of ${gated.join(', ')} wait here until approved (<a href="/admin/policies">login policies</a>).`
        : html`No provider is set to <code>pending_approval</code> now (<a href="/admin/policies">login policies</a>); users who waited before are still listed.`,
    },
    html`<table><caption class="sr-only">Users waiting for approval</caption>
<thead><tr><th scope="col">Email</th><th scope="col">Name</th><th scope="col">Waiting since</th><th scope="col">Decision</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="4" class="muted">Nobody is waiting.</td></tr>`}</tbody></table>
${page.nextCursor ? html`<p class="pager"><a href="/admin/waiting-room${queryString({ cursor: page.nextCursor })}">More waiting users</a></p>` : ''}
<p class="muted">Approving provisions the user at once from the claims of their last login; overrides can be added on the user's page.</p>`,
  );
};

/** The sort and direction the list is in (after the API accepted them), and those given in the URL. */
interface Ordering {
  sort: UserSort;
  dir: SortDir;
  given: { sort: string | undefined; dir: string | undefined };
}

/** A column header that sorts by `key`: the current column flips its direction, others start at their natural one. */
function sortHeader(label: string, key: UserSort, order: Ordering, filter: Record<string, string | undefined>): Html {
  const active = order.sort === key;
  const dir: SortDir = active ? (order.dir === 'asc' ? 'desc' : 'asc') : defaultSortDir(key);
  const href = `/admin/users${queryString({ ...filter, sort: key, dir })}`;
  const state = active ? (order.dir === 'asc' ? 'ascending' : 'descending') : null;
  return html`<th scope="col"${state ? html` aria-sort="${state}"` : ''}><a href="${href}">${label}${active ? (order.dir === 'asc' ? ' ▲' : ' ▼') : ''}<span class="sr-only">, sort ${dir === 'asc' ? 'ascending' : 'descending'}</span></a></th>`;
}

export const usersPage: PageFn = async (env) => {
  const filter = { q: param(env.req, 'q'), status: param(env.req, 'status'), provider: param(env.req, 'provider') };
  const given = { sort: param(env.req, 'sort'), dir: param(env.req, 'dir') };
  // The API validates sort and dir (400 on anything else) before they are used below.
  const page = await env.call<UserPage>('get', '/users', { query: { ...filter, ...given, cursor: param(env.req, 'cursor'), limit: '50' } });
  const sort = (given.sort ?? 'created') as UserSort;
  const order: Ordering = { sort, dir: (given.dir as SortDir | undefined) ?? defaultSortDir(sort), given };
  const providers = [...env.ctx.runtime.current().providers.values()].map((p) => ({ value: p.config.id, label: p.config.displayName ?? p.config.id }));
  const rows = page.users.map(
    (u) =>
      html`<tr><td>${userLink(u)}</td><td>${displayName(u)}</td><td>${badge(u.status)}</td><td>${u.instanceAdmin ? badge('yes') : ''}</td><td>${when(u.createdAt)}</td></tr>`,
  );
  return consolePage(
    env.view,
    { title: 'IdP users', active: 'users', lead: html`Everyone who signed in through an identity provider, was provisioned by SCIM or <a href="/admin/users/new">added by hand</a>.` },
    html`<form class="filters" method="get" action="/admin/users" role="search" aria-label="Filter users">
<label>Search <input type="search" name="q" size="30" value="${filter.q ?? ''}" placeholder="email, username or name"></label>
<label>Status <select name="status"><option value="">any</option>${options(USER_STATUSES.map((s) => ({ value: s, label: s.replace('_', ' ') })), filter.status)}</select></label>
<label>Provider <select name="provider"><option value="">any</option>${options(providers, filter.provider)}</select></label>
${given.sort ? html`<input type="hidden" name="sort" value="${given.sort}">` : ''}${given.dir ? html`<input type="hidden" name="dir" value="${given.dir}">` : ''}
<button type="submit">Filter</button> <a href="/admin/users">Clear</a>
</form>
<table><caption class="sr-only">Users</caption>
<thead><tr>${sortHeader('Email', 'email', order, filter)}<th scope="col">Name</th>${sortHeader('Status', 'status', order, filter)}<th scope="col">Instance admin</th>${sortHeader('Created', 'created', order, filter)}</tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="5" class="muted">No user matches.</td></tr>`}</tbody></table>
${page.nextCursor ? html`<p class="pager"><a href="/admin/users${queryString({ ...filter, ...given, cursor: page.nextCursor })}">Next page</a></p>` : ''}`,
  );
};

function manageGroups(env: Env, detail: UserDetail, orgs: Organization[], actor: ActorFormatter): Html {
  const userId = encodeURIComponent(detail.user.id);
  const chosen = orgs.find((o) => o.id === param(env.req, 'org')) ?? orgs[0];
  const overrides = detail.overrides.map(
    (m) =>
      html`<tr><td>${m.organization}</td><td>${m.kind}</td><td>${m.name}</td><td>${actor(m.mapper)}</td><td>${when(m.createdAt)}</td>
<td class="actions">${postButton(env.view, `/admin/users/${userId}/overrides/${encodeURIComponent(m.id)}/delete`, 'Remove', { className: 'small danger', srSuffix: `${m.kind} ${m.name} in ${m.organization}` })}</td></tr>`,
  );
  const addForm = chosen
    ? html`<form method="post" action="/admin/users/${userId}/overrides" class="inline" aria-label="Add an override">
${csrfInput(env.view)}<input type="hidden" name="organization" value="${chosen.id}">
<label>Role in ${chosen.id} <select name="role"><option value="">— no role —</option>${options(chosen.roles, undefined)}</select></label>
<label>Group in ${chosen.id} <select name="group"><option value="">— no group —</option>${options(chosen.groups, undefined)}</select></label>
<button type="submit">Add override</button>
</form>`
    : html`<p class="muted">No organization exists yet.</p>`;
  return html`<section aria-labelledby="manage-groups" class="card">
<h2 id="manage-groups">Manage groups</h2>
<p class="muted">Overrides are memberships set by an admin (source <code>override</code>); SSO sync never removes them, even in MANAGED mode.</p>
<table><caption class="sr-only">Overrides</caption>
<thead><tr><th scope="col">Organization</th><th scope="col">Kind</th><th scope="col">Name</th><th scope="col">Set by</th><th scope="col">Since</th><th scope="col">Action</th></tr></thead>
<tbody>${overrides.length ? overrides : html`<tr><td colspan="6" class="muted">No overrides.</td></tr>`}</tbody></table>
<h3>Add an override</h3>
<form method="get" action="/admin/users/${userId}#manage-groups" class="inline" aria-label="Choose the organization">
<label>Organization <select name="org" data-autosubmit>${options(orgs.map((o) => o.id), chosen?.id)}</select></label>
<button type="submit" class="secondary">Show its roles and groups</button>
</form>
${addForm}
</section>`;
}

export const userDetailPage: PageFn = async (env) => {
  const id = pathParam(env.req, 'id');
  const detail = await env.call<UserDetail>('get', '/users/{id}', { params: { id } });
  const { organizations } = await env.call<{ organizations: Organization[] }>('get', '/organizations');
  const u = detail.user;
  const actor = await actorFormatter(env.ctx, detail.memberships.map((m) => m.mapper));
  const identities = detail.identities.map(
    (i) => html`<tr><td>${i.provider}</td><td><code>${i.subject}</code></td><td>${i.email ?? ''}</td><td>${when(i.createdAt)}</td><td>${when(i.lastLoginAt)}</td></tr>`,
  );
  const memberships = detail.memberships.map(
    (m) => html`<tr><td>${m.organization}</td><td>${m.kind}</td><td>${m.name}</td><td>${badge(m.source)}</td><td>${actor(m.mapper)}</td><td>${when(m.createdAt)}</td></tr>`,
  );
  const effective = detail.effective.map(
    (e) => html`<tr><td>${e.organization}</td><td>${e.roles.join(', ')}</td><td>${e.groups.join(', ')}</td></tr>`,
  );
  return consolePage(
    env.view,
    { title: u.email ?? u.id, active: 'users', lead: html`<a href="/admin/users">All users</a>` },
    html`<section class="card" aria-labelledby="facts"><h2 id="facts" class="sr-only">Facts</h2>
<dl class="facts">
<dt>Status</dt><dd>${badge(u.status)} ${approveReject(env, u, 'user')}</dd>
<dt>Name</dt><dd>${displayName(u) || html`<span class="muted">–</span>`}</dd>
<dt>Username</dt><dd>${u.username ?? ''}</dd>
<dt>Instance admin</dt><dd>${u.instanceAdmin ? 'yes' : 'no'}</dd>
<dt>External id</dt><dd>${u.externalId ?? html`<span class="muted">–</span>`}</dd>
<dt>User id</dt><dd><code>${u.id}</code></dd>
<dt>Created</dt><dd>${when(u.createdAt)}</dd>
</dl></section>
<h2>Identities</h2>
<table><caption class="sr-only">Identities</caption><thead><tr><th scope="col">Provider</th><th scope="col">Subject</th><th scope="col">Email</th><th scope="col">Linked</th><th scope="col">Last login</th></tr></thead>
<tbody>${identities.length ? identities : html`<tr><td colspan="5" class="muted">No identity (added by hand or by SCIM; linked at first login).</td></tr>`}</tbody></table>
<h2>Effective access</h2>
<table><caption class="sr-only">Effective access</caption><thead><tr><th scope="col">Organization</th><th scope="col">Roles</th><th scope="col">Groups</th></tr></thead>
<tbody>${effective.length ? effective : html`<tr><td colspan="3" class="muted">No membership.</td></tr>`}</tbody></table>
<h2>Memberships and their sources</h2>
<table><caption class="sr-only">Memberships</caption><thead><tr><th scope="col">Organization</th><th scope="col">Kind</th><th scope="col">Name</th><th scope="col">Source</th><th scope="col">Mapper / set by</th><th scope="col">Since</th></tr></thead>
<tbody>${memberships.length ? memberships : html`<tr><td colspan="6" class="muted">No membership.</td></tr>`}</tbody></table>
${manageGroups(env, detail, organizations, actor)}
${accountSection(env, u)}
<p><a href="/admin/audit${queryString({ user: u.id })}">Audit entries of this user</a></p>`,
  );
};

const userPath = (id: string) => `/admin/users/${encodeURIComponent(id)}`;
const backTo = (env: Env, id: string) => (field(env.req, 'back') === 'waiting' ? '/admin/waiting-room' : userPath(id));

export const approveAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  const d = await env.call<UserDetail>('post', '/users/{id}/approve', { params: { id } });
  return { redirect: backTo(env, id), flash: `Approved ${d.user.email ?? id}.` };
};

export const rejectAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  const d = await env.call<UserDetail>('post', '/users/{id}/reject', { params: { id } });
  return { redirect: backTo(env, id), flash: `Rejected ${d.user.email ?? id}; their sessions ended.` };
};

export const addOverrideAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  const organization = field(env.req, 'organization') ?? '';
  const role = field(env.req, 'role');
  const group = field(env.req, 'group');
  await env.call('post', '/users/{id}/overrides', { params: { id }, body: { organization, ...(role ? { role } : {}), ...(group ? { group } : {}) } });
  const what = [role && `role ${role}`, group && `group ${group}`].filter(Boolean).join(' and ');
  return { redirect: `${userPath(id)}?org=${encodeURIComponent(organization)}#manage-groups`, flash: `Added ${what} in ${organization}.` };
};

export const removeOverrideAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  await env.call('delete', '/users/{id}/overrides/{overrideId}', { params: { id, overrideId: pathParam(env.req, 'overrideId') } });
  return { redirect: `${userPath(id)}#manage-groups`, flash: 'Override removed.' };
};
