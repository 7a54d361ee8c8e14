/** Who gets in: allowlist overrides, FirstLoginPolicy per provider, SCIM and admin tokens. */
import type { GatehouseContext } from '../../context.ts';
import { GatehouseError } from '../../errors.ts';
import { setPolicy } from '../../login/gate.ts';
import type { ApiTokenKind } from '../../ports.ts';
import { mintToken, publicToken } from '../../tokens.ts';
import { route, type RouteDef } from '../registry.ts';
import { allowlistBody, policyBody, tokenBody } from '../schemas.ts';
import { iso } from '../views.ts';

function tokenRoutes(ctx: GatehouseContext, kind: ApiTokenKind, base: string, tag: string, what: string): RouteDef[] {
  return [
    route({
      method: 'get',
      path: base,
      tag,
      summary: `List ${what}s (never the token itself)`,
      responses: { 200: { description: 'Tokens', schema: 'Tokens' } },
      handler: async () => ({ body: { tokens: (await ctx.store.listApiTokens(kind)).map(publicToken) } }),
    }),
    route({
      method: 'post',
      path: base,
      tag,
      summary: `Mint a ${what}; the response shows it this once`,
      body: tokenBody,
      responses: { 201: { description: 'The token, shown once', schema: 'MintedToken' }, 400: 'Invalid input' },
      async handler({ body, actor }) {
        if (body.provider !== undefined && !ctx.runtime.current().providers.has(body.provider)) {
          throw new GatehouseError('ERR_VALIDATION', `provider: unknown provider "${body.provider}"`, { details: { field: 'provider' } });
        }
        if (kind === 'admin' && body.provider !== undefined) {
          throw new GatehouseError('ERR_VALIDATION', 'provider: admin tokens are not bound to a provider', { details: { field: 'provider' } });
        }
        const minted = await mintToken(ctx.store, { kind, name: body.name, provider: body.provider ?? null, actor: actor.label, now: ctx.now() });
        return { status: 201, body: { id: minted.id, name: minted.name, provider: minted.provider, token: minted.token, createdAt: iso(minted.createdAt) } };
      },
    }),
    route({
      method: 'delete',
      path: `${base}/{id}`,
      tag,
      summary: `Revoke a ${what} (the row stays for the audit log)`,
      responses: { 204: 'Revoked', 404: 'Unknown or already revoked' },
      async handler({ params, actor }) {
        const id = params.id ?? '';
        if (!(await ctx.store.revokeApiToken(kind, id, ctx.now()))) throw new GatehouseError('ERR_NOT_FOUND', `no active ${what} ${id}`);
        await ctx.store.audit({ action: `${kind}_token.revoke`, actor: actor.label, details: { tokenId: id } });
        return { status: 204 };
      },
    }),
  ];
}

export function accessRoutes(ctx: GatehouseContext): RouteDef[] {
  const allowlistState = async () => ({
    enabled: ctx.config.allowlist.enabled,
    allowDbOverrides: ctx.config.allowlist.allowDbOverrides,
    configEntries: ctx.config.allowlist.entries,
    entries: (await ctx.store.listAllowlist()).map((e) => ({ id: e.id, entry: e.entry, createdBy: e.createdBy, createdAt: iso(e.createdAt) })),
  });

  return [
    route({
      method: 'get',
      path: '/allowlist',
      tag: 'Allowlist',
      summary: 'The allowlist: config entries and database overrides',
      description: 'Database entries count only when `allowlist.allowDbOverrides` is true in the config.',
      responses: { 200: { description: 'Allowlist', schema: 'Allowlist' } },
      handler: async () => ({ body: await allowlistState() }),
    }),
    route({
      method: 'post',
      path: '/allowlist',
      tag: 'Allowlist',
      summary: 'Add an email or @domain',
      body: allowlistBody,
      responses: { 201: { description: 'The entry', schema: 'AllowlistEntry' }, 400: 'Not an email or @domain' },
      async handler({ body, actor }) {
        const e = await ctx.store.addAllowlist(body.entry, actor.label);
        await ctx.store.audit({ action: 'allowlist.add', actor: actor.label, details: { id: e.id, entry: e.entry } });
        return { status: 201, body: { id: e.id, entry: e.entry, createdBy: e.createdBy, createdAt: iso(e.createdAt), effective: ctx.config.allowlist.allowDbOverrides } };
      },
    }),
    route({
      method: 'delete',
      path: '/allowlist/{id}',
      tag: 'Allowlist',
      summary: 'Remove a database entry',
      responses: { 204: 'Removed', 404: 'No such entry' },
      async handler({ params, actor }) {
        const id = params.id ?? '';
        const entry = (await ctx.store.listAllowlist()).find((e) => e.id === id);
        if (!entry || !(await ctx.store.removeAllowlist(id))) throw new GatehouseError('ERR_NOT_FOUND', `no allowlist entry ${id}`);
        await ctx.store.audit({ action: 'allowlist.remove', actor: actor.label, details: { id, entry: entry.entry } });
        return { status: 204 };
      },
    }),
    route({
      method: 'put',
      path: '/providers/{id}/policy',
      tag: 'Providers',
      summary: 'Set the FirstLoginPolicy at run time (persisted; overrides the file)',
      body: policyBody,
      responses: { 200: { description: 'The policy in force', schema: 'Policy' }, 404: 'Unknown provider' },
      async handler({ params, body, actor }) {
        const id = params.id ?? '';
        if (!ctx.runtime.current().providers.has(id)) throw new GatehouseError('ERR_UNKNOWN_PROVIDER', `unknown provider "${id}"`);
        await setPolicy(ctx.store, id, body.firstLoginPolicy, actor.label);
        return { body: { provider: id, firstLoginPolicy: body.firstLoginPolicy } };
      },
    }),
    ...tokenRoutes(ctx, 'scim', '/scim-tokens', 'SCIM tokens', 'SCIM token'),
    ...tokenRoutes(ctx, 'admin', '/admin-tokens', 'Admin tokens', 'admin API token'),
  ];
}
