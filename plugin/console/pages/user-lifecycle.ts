/**
 * Deactivate, reactivate and delete a user from their page, through the admin API's routes.
 * Deletion asks first on a page of its own, where the admin types the user's email: the check is
 * made here, on the server, so it holds without the console's script too.
 */
import { GatehouseError } from '../../errors.ts';
import { field, pathParam, type ActionFn, type Env, type PageFn } from '../env.ts';
import { html, type Html } from '../html.ts';
import { consolePage, csrfInput, postButton } from '../layout.ts';
import type { UserDetail, UserView } from '../views.ts';

const userPath = (id: string) => `/admin/users/${encodeURIComponent(id)}`;
/** What the admin types to confirm a deletion. */
const confirmationOf = (u: UserView) => u.email ?? u.id;

/** The user page's account section; none on the admin's own page (the API refuses that anyway). */
export function accountSection(env: Env, u: UserView): Html {
  if (u.id === env.view.admin.id) return html``;
  const who = u.email ?? u.id;
  const toggle =
    u.status === 'deprovisioned'
      ? postButton(env.view, `${userPath(u.id)}/reactivate`, 'Reactivate', { className: '' })
      : postButton(env.view, `${userPath(u.id)}/deactivate`, 'Deactivate', { className: 'danger', confirm: `Deactivate ${who}? Their sessions end at once and they cannot sign in.` });
  return html`<section class="card" aria-labelledby="account">
<h2 id="account">Account</h2>
<p class="muted">${
    u.status === 'deprovisioned'
      ? 'Deactivated: sign-in refused. Reactivating lets them in again with the memberships they had.'
      : 'Deactivating ends their sessions at once and refuses their sign-ins (as SCIM deprovisioning does); memberships are kept.'
  }</p>
<div class="row">${toggle}<a class="button secondary" href="${userPath(u.id)}/delete">Delete user…</a></div>
</section>`;
}

export const deactivateAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  const d = await env.call<UserDetail>('post', '/users/{id}/deactivate', { params: { id } });
  return { redirect: userPath(id), flash: `Deactivated ${d.user.email ?? id}; their sessions ended.` };
};

export const reactivateAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  const d = await env.call<UserDetail>('post', '/users/{id}/reactivate', { params: { id } });
  return { redirect: userPath(id), flash: `Reactivated ${d.user.email ?? id}.` };
};

export const deleteConfirmPage: PageFn = async (env) => {
  const id = pathParam(env.req, 'id');
  const { user: u, memberships, identities } = await env.call<UserDetail>('get', '/users/{id}', { params: { id } });
  const expected = confirmationOf(u);
  return consolePage(
    env.view,
    { title: `Delete ${u.email ?? u.id}?`, active: 'users', lead: html`<a href="${userPath(u.id)}">Back to the user</a>` },
    html`<section class="card secret" aria-labelledby="delete-what">
<h2 id="delete-what">This cannot be undone</h2>
<p>The user, their ${identities.length} linked identit${identities.length === 1 ? 'y' : 'ies'}, ${memberships.length} membership row${memberships.length === 1 ? '' : 's'} and every session go. Audit entries stay. If they sign in again, they start as a new user.</p>
<form method="post" action="${userPath(u.id)}/delete" class="inline">${csrfInput(env.view)}
<label>Type <code>${expected}</code> to confirm <input type="text" name="confirm" required autocomplete="off" size="30" spellcheck="false"></label>
<button type="submit" class="danger">Delete user</button>
</form></section>`,
  );
};

export const deleteAction: ActionFn = async (env) => {
  const id = pathParam(env.req, 'id');
  const { user } = await env.call<UserDetail>('get', '/users/{id}', { params: { id } });
  if (field(env.req, 'confirm') !== confirmationOf(user)) {
    throw new GatehouseError('ERR_VALIDATION', `confirm: type ${confirmationOf(user)} to delete this user`, { details: { field: 'confirm' } });
  }
  await env.call('delete', '/users/{id}', { params: { id } });
  return { redirect: '/admin/users', flash: `Deleted ${user.email ?? id}.` };
};
