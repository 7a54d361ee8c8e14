/**
 * The global provisioning block (default and per-organization policies, groups pattern, static
 * entries, instance admins): the config file's until one is saved here, which then wins on every
 * instance. Checked as the file is at start; a provider's own block is part of the provider.
 */
import { provisioningSchema } from '../../config/schema.ts';
import type { GatehouseContext } from '../../context.ts';
import { PROVISIONING_KEY } from '../../runtime/state.ts';
import { changedKeys } from '../provider-body.ts';
import { fieldError } from '../validation.ts';
import { route, type RouteDef } from '../registry.ts';

const TAG = 'Provisioning';

function view(ctx: GatehouseContext, saved: unknown) {
  return { ...ctx.runtime.current().provisioning, source: saved === null ? 'config' : 'database' };
}

export function provisioningRoutes(ctx: GatehouseContext): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/provisioning',
      tag: TAG,
      summary: 'The global provisioning block in force (`source`: the config file, or saved here)',
      responses: { 200: { description: 'The block', schema: 'Provisioning' } },
      handler: async () => ({ body: view(ctx, await ctx.store.getSetting(PROVISIONING_KEY)) }),
    }),
    route({
      method: 'put',
      path: '/provisioning',
      tag: TAG,
      summary: 'Replace the global provisioning block; every instance applies it within 5 s',
      description: 'The config file\'s `provisioning` shape. A JMESPath error (with its position), a role or group that does not exist: 400 naming the field.',
      body: provisioningSchema,
      prepareBody: (raw) => {
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
        const { source: _readOnly, ...rest } = raw as Record<string, unknown>;
        return rest;
      },
      responses: { 200: { description: 'The block', schema: 'Provisioning' } },
      async handler({ body, actor }) {
        const before = ctx.runtime.current().provisioning;
        try {
          await ctx.runtime.trial((parts) => ({ ...parts, provisioning: body }));
        } catch (e) {
          throw fieldError(e, 'provisioning');
        }
        await ctx.store.setSetting(PROVISIONING_KEY, body);
        await ctx.store.audit({ action: 'provisioning.update', actor: actor.label, details: { fields: changedKeys(before, body) } });
        await ctx.runtime.changed();
        return { body: view(ctx, body) };
      },
    }),
  ];
}
