/**
 * Pre-provisioning by hand (`POST /admin/api/users`): the user exists, active, before any
 * login, so that a `reject` policy or a provider without auto-provisioning still lets them in
 * (their first SSO login links by verified email). Memberships given here are overrides.
 */
import type { GatehouseContext } from '../context.ts';
import { emitDirectoryEvents, fact, membershipEvents } from '../directory-events.ts';
import { GatehouseError } from '../errors.ts';
import type { Membership, UserRecord } from '../types.ts';
import { checkNames, organizationOr400, overrideRows } from './overrides.ts';

export interface PreProvisionInput {
  email: string;
  provider?: string | undefined;
  organization?: string | undefined;
  roles?: string[] | undefined;
  groups?: string[] | undefined;
  givenName?: string | undefined;
  familyName?: string | undefined;
  displayName?: string | undefined;
}

export async function preProvisionUser(
  ctx: GatehouseContext,
  input: PreProvisionInput,
  actor: string,
): Promise<{ user: UserRecord; memberships: Membership[] }> {
  const provider = input.provider === undefined ? undefined : ctx.runtime.current().providers.get(input.provider);
  if (input.provider !== undefined && !provider) {
    throw new GatehouseError('ERR_VALIDATION', `provider: unknown provider "${input.provider}"`, { details: { field: 'provider' } });
  }
  // An organization-only provider's users belong to that organization.
  const organization = input.organization ?? provider?.config.organization;
  let roles = [...new Set(input.roles ?? [])];
  const groups = [...new Set(input.groups ?? [])];
  if (organization === undefined && (roles.length || groups.length)) {
    throw new GatehouseError('ERR_VALIDATION', 'organization: required when roles or groups are given', { details: { field: 'organization' } });
  }
  const email = input.email.trim();
  // The catalog only grows, so it is checked before the transaction.
  if (organization !== undefined) {
    const org = await organizationOr400(ctx.store, organization);
    if (roles.length === 0 && groups.length === 0) {
      const defaultRole = (provider?.config.provisioning ?? ctx.config.provisioning).defaultRole;
      if (defaultRole === undefined || !org.roles.includes(defaultRole)) {
        throw new GatehouseError('ERR_VALIDATION', 'roles: give at least one role or group (no default role applies)', { details: { field: 'roles' } });
      }
      roles = [defaultRole];
    }
    checkNames(org, roles, groups, { role: 'roles', group: 'groups' });
  }

  return ctx.store.transaction(async (tx) => {
    if (await tx.findUserByEmail(email.toLowerCase())) throw new GatehouseError('ERR_CONFLICT', `a user with email ${email.toLowerCase()} exists`);
    const user = await tx.insertUser({
      email: email.toLowerCase(),
      emailOriginal: email,
      givenName: input.givenName ?? null,
      familyName: input.familyName ?? null,
      displayName: input.displayName ?? null,
      status: 'active',
    });
    if (organization !== undefined) await tx.addMemberships(user.id, overrideRows(organization, roles, groups, actor));
    await tx.audit({
      action: 'user.create',
      outcome: 'active',
      actor,
      userId: user.id,
      provider: input.provider ?? null,
      details: { email: user.email, ...(organization !== undefined ? { organization, roles, groups } : {}) },
    });
    const memberships = await tx.listMemberships(user.id);
    const origin = { source: 'admin' as const, actor };
    await emitDirectoryEvents(ctx, tx, [
      { ...origin, type: 'user.created', user },
      ...membershipEvents(origin, [{ user, added: memberships.map(fact), removed: [] }]),
    ]);
    return { user, memberships };
  });
}
