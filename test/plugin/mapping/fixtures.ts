/**
 * Shared inputs of the mapping tests: configs go through the real parser (defaults applied as at
 * start), claims are normalized the way the IdP adapters do, memberships are plain rows.
 */
import type { ResolvedConfig } from '../../../plugin/config/schema.ts';
import { parseConfig } from '../../../plugin/config/parse.ts';
import { catalogFrom, createMappingEngines, planMembershipSync } from '../../../plugin/mapping/index.ts';
import type { MappingEngine, MappingInput, MappingOutcome } from '../../../plugin/mapping/index.ts';
import type { Claims, Membership, MembershipSource } from '../../../plugin/types.ts';

/** The ID token of Pangolin's auto-provisioning examples, as printed in its docs. */
export const PANGOLIN_ID_TOKEN = {
  sub: '9590c3bfccd1b1a54b35845fb1bb950057dfa50fba43cb8bada58b462c80e207',
  aud: 'JJoSvHCZcxnXT2sn6CObj6a21MuKNRXs3kN5wbys',
  exp: 1745790819,
  iat: 1745789019,
  auth_time: 1745789019,
  email: 'user@example.com',
  email_verified: true,
  name: 'Example User',
  groups: ['home-lab', 'admin'],
};

export const ACME = {
  id: 'acme-corp',
  roles: ['owner', 'admin', 'viewer', 'member', 'contributor'],
  groups: ['developers', 'compliance-team', 'development-team'],
};
export const HOME_LAB = { id: 'home-lab', roles: ['Admin', 'Member'] };

export function oidcProvider(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'oidc', issuer: 'http://127.0.0.1:4000', clientId: 'gateway', ...extra };
}

export function configWith(input: Record<string, unknown>): ResolvedConfig {
  return parseConfig({ server: { sessionSecret: 'test-session-secret-0123456789' }, ...input });
}

export function enginesFor(input: Record<string, unknown>): ReturnType<typeof createMappingEngines> {
  const config = configWith(input);
  return createMappingEngines(config, catalogFrom(config.organizations));
}

/** Normalizes raw claims like the adapters: lower-cased email, groups array, overage flag. */
export function claimsFrom(raw: Record<string, unknown>, provider = 'corp-oidc'): Claims {
  const email = typeof raw.email === 'string' ? raw.email : null;
  const claimNames = raw._claim_names as Record<string, unknown> | undefined;
  return {
    provider,
    subject: typeof raw.sub === 'string' ? raw.sub : 'subject-1',
    email: email?.toLowerCase() ?? null,
    emailOriginal: email,
    emailVerified: raw.email_verified === true,
    name: typeof raw.name === 'string' ? raw.name : null,
    givenName: null,
    familyName: null,
    groups: Array.isArray(raw.groups) ? raw.groups.filter((g): g is string => typeof g === 'string') : [],
    groupsOverage: raw.hasgroups === true || (claimNames !== undefined && 'groups' in claimNames),
    raw,
  };
}

export function loginInput(raw: Record<string, unknown>, current: Membership[] = [], source: 'sso' | 'scim' = 'sso'): MappingInput {
  const claims = claimsFrom(raw);
  return { claims, source, current, email: claims.email };
}

let nextId = 1;
export function row(organization: string, kind: 'role' | 'group', name: string, source: MembershipSource, mapper: string | null = null): Membership {
  return { id: `m${nextId++}`, organization, kind, name, source, mapper, createdAt: 0 };
}

/** What the store holds after applying a plan (ids for new rows are made up). */
export function applyPlan(current: Membership[], plan: ReturnType<typeof planMembershipSync>): Membership[] {
  return [...plan.kept, ...plan.add.map((m) => row(m.organization, m.kind, m.name, m.source, m.mapper))];
}

/** Runs one login through evaluate + plan + apply, as the provisioning pipeline does. */
export function login(engine: MappingEngine, raw: Record<string, unknown>, current: Membership[]): { outcome: MappingOutcome; after: Membership[]; plan: ReturnType<typeof planMembershipSync> } {
  const outcome = engine.evaluate(loginInput(raw, current));
  const plan = planMembershipSync({ current, outcome, syncMode: engine.syncMode, source: 'sso' });
  return { outcome, plan, after: applyPlan(current, plan) };
}

/** Memberships as sorted `org:kind:name/source` strings, for compact assertions. */
export function facts(rows: { organization: string; kind: string; name: string; source: string }[]): string[] {
  return rows.map((m) => `${m.organization}:${m.kind}:${m.name}/${m.source}`).sort();
}

/** Entitlements flattened to sorted `org:role:name` / `org:group:name` strings. */
export function granted(outcome: MappingOutcome): string[] {
  return outcome.entitlements
    .flatMap((e) => [...e.roles.map((r) => `${e.organization}:role:${r}`), ...e.groups.map((g) => `${e.organization}:group:${g}`)])
    .sort();
}
