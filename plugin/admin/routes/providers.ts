/** Identity providers: the config file's (read-only) and those managed at run time. */
import { z } from 'zod';
import { providerSchema } from '../../config/schema.ts';
import type { GatehouseContext } from '../../context.ts';
import { GatehouseError } from '../../errors.ts';
import type { SamlMetadataReader } from '../probe.ts';
import { providerBodyPreparer } from '../provider-body.ts';
import { createProvider, deleteProvider, getProvider, listProviders, replaceProvider, setProviderEnabled, type RuntimeProviders } from '../providers.ts';
import { route, type RouteDef } from '../registry.ts';

const TAG = 'Providers';

export function providerRoutes(ctx: GatehouseContext, deps: RuntimeProviders | undefined, samlMetadata: SamlMetadataReader | undefined): RouteDef[] {
  const prepareBody = providerBodyPreparer(samlMetadata);
  const writable = (): RuntimeProviders => {
    if (!deps) throw new GatehouseError('ERR_CONFLICT', 'providers are managed in the config file only here');
    return deps;
  };
  return [
    route({
      method: 'get',
      path: '/providers',
      tag: TAG,
      summary: 'Providers (config file and run time) with the FirstLoginPolicy in force; secrets show only whether they are set',
      responses: { 200: { description: 'Providers', schema: 'Providers' } },
      handler: async () => ({ body: { providers: await listProviders(ctx, deps) } }),
    }),
    route({
      method: 'post',
      path: '/providers',
      tag: TAG,
      summary: 'Create a provider (the config file\'s provider shape); every instance serves it within 5 s',
      description: 'A SAML provider may give `metadataUrl` instead of entryPoint, idpIssuer and idpCert: they are read from the metadata at save (and kept as the fallback), then every instance reads the metadata again every `metadataRefreshMs` and trusts the signing certificates it lists (`metadataStatus` in the answer). Checked as the config file is: a JMESPath error with its position, a role or group that does not exist, a domain another provider claims are 400 naming the field. Secrets are stored encrypted (`secrets.encryptionKey`).',
      body: providerSchema,
      prepareBody,
      responses: { 201: { description: 'Created', schema: 'Provider' }, 409: 'A provider with this id exists' },
      handler: async ({ body, actor }) => ({ status: 201, body: await createProvider(ctx, writable(), body, actor.label) }),
    }),
    route({
      method: 'get',
      path: '/providers/{id}',
      tag: TAG,
      summary: 'One provider (secrets never returned)',
      responses: { 200: { description: 'The provider', schema: 'Provider' }, 404: 'Unknown provider' },
      handler: async ({ params }) => ({ body: await getProvider(ctx, deps, params.id ?? '') }),
    }),
    route({
      method: 'put',
      path: '/providers/{id}',
      tag: TAG,
      summary: 'Replace a run-time provider; a secret left out (or sent back as `{"set": true}`) keeps the stored one',
      body: providerSchema,
      prepareBody,
      responses: { 200: { description: 'The provider', schema: 'Provider' }, 404: 'Unknown provider', 409: 'Defined in the config file' },
      handler: async ({ params, body, actor }) => ({ body: await replaceProvider(ctx, writable(), params.id ?? '', body, actor.label) }),
    }),
    route({
      method: 'put',
      path: '/providers/{id}/enabled',
      tag: TAG,
      summary: 'Enable or disable a run-time provider: disabled, it is off every chooser and its logins answer 404 on every instance within 5 s',
      body: z.object({ enabled: z.boolean() }).strict(),
      responses: { 200: { description: 'The provider', schema: 'Provider' }, 404: 'Unknown provider', 409: 'Defined in the config file (set `enabled` there)' },
      handler: async ({ params, body, actor }) => ({ body: await setProviderEnabled(ctx, writable(), params.id ?? '', body.enabled, actor.label) }),
    }),
    route({
      method: 'delete',
      path: '/providers/{id}',
      tag: TAG,
      summary: 'Delete a run-time provider; its logins are refused on every instance within 5 s',
      responses: { 204: 'Deleted', 404: 'Unknown provider', 409: 'Defined in the config file' },
      async handler({ params, actor }) {
        await deleteProvider(ctx, writable(), params.id ?? '', actor.label);
        return { status: 204 };
      },
    }),
  ];
}
