/**
 * Dry run of a login: normalize the claims as the provider would, plan once with every mapper
 * traced and (when the user exists) against its current memberships: the exact membership diff
 * and whether access would be blocked. Writes nothing.
 */
import type { GatehouseContext } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import { explainPlan, mappingInput } from '../mapping/index.ts';
import type { Claims, Membership, UserRecord } from '../types.ts';

function key(m: { organization: string; kind: string; name: string; source: string }): string {
  return `${m.organization}:${m.kind}:${m.name} (${m.source})`;
}

export async function explainLogin(ctx: GatehouseContext, providerId: string, rawInput: unknown) {
  const { providers, engines } = ctx.runtime.current();
  const provider = providers.get(providerId);
  if (!provider) throw new GatehouseError('ERR_UNKNOWN_PROVIDER', `unknown provider "${providerId}"`);
  if (typeof rawInput !== 'object' || rawInput === null || Array.isArray(rawInput)) {
    throw new GatehouseError('ERR_VALIDATION', 'claims must be a JSON object');
  }
  const raw = rawInput as Record<string, unknown>;
  const subject = typeof raw.sub === 'string' ? raw.sub : typeof raw.nameID === 'string' ? raw.nameID : '(explain)';
  const claims: Claims = provider.normalize({ subject, raw });
  const engine = engines.forProvider(providerId);

  let user: UserRecord | null = null;
  const identity = await ctx.store.findIdentity(providerId, claims.subject);
  if (identity) user = await ctx.store.getUser(identity.userId);
  if (!user && claims.email) user = await ctx.store.findUserByEmail(claims.email);
  const current: Membership[] = user ? await ctx.store.listMemberships(user.id) : [];

  const planned = engine.plan(mappingInput(claims, 'sso', current), { verbose: true });
  const { access, memberships: plan } = planned;

  return {
    provider: providerId,
    syncMode: engine.syncMode,
    claims: { ...claims, raw: undefined },
    user: user ? { id: user.id, email: user.email, status: user.status } : null,
    wouldBlock: access.allowed ? null : access.message,
    ...explainPlan(engine, planned),
    diff: user
      ? { add: plan.add.map(key), remove: plan.remove.map(key), keep: plan.kept.map(key) }
      : { add: plan.add.map(key), remove: [], keep: [], note: 'no existing user: this is what a first login would get (subject to FirstLoginPolicy)' },
  };
}
