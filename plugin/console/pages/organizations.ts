/**
 * Organizations with their roles and groups: the list, a new organization, a role or group
 * added to one. Through `POST /admin/api/organizations` and its role/group routes; without a
 * catalog writer (library mode without one) the page is read-only.
 */
import { field, type ActionFn, type Env, type PageFn } from '../env.ts';
import { html, type Html } from '../html.ts';
import { consolePage, csrfInput, queryString } from '../layout.ts';
import type { Organization } from '../views.ts';

const DEFAULT_ROLES = 'owner, admin, viewer, member, contributor';

/** `a, Org Admin` -> `[a, Org Admin]`: role and group names are typed as a comma-separated list. */
function nameList(value: string | undefined): string[] {
  return [...new Set((value ?? '').split(',').map((n) => n.trim()).filter(Boolean))];
}

const names = (list: string[]) => (list.length ? list.map((n) => html`<code>${n}</code> `) : html`<span class="muted">none</span>`);

function addNameForm(env: Env, org: Organization, kind: 'role' | 'group'): Html {
  const id = `add-${kind}-${org.id}`;
  return html`<form method="post" action="/admin/organizations/${encodeURIComponent(org.id)}/${kind}s" class="row">${csrfInput(env.view)}
<label for="${id}" class="sr-only">New ${kind} in ${org.id}</label><input id="${id}" type="text" name="name" required maxlength="191" size="14" placeholder="new ${kind}" autocomplete="off">
<button type="submit" class="small secondary">Add ${kind}<span class="sr-only"> to ${org.id}</span></button></form>`;
}

export const organizationsPage: PageFn = async (env) => {
  const { organizations } = await env.call<{ organizations: Organization[] }>('get', '/organizations');
  const writable = env.has('post', '/organizations');
  const rows = organizations.map(
    (o) => html`<tr><th scope="row">${o.id}${o.name ? html`<br><span class="muted">${o.name}</span>` : ''}</th>
<td>${names(o.roles)}${writable ? addNameForm(env, o, 'role') : ''}</td>
<td>${names(o.groups)}${writable ? addNameForm(env, o, 'group') : ''}</td>
<td class="actions"><a href="/admin/users/new${queryString({ org: o.id })}">Add a user<span class="sr-only"> to ${o.id}</span></a></td></tr>`,
  );
  const create = writable
    ? html`<section class="card" aria-labelledby="new-org"><h2 id="new-org">New organization</h2>
<form method="post" action="/admin/organizations" class="inline">${csrfInput(env.view)}
<label>Id <input type="text" name="id" required maxlength="191" size="16" placeholder="acme-corp" autocomplete="off"></label>
<label>Name <input type="text" name="name" maxlength="255" size="18" placeholder="Acme Corporation" autocomplete="off"></label>
<label>Roles <input type="text" name="roles" size="34" value="${DEFAULT_ROLES}"></label>
<label>Groups <input type="text" name="groups" size="24" placeholder="developers, auditors"></label>
<button type="submit">Create organization</button></form>
<p class="muted">Roles and groups are comma-separated names. Mapping never creates one: rules, overrides and pre-provisioned users pick from these.</p></section>`
    : html`<p class="muted">The catalog is read-only here (no catalog writer is configured).</p>`;
  return consolePage(
    env.view,
    { title: 'Organizations', active: 'organizations', lead: 'Organizations with the roles and groups that exist in them; names are only ever added.' },
    html`${create}
<table><caption class="sr-only">Organizations</caption>
<thead><tr><th scope="col">Organization</th><th scope="col">Roles</th><th scope="col">Groups</th><th scope="col">Users</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="4" class="muted">No organization yet.</td></tr>`}</tbody></table>`,
  );
};

export const createOrganizationAction: ActionFn = async (env) => {
  const id = field(env.req, 'id') ?? '';
  const name = field(env.req, 'name');
  const body = { id, ...(name ? { name } : {}), roles: nameList(field(env.req, 'roles')), groups: nameList(field(env.req, 'groups')) };
  const org = await env.call<Organization>('post', '/organizations', { body });
  return { redirect: '/admin/organizations', flash: `Created ${org.id} with roles ${org.roles.join(', ') || 'none'}.` };
};

export const addNameAction =
  (kind: 'role' | 'group'): ActionFn =>
  async (env) => {
    const orgId = String(env.req.params.id ?? '');
    const name = field(env.req, 'name') ?? '';
    await env.call('post', `/organizations/{id}/${kind}s`, { params: { id: orgId }, body: { name } });
    return { redirect: '/admin/organizations', flash: `Added ${kind} ${name} to ${orgId}.` };
  };
