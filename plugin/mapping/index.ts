/**
 * The mapping engine: claims -> entitlements (organizations, roles, groups, each tagged with the
 * mapper and source that produced it). See docs/mapping.md.
 *
 * `createMappingEngines` validates and compiles all provisioning config once, at start; each
 * engine's `evaluate` and `plan` (memberships and the access decision) are pure and never re-parse
 * an expression.
 */
import type { ResolvedConfig } from '../config/schema.ts';
import { ConfigError, GatehouseError } from '../errors.ts';
import type { Entitlement } from '../types.ts';
import { buildEngine, compileProvisioning } from './engine.ts';
import type { MappingEngine, MappingError, MappingInput, MappingPlan, MapperTrace, MembershipPlan, OrgCatalog } from './types.ts';

export { catalogFrom } from './catalog.ts';
export { planMembershipSync } from './diff.ts';
export { mappingInput } from './engine.ts';
export { compileExpression, locateSyntaxError, ORG_PLACEHOLDER } from './expression.ts';
export { INSTANCE_ORG, RESERVED_ROLE_GROUPS } from './groups-pattern.ts';
export type {
  AccessDecision,
  AccessRule,
  EvaluateOptions,
  MapperTrace,
  MappingEngine,
  MappingError,
  MappingInput,
  MappingOutcome,
  MappingPlan,
  MembershipPlan,
  OrgCatalog,
  OrgTrace,
} from './types.ts';

export interface MappingEngines {
  /** The engine of a provider: its own `provisioning` block if it has one (it replaces the global one), else the global one. */
  forProvider(providerId: string): MappingEngine;
  /** The engine of the global `provisioning` block (SCIM pushes without a provider, explain). */
  global: MappingEngine;
}

/**
 * Validates ALL provisioning config at start (the global block and every provider's own block)
 * and compiles every expression once. Throws ConfigError with the key path, e.g.
 * `providers[0].provisioning.groupsPattern: must contain {ORG_NAME} and {GROUP_NAME}` or
 * `provisioning.rules.organizations.acme-corp.roles.fixed[0]: role "boss" does not exist in organization "acme-corp"`.
 * The catalog is read here: engines must be rebuilt when organizations, roles or groups change.
 */
export function createMappingEngines(config: ResolvedConfig, catalog: OrgCatalog): MappingEngines {
  const { message } = config.allowlist;
  const globalCompiled = compileProvisioning(config.provisioning, 'provisioning', catalog, null, message);
  const global = buildEngine(globalCompiled, catalog, null);
  const byProvider = new Map<string, MappingEngine>();
  config.providers.forEach((provider, i) => {
    const organization = provider.organization ?? null;
    if (organization !== null && catalog.get(organization) === undefined) {
      throw new ConfigError(`providers[${i}].organization`, `unknown organization "${organization}"`);
    }
    if (provider.provisioning !== undefined) {
      const own = compileProvisioning(provider.provisioning, `providers[${i}].provisioning`, catalog, organization, message);
      byProvider.set(provider.id, buildEngine(own, catalog, organization));
    } else {
      byProvider.set(provider.id, organization === null ? global : buildEngine(globalCompiled, catalog, organization));
    }
  });
  return {
    global,
    forProvider(providerId) {
      const engine = byProvider.get(providerId);
      if (engine === undefined) throw new GatehouseError('ERR_UNKNOWN_PROVIDER', `unknown provider "${providerId}"`);
      return engine;
    },
  };
}

/** A dry run, rule by rule, printable as JSON as is (CLI `explain` and the admin API). */
export interface MappingExplanation {
  requireEntitlement: boolean;
  /** Set for an organization-only provider. */
  organization: string | null;
  /** Per mapper, per organization: matched or not and why; every organization is listed. */
  mappers: MapperTrace[];
  entitlements: Entitlement[];
  hasEntitlement: boolean;
  instanceAdmin: boolean;
  errors: MappingError[];
  groupsUnavailable: boolean;
  /** The membership rows this login would add, remove and keep. */
  plan: MembershipPlan;
}

/** A dry run of one login against `input.current`, every organization listed. */
export function explainMapping(engine: MappingEngine, input: MappingInput): MappingExplanation {
  return explainPlan(engine, engine.plan(input, { verbose: true }));
}

/** The explanation of a plan the engine made with `{ verbose: true }` (so that a caller plans once). */
export function explainPlan(engine: MappingEngine, planned: MappingPlan): MappingExplanation {
  const { outcome } = planned;
  return {
    requireEntitlement: engine.requireEntitlement,
    organization: engine.organization,
    mappers: outcome.trace,
    entitlements: outcome.entitlements,
    hasEntitlement: outcome.entitlements.length > 0,
    instanceAdmin: outcome.instanceAdmin,
    errors: outcome.errors,
    groupsUnavailable: outcome.groupsUnavailable,
    plan: planned.memberships,
  };
}
