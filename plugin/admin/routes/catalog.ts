/** Organizations with their roles and groups. */
import type { GatehouseContext } from '../../context.ts';
import { addCatalogName, createOrganization, deleteOrganization, organizationOr404, replaceOrganization, type CatalogWriter } from '../catalog.ts';
import { route, type RouteDef } from '../registry.ts';
import { catalogNameBody, createOrganizationBody, replaceOrganizationBody } from '../schemas.ts';
import { invalidField } from '../validation.ts';

const TAG = 'Organizations';

export function catalogRoutes(ctx: GatehouseContext, writer: CatalogWriter | undefined): RouteDef[] {
  const routes: RouteDef[] = [
    route({
      method: 'get',
      path: '/organizations',
      tag: TAG,
      summary: 'List organizations with their roles and groups',
      responses: { 200: { description: 'Organizations', schema: 'Organizations' } },
      handler: async () => ({ body: { organizations: await ctx.store.listOrganizations() } }),
    }),
    route({
      method: 'get',
      path: '/organizations/{id}',
      tag: TAG,
      summary: 'One organization',
      responses: { 200: { description: 'The organization', schema: 'Organization' }, 404: 'No such organization' },
      handler: async ({ params }) => ({ body: await organizationOr404(ctx, params.id ?? '') }),
    }),
  ];
  if (!writer) return routes;
  return [
    ...routes,
    route({
      method: 'post',
      path: '/organizations',
      tag: TAG,
      summary: 'Create an organization (roles default to owner, admin, viewer, member, contributor)',
      body: createOrganizationBody,
      responses: { 201: { description: 'Created', schema: 'Organization' }, 409: 'Exists' },
      handler: async ({ body, actor }) => ({ status: 201, body: await createOrganization(ctx, writer, body, actor.label) }),
    }),
    route({
      method: 'put',
      path: '/organizations/{id}',
      tag: TAG,
      summary: 'Replace an organization\'s name, roles and groups; memberships of removed roles and groups are removed with them',
      description: 'A role or group still named by a rule, the static block or a provider is refused (409, naming where); so is removing what the config file defines.',
      body: replaceOrganizationBody,
      responses: { 200: { description: 'The organization', schema: 'Organization' }, 404: 'No such organization', 409: 'Still used, or defined in the config file' },
      async handler({ params, body, actor }) {
        const id = params.id ?? '';
        if (body.id !== undefined && body.id !== id) {
          throw invalidField('id', 'differs from the path (an id cannot change)');
        }
        return { body: await replaceOrganization(ctx, writer, { id, name: body.name, roles: body.roles, groups: body.groups }, actor.label) };
      },
    }),
    route({
      method: 'delete',
      path: '/organizations/{id}',
      tag: TAG,
      summary: 'Delete an organization with its roles, groups and memberships',
      responses: { 204: 'Deleted', 404: 'No such organization', 409: 'Still used by a provider or rule, or defined in the config file' },
      async handler({ params, actor }) {
        await deleteOrganization(ctx, writer, params.id ?? '', actor.label);
        return { status: 204 };
      },
    }),
    route({
      method: 'post',
      path: '/organizations/{id}/roles',
      tag: TAG,
      summary: 'Add a role to an organization',
      body: catalogNameBody,
      responses: { 201: { description: 'The organization', schema: 'Organization' }, 404: 'No such organization', 409: 'Exists' },
      handler: async ({ params, body, actor }) => ({ status: 201, body: await addCatalogName(ctx, writer, params.id ?? '', 'role', body.name, actor.label) }),
    }),
    route({
      method: 'post',
      path: '/organizations/{id}/groups',
      tag: TAG,
      summary: 'Add a group to an organization',
      body: catalogNameBody,
      responses: { 201: { description: 'The organization', schema: 'Organization' }, 404: 'No such organization', 409: 'Exists' },
      handler: async ({ params, body, actor }) => ({ status: 201, body: await addCatalogName(ctx, writer, params.id ?? '', 'group', body.name, actor.label) }),
    }),
  ];
}
