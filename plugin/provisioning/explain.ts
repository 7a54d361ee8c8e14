/**
 * Dry run of a login: normalize the claims as the provider would, evaluate every mapper, and
 * (when the user exists) compute the exact membership diff. Writes nothing.
 */
import type { GatehouseContext } from '../context.ts';
import { GatehouseError } from '../errors.ts';
import { planMembershipSync } from '../mapping/diff.ts';
import { explainMapping } from '../mapping/index.ts';
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

  const input = { claims, source: 'sso' as const, current, email: claims.emailVerified ? claims.email : null };
  const explained = explainMapping(engine, input);
  const outcome = engine.evaluate(input);
  const plan = planMembershipSync({ current, outcome, syncMode: engine.syncMode, source: 'sso' });
  const mustHave = engine.requireEntitlement || engine.syncMode === 'MANAGED';
  const blocked =
    mustHave && !outcome.groupsUnavailable && outcome.entitlements.length === 0 && !outcome.instanceAdmin && !current.some((m) => m.source === 'override');

  return {
    provider: providerId,
    syncMode: engine.syncMode,
    claims: { ...claims, raw: undefined },
    user: user ? { id: user.id, email: user.email, status: user.status } : null,
    wouldBlock: blocked ? (engine.message ?? ctx.config.allowlist.message) : null,
    ...explained,
    diff: user
      ? { add: plan.add.map(key), remove: plan.remove.map(key), keep: plan.kept.map(key) }
      : { add: plan.add.map(key), remove: [], keep: [], note: 'no existing user: this is what a first login would get (subject to FirstLoginPolicy)' },
  };
}
