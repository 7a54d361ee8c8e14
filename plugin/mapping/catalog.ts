/**
 * The organization catalog and the existence checks every mapper shares: a role or group name
 * must match what the organization has, character for character.
 */
import type { MembershipSource } from '../types.ts';
import type { MapperTrace, OrgCatalog, OrgTrace } from './types.ts';

/** Builds a catalog from config `organizations` or from the store's `listOrganizations()`. */
export function catalogFrom(entries: { id: string; roles: string[]; groups: string[] }[]): OrgCatalog {
  const byId = new Map<string, { roles: ReadonlySet<string>; groups: ReadonlySet<string> }>();
  for (const entry of entries) byId.set(entry.id, { roles: new Set(entry.roles), groups: new Set(entry.groups) });
  const ids = [...byId.keys()];
  return {
    get: (orgId) => byId.get(orgId),
    ids: () => [...ids],
  };
}

/** Splits names into those that exist in the org and those that do not; keeps order, drops repeats. */
export function partitionExisting(names: Iterable<string>, exists: (name: string) => boolean): { found: string[]; missing: string[] } {
  const found: string[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (exists(name)) found.push(name);
    else missing.push(name);
  }
  return { found, missing };
}

/** Groups to grant: existing ones, or all of them when `requireExistingGroups` is off. */
export function checkGroups(catalog: OrgCatalog, orgId: string, names: Iterable<string>, requireExisting: boolean): { found: string[]; missing: string[] } {
  if (!requireExisting) return partitionExisting(names, () => true);
  const groups = catalog.get(orgId)?.groups;
  return partitionExisting(names, (name) => groups?.has(name) === true);
}

export function checkRoles(catalog: OrgCatalog, orgId: string, names: Iterable<string>): { found: string[]; missing: string[] } {
  const roles = catalog.get(orgId)?.roles;
  return partitionExisting(names, (name) => roles?.has(name) === true);
}

/**
 * A fresh trace entry. Optional fields are set by assignment afterwards, never with object spread:
 * V8's spread path made each traced org cost several microseconds (bench/mapping.ts).
 */
export function newOrgTrace(organization: string, reason: string, matched = false, extra?: Pick<OrgTrace, 'policy' | 'error'>): OrgTrace {
  const trace: OrgTrace = { organization, matched, reason, roles: [], groups: [], rolesMissing: [], groupsMissing: [] };
  if (extra?.policy !== undefined) trace.policy = extra.policy;
  if (extra?.error !== undefined) trace.error = extra.error;
  return trace;
}

export function newMapperTrace(mapper: string, source: MembershipSource): MapperTrace {
  return {
    mapper,
    source,
    organizations: [],
    instanceAdmin: false,
    ignored: [],
    summary: { evaluated: 0, matched: 0, notListed: 0 },
    notes: [],
  };
}

/** Renders a config key under a record, e.g. `rules.organizations.acme-corp`. */
export function keyPath(base: string, key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}
