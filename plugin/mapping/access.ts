/**
 * The access decision, worked out here alone: after a mapping, may the user in, or is there no
 * entitlement. The engine returns it with every plan; a login turns a refusal into
 * ERR_NO_ENTITLEMENT (plugin/provisioning/apply.ts), SCIM and approval read it.
 */
import type { ProvisioningConfig } from '../config/schema.ts';
import type { Membership } from '../types.ts';
import type { AccessDecision, AccessRule, MappingOutcome } from './types.ts';

/** A provisioning block's rule, resolved at start: MANAGED implies `requireEntitlement`. */
export function accessRule(provisioning: Pick<ProvisioningConfig, 'syncMode' | 'requireEntitlement' | 'message'>, allowlistMessage: string): AccessRule {
  return {
    requireEntitlement: provisioning.syncMode === 'MANAGED' || provisioning.requireEntitlement,
    message: provisioning.message ?? allowlistMessage,
  };
}

/**
 * Entitled: the mapping grants a membership or instance admin. Without that, access is refused
 * only when the rule requires an entitlement, the groups were available (the absence of groups
 * proves nothing) and the user holds no `override` row (an admin's override is an entitlement).
 */
export function decideAccess(
  outcome: Pick<MappingOutcome, 'entitlements' | 'instanceAdmin' | 'groupsUnavailable'>,
  current: readonly Membership[],
  rule: AccessRule,
): AccessDecision {
  if (outcome.entitlements.length > 0 || outcome.instanceAdmin) return { allowed: true, entitled: true };
  if (!rule.requireEntitlement || outcome.groupsUnavailable || current.some((m) => m.source === 'override')) {
    return { allowed: true, entitled: false };
  }
  return { allowed: false, entitled: false, reason: 'no_entitlement', message: rule.message };
}
