/** "Test connection": a provider being written (its body) or one in force (by id). */
import type { GatehouseContext } from '../../context.ts';
import { GatehouseError } from '../../errors.ts';
import type { ProviderProbe } from '../probe.ts';
import { route, type RouteDef } from '../registry.ts';
import { probeBody, probeStoredBody } from '../schemas.ts';

const TAG = 'Providers';
const DESCRIPTION =
  'OIDC: discovery fetched and checked (issuer match, signing algorithm, endpoints, PKCE). SAML: the metadata (from `metadataUrl` or `metadataXml`) read ' +
  '(entity ID, SSO URL, signing certificates with their expiry) and checked against the provider; the configured certificates\' expiry. ' +
  'Answers the copy-ready values for the IdP (redirect URI or ACS URL, SP entity ID, SP metadata URL). Loopback and private targets are refused unless `allowPrivateNetwork`.';

export function probeRoutes(ctx: GatehouseContext, probe: ProviderProbe): RouteDef[] {
  return [
    route({
      method: 'post',
      path: '/providers/test',
      tag: TAG,
      summary: 'Test a provider before saving it (nothing is stored)',
      description: DESCRIPTION,
      body: probeBody,
      responses: { 200: { description: 'Checks, what the IdP publishes, the values to give the IdP', schema: 'ProbeReport' } },
      handler: async ({ body }) => ({ body: await probe(body.provider, body) }),
    }),
    route({
      method: 'post',
      path: '/providers/{id}/test',
      tag: TAG,
      summary: 'Test a provider in force (config file or run time)',
      description: DESCRIPTION,
      body: probeStoredBody,
      responses: { 200: { description: 'Checks, what the IdP publishes, the values to give the IdP', schema: 'ProbeReport' }, 404: 'Unknown provider' },
      async handler({ params, body }) {
        const p = ctx.runtime.current().providers.get(params.id ?? '');
        if (!p) throw new GatehouseError('ERR_UNKNOWN_PROVIDER', `unknown provider "${params.id ?? ''}"`);
        return { body: await probe(p.config, body) };
      },
    }),
  ];
}
