/**
 * One engine per provisioning block: the mappers it uses, compiled once; `evaluate`, which runs
 * them all on a login and unites their grants; `plan`, which adds the membership plan and the
 * access decision. Pure: no I/O, never throws for bad claims.
 */
import type { JSONObject } from '@jmespath-community/jmespath';
import type { ProvisioningConfig } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { Claims, Membership, SyncMode } from '../types.ts';
import { accessRule, decideAccess } from './access.ts';
import { newMapperTrace } from './catalog.ts';
import { planMembershipSync } from './diff.ts';
import { MAPPERS, type PreparedMapper } from './registry.ts';
import type { AccessRule, EvaluateOptions, MappingEngine, MappingError, MappingInput, MappingOutcome, MapperTrace, OrgCatalog } from './types.ts';
import { unite } from './unite.ts';

/** A provisioning block after validation: its mappers with their compiled plans. */
export interface CompiledProvisioning {
  path: string;
  mappers: PreparedMapper[];
  syncMode: SyncMode;
  access: AccessRule;
}

/**
 * Validates a provisioning block (`path` is its key path) and compiles every expression.
 * `onlyOrganization` is set for the own block of an organization-only provider;
 * `allowlistMessage` is what a refusal shows when the block has no `message`.
 */
export function compileProvisioning(
  provisioning: ProvisioningConfig,
  path: string,
  catalog: OrgCatalog,
  onlyOrganization: string | null,
  allowlistMessage: string,
): CompiledProvisioning {
  const organizations = onlyOrganization === null ? catalog.ids() : [onlyOrganization];
  const { defaultRole } = provisioning;
  if (defaultRole !== undefined && organizations.length > 0 && !organizations.some((id) => catalog.get(id)?.roles.has(defaultRole))) {
    const where = onlyOrganization === null ? 'any organization' : `organization "${onlyOrganization}"`;
    throw new ConfigError(`${path}.defaultRole`, `role "${defaultRole}" does not exist in ${where}`);
  }
  const setup = { provisioning, path, catalog, organizations, onlyOrganization };
  const mappers: PreparedMapper[] = [];
  for (const mapper of MAPPERS) {
    const prepared = mapper.prepare(setup);
    if (prepared !== null) mappers.push(prepared);
  }
  return {
    path,
    mappers,
    syncMode: provisioning.syncMode,
    access: accessRule(provisioning, allowlistMessage),
  };
}

/**
 * The engine's input for a user's claims and the rows it holds now. `instanceAdmins` match on a
 * verified email only: an address anyone can set at an IdP is no credential.
 */
export function mappingInput(claims: Claims, source: 'sso' | 'scim', current: Membership[]): MappingInput {
  return { claims, source, current, email: claims.emailVerified ? claims.email : null };
}

/** The data JMESPath sees: the raw claims, with `groups` replaced by the normalized groups. */
export function expressionData(input: MappingInput): JSONObject {
  return { ...(input.claims.raw as JSONObject), groups: input.claims.groups };
}

/** Runs every mapper of a block on one login and unites their grants. */
function evaluateMappers(
  compiled: CompiledProvisioning,
  catalog: OrgCatalog,
  scope: readonly string[],
  organization: string | null,
  input: MappingInput,
  options: EvaluateOptions | undefined,
): MappingOutcome {
  const run = { input, data: expressionData(input), organizations: scope, verbose: options?.verbose === true, catalog };
  const trace: MapperTrace[] = [];
  const errors: MappingError[] = [];
  const grants: Parameters<typeof unite>[0] = [];
  let instanceAdmin = false;
  for (const mapper of compiled.mappers) {
    let result;
    try {
      result = mapper.evaluate(run);
    } catch (error) {
      // A bug in a mapper must not fail the login; it is reported like an expression error.
      const message = `internal error: ${error instanceof Error ? error.message : String(error)}`;
      errors.push({ mapper: mapper.name, organization: null, message });
      const failed = newMapperTrace(mapper.name, input.source);
      failed.notes.push(message);
      trace.push(failed);
      continue;
    }
    trace.push(result.trace);
    for (const e of result.errors) errors.push({ mapper: mapper.name, ...e });
    for (const grant of result.grants) grants.push({ mapper: mapper.name, grant });
    if (result.instanceAdmin && organization !== null) {
      result.trace.instanceAdmin = false;
      result.trace.notes.push(`instance admin not granted: the provider is organization-only ("${organization}")`);
    } else if (result.instanceAdmin) {
      instanceAdmin = true;
    }
  }
  const groupsUnavailable = input.claims.groupsOverage;
  const entitlements = unite(grants, {
    current: input.current,
    source: input.source,
    syncMode: compiled.syncMode,
    groupsUnavailable,
    organization,
  });
  if (groupsUnavailable && compiled.syncMode === 'MANAGED') {
    for (const t of trace) {
      if (t.mapper !== 'static') t.notes.push('groups unavailable (overage): MANAGED sync removes nothing on this login');
    }
  }
  return { entitlements, instanceAdmin, trace, errors, groupsUnavailable };
}

/** An engine over compiled mappers; `organization` restricts it to one org (organization-only provider). */
export function buildEngine(compiled: CompiledProvisioning, catalog: OrgCatalog, organization: string | null): MappingEngine {
  const scope: readonly string[] = organization === null ? catalog.ids() : [organization];
  const { syncMode, access } = compiled;
  const evaluate = (input: MappingInput, options?: EvaluateOptions): MappingOutcome =>
    evaluateMappers(compiled, catalog, scope, organization, input, options);
  return {
    syncMode,
    requireEntitlement: access.requireEntitlement,
    message: access.message,
    organization,
    evaluate,
    plan(input, options) {
      const outcome = evaluate(input, options);
      return {
        outcome,
        memberships: planMembershipSync({ current: input.current, outcome, syncMode, source: input.source }),
        access: decideAccess(outcome, input.current, access),
      };
    },
  };
}
