/** Users, the waiting room and overrides. */
import type { GatehouseContext } from '../../context.ts';
import { GatehouseError } from '../../errors.ts';
import { summarizeMemberships } from '../../http/current-user.ts';
import { approveUser, rejectUser } from '../../provisioning/approval.ts';
import { deactivateUser, deleteUser, reactivateUser } from '../lifecycle.ts';
import { addOverride, removeOverride } from '../overrides.ts';
import { route, type RouteDef } from '../registry.ts';
import { createUserBody, listUsersQuery, overrideBody } from '../schemas.ts';
import { preProvisionUser } from '../users.ts';
import { identityView, membershipView, userView } from '../views.ts';

const TAG = 'Users';

export function userRoutes(ctx: GatehouseContext): RouteDef[] {
  async function detail(id: string) {
    const user = await ctx.store.getUser(id);
    if (!user) throw new GatehouseError('ERR_NOT_FOUND', `no user ${id}`);
    const [identities, memberships] = await Promise.all([ctx.store.listIdentities(id), ctx.store.listMemberships(id)]);
    return {
      user: userView(user),
      identities: identities.map(identityView),
      memberships: memberships.map(membershipView),
      overrides: memberships.filter((m) => m.source === 'override').map(membershipView),
      effective: summarizeMemberships(memberships),
    };
  }

  return [
    route({
      method: 'get',
      path: '/users',
      tag: TAG,
      summary: 'List and search users',
      description:
        '`q` matches email, username and display name; `provider` keeps users with an identity at that provider. `sort` orders by `created` (default, newest first), `email` or `status`, `dir` by `asc` or `desc`. Pages with `cursor` (from `nextCursor`, under the same order).',
      query: listUsersQuery,
      responses: { 200: { description: 'A page of users', schema: 'UserPage' } },
      async handler({ query }) {
        const page = await ctx.store.listUsers({ ...query, limit: query.limit ?? 50 });
        return { body: { users: page.users.map(userView), nextCursor: page.nextCursor } };
      },
    }),
    route({
      method: 'post',
      path: '/users',
      tag: TAG,
      summary: 'Pre-provision a user by hand',
      description: 'Creates an active user before any login (for a `reject` policy or no auto-provisioning); their first SSO login links by verified email. Roles and groups become overrides.',
      body: createUserBody,
      responses: { 201: { description: 'Created', schema: 'UserDetail' }, 400: 'Invalid input', 409: 'Email taken' },
      async handler({ body, actor }) {
        const { user } = await preProvisionUser(ctx, body, actor.label);
        return { status: 201, body: await detail(user.id) };
      },
    }),
    route({
      method: 'get',
      path: '/users/{id}',
      tag: TAG,
      summary: 'User detail: identities, memberships with their sources, overrides',
      responses: { 200: { description: 'The user', schema: 'UserDetail' }, 404: 'No such user' },
      handler: ({ params }) => detail(params.id ?? '').then((body) => ({ body })),
    }),
    route({
      method: 'post',
      path: '/users/{id}/approve',
      tag: TAG,
      summary: 'Approve a waiting user (provisions from their last login at once)',
      responses: { 200: { description: 'The user', schema: 'UserDetail' }, 404: 'No such user', 409: 'Deprovisioned' },
      async handler({ params, actor }) {
        await approveUser(ctx, params.id ?? '', actor.label);
        return { body: await detail(params.id ?? '') };
      },
    }),
    route({
      method: 'post',
      path: '/users/{id}/reject',
      tag: TAG,
      summary: 'Reject a user (ends their sessions)',
      responses: { 200: { description: 'The user', schema: 'UserDetail' }, 404: 'No such user' },
      async handler({ params, actor }) {
        await rejectUser(ctx, params.id ?? '', actor.label);
        return { body: await detail(params.id ?? '') };
      },
    }),
    route({
      method: 'post',
      path: '/users/{id}/deactivate',
      tag: TAG,
      summary: 'Deactivate a user (status `deprovisioned`, as SCIM `active: false`): logins refused, sessions ended at once',
      responses: { 200: { description: 'The user', schema: 'UserDetail' }, 404: 'No such user', 409: 'Already deactivated, or your own account' },
      async handler({ params, actor }) {
        await deactivateUser(ctx, params.id ?? '', actor);
        return { body: await detail(params.id ?? '') };
      },
    }),
    route({
      method: 'post',
      path: '/users/{id}/reactivate',
      tag: TAG,
      summary: 'Reactivate a deactivated user (status `active`; memberships were kept)',
      responses: { 200: { description: 'The user', schema: 'UserDetail' }, 404: 'No such user', 409: 'Not deactivated' },
      async handler({ params, actor }) {
        await reactivateUser(ctx, params.id ?? '', actor);
        return { body: await detail(params.id ?? '') };
      },
    }),
    route({
      method: 'delete',
      path: '/users/{id}',
      tag: TAG,
      summary: 'Delete a user with their identities, memberships and sessions (the audit trail stays)',
      responses: { 204: 'Deleted', 404: 'No such user', 409: 'Your own account' },
      async handler({ params, actor }) {
        await deleteUser(ctx, params.id ?? '', actor);
        return { status: 204 };
      },
    }),
    route({
      method: 'post',
      path: '/users/{id}/overrides',
      tag: TAG,
      summary: 'Add a role and/or group override (source `override`, kept by MANAGED sync)',
      body: overrideBody,
      responses: { 201: { description: 'The override rows', schema: 'Overrides' }, 400: 'Unknown organization, role or group', 404: 'No such user' },
      async handler({ params, body, actor }) {
        const rows = await addOverride(ctx, params.id ?? '', body, actor.label);
        return { status: 201, body: { overrides: rows.map(membershipView) } };
      },
    }),
    route({
      method: 'delete',
      path: '/users/{id}/overrides/{overrideId}',
      tag: TAG,
      summary: 'Remove an override',
      responses: { 204: 'Removed', 404: 'No such override' },
      async handler({ params, actor }) {
        await removeOverride(ctx, params.id ?? '', params.overrideId ?? '', actor.label);
        return { status: 204 };
      },
    }),
  ];
}
