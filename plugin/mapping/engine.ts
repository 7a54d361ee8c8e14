/**
 * One engine per provisioning block: the mappers it uses, compiled once, and `evaluate`, which
 * runs them all on a login and unites their grants. Pure: no I/O, never throws for bad claims.
 */
import type { JSONObject } from '@jmespath-community/jmespath';
import type { ProvisioningConfig } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { SyncMode } from '../types.ts';
import { newMapperTrace } from './catalog.ts';
import { MAPPERS, type PreparedMapper } from './registry.ts';
import type { EvaluateOptions, MappingEngine, MappingError, MappingInput, MappingOutcome, MapperTrace, OrgCatalog } from './types.ts';
import { unite } from './unite.ts';

/** A provisioning block after validation: its mappers with their compiled plans. */
export interface CompiledProvisioning {
  path: string;
  mappers: PreparedMapper[];
  syncMode: SyncMode;
  requireEntitlement: boolean;
  message: string | undefined;
}

/**
 * Validates a provisioning block (`path` is its key path) and compiles every expression.
 * `onlyOrganization` is set for the own block of an organization-only provider.
 */
export function compileProvisioning(
  provisioning: ProvisioningConfig,
  path: string,
  catalog: OrgCatalog,
  onlyOrganization: string | null,
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
    requireEntitlement: provisioning.syncMode === 'MANAGED' || provisioning.requireEntitlement,
    message: provisioning.message,
  };
}

/** The data JMESPath sees: the raw claims, with `groups` replaced by the normalized groups. */
export function expressionData(input: MappingInput): JSONObject {
  return { ...(input.claims.raw as JSONObject), groups: input.claims.groups };
}

/** An engine over compiled mappers; `organization` restricts it to one org (organization-only provider). */
export function buildEngine(compiled: CompiledProvisioning, catalog: OrgCatalog, organization: string | null): MappingEngine {
  const scope: readonly string[] = organization === null ? catalog.ids() : [organization];
  return {
    syncMode: compiled.syncMode,
    requireEntitlement: compiled.requireEntitlement,
    message: compiled.message,
    organization,
    evaluate(input: MappingInput, options?: EvaluateOptions): MappingOutcome {
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
    },
  };
}
