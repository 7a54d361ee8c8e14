/**
 * Pre-provision a user by hand (Pangolin's manual flow, for a provider under `reject` or without
 * auto-provisioning): email, provider, organization, roles and groups, through
 * `POST /admin/api/users`. The organization is picked first (a GET form), so that its own roles
 * and groups are offered.
 */
import { field, fields, param, type ActionFn, type PageFn } from '../env.ts';
import { html } from '../html.ts';
import { consolePage, csrfInput, options } from '../layout.ts';
import type { Organization, UserDetail } from '../views.ts';

const checks = (name: 'roles' | 'groups', values: string[]) =>
  values.length
    ? values.map((v) => html`<label class="check"><input type="checkbox" name="${name}" value="${v}"> ${v}</label>`)
    : html`<span class="muted">none in this organization</span>`;

export const newUserPage: PageFn = async (env) => {
  const { organizations } = await env.call<{ organizations: Organization[] }>('get', '/organizations');
  const org = organizations.find((o) => o.id === param(env.req, 'org'));
  const providers = [...env.ctx.runtime.current().providers.values()].map((p) => ({ value: p.config.id, label: p.config.displayName ?? p.config.id }));
  return consolePage(
    env.view,
    {
      title: 'Add a user',
      active: 'users',
      lead: html`An active user before any login, for a provider set to <code>reject</code> or without auto-provisioning. Their first sign-in links by verified email; roles and groups given here are overrides.`,
    },
    html`<form method="get" action="/admin/users/new" class="inline" aria-label="Choose the organization">
<label>Organization <select name="org" data-autosubmit><option value="">— none —</option>${options(organizations.map((o) => o.id), org?.id)}</select></label>
<button type="submit" class="secondary">Show its roles and groups</button>
</form>
<form method="post" action="/admin/users/new" class="card stack" aria-label="Add a user">${csrfInput(env.view)}
${org ? html`<input type="hidden" name="organization" value="${org.id}">` : ''}
<div class="row">
<label>Email <input type="email" name="email" required maxlength="320" size="30" autocomplete="off" placeholder="jane@example.com"></label>
<label>Provider <select name="provider"><option value="">any</option>${options(providers, undefined)}</select></label>
<label>Given name <input type="text" name="givenName" maxlength="255" size="14" autocomplete="off"></label>
<label>Family name <input type="text" name="familyName" maxlength="255" size="14" autocomplete="off"></label>
</div>
${
  org
    ? html`<fieldset><legend>Roles in ${org.id}</legend>${checks('roles', org.roles)}</fieldset>
<fieldset><legend>Groups in ${org.id}</legend>${checks('groups', org.groups)}</fieldset>
<p class="muted">No role ticked: the provider's default role applies, if it has one.</p>`
    : html`<p class="muted">No organization: the user gets memberships from their first login only.</p>`
}
<button type="submit">Add user</button>
</form>`,
  );
};

export const createUserAction: ActionFn = async (env) => {
  const optional = (name: string) => {
    const v = field(env.req, name);
    return v === undefined ? {} : { [name]: v };
  };
  const organization = field(env.req, 'organization');
  const body = {
    email: field(env.req, 'email') ?? '',
    ...optional('provider'),
    ...optional('givenName'),
    ...optional('familyName'),
    ...(organization ? { organization, roles: fields(env.req, 'roles'), groups: fields(env.req, 'groups') } : {}),
  };
  const d = await env.call<UserDetail>('post', '/users', { body });
  return { redirect: `/admin/users/${encodeURIComponent(d.user.id)}`, flash: `Added ${d.user.email ?? d.user.id}; they get in at their first sign-in.` };
};
