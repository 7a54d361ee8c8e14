/**
 * `static` (Chainloop's static provisioning): every user who logs in joins each listed
 * organization with `role` (default `defaultRole`) and `groups`; a different role the user already
 * has in that org is kept instead. `instanceAdmins` names instance administrators by email.
 */
import { ConfigError } from '../errors.ts';
import { newMapperTrace, newOrgTrace } from './catalog.ts';
import type { Grant, Mapper, MapperResult } from './types.ts';

interface StaticEntry {
  organization: string;
  role: string;
  groups: string[];
}

export interface StaticPlan {
  entries: StaticEntry[];
  /** Lower-cased emails. */
  instanceAdmins: ReadonlySet<string>;
}

export const staticMapper: Mapper<StaticPlan> = {
  name: 'static',

  validate({ provisioning, path, catalog, onlyOrganization }) {
    if (provisioning.static.length === 0 && provisioning.instanceAdmins.length === 0) return null;
    const entries = provisioning.static.map((entry, i): StaticEntry => {
      const at = `${path}.static[${i}]`;
      const org = catalog.get(entry.organization);
      if (org === undefined) throw new ConfigError(`${at}.organization`, `unknown organization "${entry.organization}"`);
      if (onlyOrganization !== null && entry.organization !== onlyOrganization) {
        throw new ConfigError(
          `${at}.organization`,
          `the provider is organization-only ("${onlyOrganization}") and cannot map into "${entry.organization}"`,
        );
      }
      const role = entry.role ?? provisioning.defaultRole;
      if (role === undefined) throw new ConfigError(`${at}.role`, `no role given and ${path}.defaultRole is not set`);
      if (!org.roles.has(role)) {
        const rolePath = entry.role === undefined ? `${path}.defaultRole` : `${at}.role`;
        throw new ConfigError(rolePath, `role "${role}" does not exist in organization "${entry.organization}"`);
      }
      if (provisioning.requireExistingGroups) {
        entry.groups.forEach((group, j) => {
          if (!org.groups.has(group)) {
            throw new ConfigError(`${at}.groups[${j}]`, `group "${group}" does not exist in organization "${entry.organization}"`);
          }
        });
      }
      return { organization: entry.organization, role, groups: [...new Set(entry.groups)] };
    });
    const instanceAdmins = new Set<string>();
    provisioning.instanceAdmins.forEach((email, i) => {
      if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new ConfigError(`${path}.instanceAdmins[${i}]`, `"${email}" is not an email address`);
      instanceAdmins.add(email.toLowerCase());
    });
    return { entries, instanceAdmins };
  },

  evaluate(plan, { input }): MapperResult {
    const trace = newMapperTrace('static', 'static');
    const grants: Grant[] = plan.entries.map((entry) => {
      const orgTrace = newOrgTrace(entry.organization, 'static: every user joins this organization', true);
      trace.organizations.push(orgTrace);
      return { organization: entry.organization, roles: [], fallbackRole: entry.role, groups: entry.groups, source: 'static', trace: orgTrace };
    });
    trace.summary.evaluated = plan.entries.length;
    trace.summary.matched = plan.entries.length;
    const email = input.email?.toLowerCase() ?? null;
    const instanceAdmin = email !== null && plan.instanceAdmins.has(email);
    if (plan.instanceAdmins.size > 0) {
      trace.instanceAdmin = instanceAdmin;
      trace.notes.push(instanceAdmin ? `instanceAdmins lists ${email}` : 'email not in instanceAdmins');
    }
    return { grants, instanceAdmin, trace, errors: [] };
  },
};
