/**
 * One login, one transaction: find or create the user and identity under the FirstLoginPolicy,
 * refuse blocked users, map claims to memberships, run the login hooks (outbox), audit.
 * Failures throw GatehouseError; the caller audits them outside the rolled-back transaction.
 */
import type { GatehouseContext, LoginEvent } from '../context.ts';
import { emitDirectoryEvents, fact, membershipEvents, type DirectoryEvent } from '../directory-events.ts';
import { GatehouseError } from '../errors.ts';
import { checkAllowlist, effectivePolicy, firstLoginDecision, instanceAdminStanding, type InstanceAdminStanding } from '../login/gate.ts';
import type { StoreOps } from '../ports.ts';
import type { Claims, Membership, UserRecord } from '../types.ts';
import { applyLoginMapping, resolveOverage } from './apply.ts';
import { withTransactionRetry } from './retry.ts';

export interface LoginResult {
  user: UserRecord;
  created: boolean;
  linked: boolean;
  pending: boolean;
  memberships: Membership[];
  mappingErrors: { mapper: string; organization: string | null; message: string }[];
}

async function findOrCreateUser(
  tx: StoreOps,
  ctx: GatehouseContext,
  claims: Claims,
  at: number,
  admin: () => InstanceAdminStanding,
): Promise<{ user: UserRecord; identityId: string; created: boolean; linked: boolean; locked: boolean; touched: boolean }> {
  // A returning user: identity and user in one round trip, the user's row locked.
  const known = await tx.findIdentityAndLockUser(claims.provider, claims.subject);
  if (known) return { user: known.user, identityId: known.identity.id, created: false, linked: false, locked: true, touched: false };

  const provider = ctx.runtime.current().providers.get(claims.provider);
  if (!provider) throw new GatehouseError('ERR_UNKNOWN_PROVIDER', `unknown provider "${claims.provider}"`);
  const existing = claims.email !== null ? await tx.findUserByEmail(claims.email) : null;
  if (existing) {
    // A pre-provisioned (SCIM/admin) or other-IdP user: link only on a verified email,
    // otherwise anyone able to set an address at some IdP could take the account over.
    if (!claims.emailVerified) {
      throw new GatehouseError('ERR_EMAIL_CONFLICT', 'An account with this email exists; the identity provider did not verify the email.', {
        details: { reason: 'unverified_email_matches_existing_user' },
      });
    }
    const linked = await tx.ensureIdentity({ userId: existing.id, provider: claims.provider, subject: claims.subject, email: claims.email, lastLoginAt: at, lastClaims: claims });
    return { user: existing, identityId: linked.id, created: false, linked: true, locked: false, touched: linked.inserted };
  }

  const policy = await effectivePolicy(tx, claims.provider, provider.config.firstLoginPolicy);
  const decision = firstLoginDecision(policy, admin());
  if (decision.kind === 'refuse') {
    throw new GatehouseError('ERR_POLICY_REJECTED', 'Your account has not been provisioned here. Ask your administrator for access.', {
      details: { reason: 'first_login_policy_reject' },
    });
  }
  const user = await tx.insertUser({
    email: claims.email,
    emailOriginal: claims.emailOriginal,
    // The SCIM userName of an SSO-created user is its email, so an IdP's "filter before create"
    // (userName eq "...") finds it instead of creating a duplicate.
    userName: claims.email,
    givenName: claims.givenName,
    familyName: claims.familyName,
    displayName: claims.name,
    status: decision.status,
  });
  const identityRow = await tx.ensureIdentity({ userId: user.id, provider: claims.provider, subject: claims.subject, email: claims.email, lastLoginAt: at, lastClaims: claims });
  if (identityRow.userId !== user.id) {
    // A concurrent first login of the same subject won; use its user and drop ours.
    await tx.deleteUser(user.id);
    const winner = await tx.getUser(identityRow.userId);
    if (!winner) throw new Error('concurrent identity has no user');
    return { user: winner, identityId: identityRow.id, created: false, linked: false, locked: false, touched: false };
  }
  // No lock needed: other transactions cannot see this row before we commit.
  return { user, identityId: identityRow.id, created: true, linked: false, locked: true, touched: true };
}

/** Runs the whole login after the assertion was verified and normalized. */
export async function provisionLogin(ctx: GatehouseContext, inputClaims: Claims): Promise<LoginResult> {
  await checkAllowlist(ctx.config.allowlist, inputClaims.email, ctx.store);
  const claims = await resolveOverage(ctx, inputClaims);
  const engine = ctx.runtime.current().engines.forProvider(claims.provider);
  // Only first logins and waiting users need it: a returning active user's login skips the extra evaluation.
  let standing: InstanceAdminStanding | undefined;
  const admin = (): InstanceAdminStanding => (standing === undefined ? (standing = instanceAdminStanding(engine, claims)) : standing);

  return withTransactionRetry(ctx.store, () =>
    ctx.store.transaction(async (tx) => {
      const at = ctx.now();
      const found = await findOrCreateUser(tx, ctx, claims, at, admin);
      // Serialize concurrent logins of this user; read its state after the lock.
      let user = found.locked ? found.user : ((await tx.lockUser(found.user.id)) ?? found.user);
      // An instance admin left waiting (e.g. before this rule) is let in: nobody else could approve them.
      const promoted = user.status === 'pending_approval' && admin() !== null;
      if (promoted) user = (await tx.updateUser(user.id, { status: 'active' })) ?? user;
      if (user.status === 'deprovisioned') {
        throw new GatehouseError('ERR_USER_DEPROVISIONED', 'This account has been deprovisioned.', { details: { reason: 'deprovisioned', userId: user.id } });
      }
      if (user.status === 'rejected') {
        throw new GatehouseError('ERR_USER_REJECTED', 'This account has been rejected by an administrator.', { details: { reason: 'rejected', userId: user.id } });
      }
      if (!found.touched) await tx.touchIdentity(found.identityId, at, claims);

      const pending = user.status === 'pending_approval';
      let memberships: Membership[] = [];
      let mappingErrors: LoginResult['mappingErrors'] = [];
      let details: Record<string, unknown> = {};
      const origin = { source: 'sso' as const, actor: `idp:${claims.provider}` };
      const events: DirectoryEvent[] = found.created ? [{ ...origin, type: 'user.created', user }] : [];
      if (!pending) {
        const applied = await applyLoginMapping(tx, engine, user, claims);
        memberships = applied.memberships;
        mappingErrors = applied.outcome.errors;
        if (applied.outcome.instanceAdmin && !user.instanceAdmin) user = { ...user, instanceAdmin: true };
        events.push(...membershipEvents(origin, [{ user, added: applied.added.map(fact), removed: applied.removed.map(fact) }]));
        details = {
          added: applied.added.map((m) => `${m.organization}:${m.kind}:${m.name}`),
          removed: applied.removed.map((m) => `${m.organization}:${m.kind}:${m.name}`),
          ...(applied.outcome.errors.length ? { mappingErrors: applied.outcome.errors } : {}),
          ...(applied.outcome.groupsUnavailable ? { groupsUnavailable: true } : {}),
          ...(promoted ? { activatedAsInstanceAdmin: true } : {}),
        };
      } else if (claims.groupsOverage) {
        details = { groupsUnavailable: true };
      }

      const outcome = pending ? 'pending' : found.created ? 'created' : found.linked ? 'linked' : 'success';
      await tx.audit({
        action: 'login',
        outcome,
        actor: `idp:${claims.provider}`,
        provider: claims.provider,
        subject: claims.subject,
        userId: user.id,
        details,
      });
      const event: LoginEvent = { kind: 'login', user, claims, created: found.created, pending, memberships };
      for (const hook of ctx.loginHooks) await hook(tx, event);
      await emitDirectoryEvents(ctx, tx, events);
      return { user, created: found.created, linked: found.linked, pending, memberships, mappingErrors };
    }),
  );
}
