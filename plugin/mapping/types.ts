/**
 * Vocabulary of the mapping engine: what the pipeline hands in, what comes out, and the small
 * contract every mapper (`static`, `groupsPattern`, `rules`) implements.
 */
import type { JSONObject } from '@jmespath-community/jmespath';
import type { ProvisioningConfig } from '../config/schema.ts';
import type { NewMembership } from '../ports.ts';
import type { Claims, Entitlement, Membership, MembershipSource, SyncMode } from '../types.ts';

/** The organizations that exist, with their roles and groups; mapping never creates a role. */
export interface OrgCatalog {
  get(orgId: string): { roles: ReadonlySet<string>; groups: ReadonlySet<string> } | undefined;
  ids(): string[];
}

export interface MappingInput {
  claims: Claims;
  /** Source tag for entitlements of claims-driven mappers (`static` always tags `static`). */
  source: 'sso' | 'scim';
  /** The user's current memberships (empty for a new user). */
  current: Membership[];
  /** Lower-cased email, for `instanceAdmins`. */
  email: string | null;
}

export interface MappingError {
  mapper: string;
  organization: string | null;
  message: string;
}

/** What one mapper decided about one organization (JSON-serializable, printed by explain as is). */
export interface OrgTrace {
  organization: string;
  /**
   * True when this mapper selected the org and the user joins it, after uniting all mappers (items
   * an earlier mapper already gives are listed in `duplicates`).
   */
  matched: boolean;
  /** Why, in words. */
  reason: string;
  /** `rules` only: which policy applied. */
  policy?: 'default' | 'organization';
  /** Roles and groups this mapper grants (after dedupe: the first producer keeps them). */
  roles: string[];
  groups: string[];
  /** Role names the mapper produced that do not exist in the org (never created). */
  rolesMissing: string[];
  /** Group names that do not exist in the org (not granted while `requireExistingGroups`). */
  groupsMissing: string[];
  /** Role given only when the user ends up with no other role in the org (static `role`, `defaultRole`). */
  fallbackRole?: { role: string | null; granted: boolean; reason: string };
  /** Items also produced by an earlier mapper, which keeps them. */
  duplicates?: { kind: 'role' | 'group'; name: string; keptBy: string }[];
  /** `groupsPattern`: the group claims that led here. */
  claims?: string[];
  /** Error of an expression for this org (the org is skipped). */
  error?: string;
}

export interface MapperTrace {
  mapper: string;
  /** Source tag of what this mapper grants. */
  source: MembershipSource;
  organizations: OrgTrace[];
  /** True when this mapper made the user an instance admin. */
  instanceAdmin: boolean;
  /** Inputs this mapper looked at and ignored, with why (e.g. a group claim naming an unknown org). */
  ignored: { value: string; reason: string }[];
  /**
   * `evaluated`: inputs examined (organizations for `static` and `rules`, group claims for
   * `groupsPattern`); `matched`: how many of them gave something; `notListed`: examined but left out
   * of `organizations`/`ignored` so that a login's trace stays small with 10,000 organizations
   * (explain lists everything).
   */
  summary: { evaluated: number; matched: number; notListed: number };
  notes: string[];
}

export interface MappingOutcome {
  /** One per (mapper, organization) that grants something, tagged with mapper and source. */
  entitlements: Entitlement[];
  instanceAdmin: boolean;
  trace: MapperTrace[];
  errors: MappingError[];
  /** The IdP did not send the groups (Azure overage): MANAGED must not remove anything this time. */
  groupsUnavailable: boolean;
}

/** The membership rows a login (or a SCIM push) adds, removes and keeps. */
export interface MembershipPlan {
  add: NewMembership[];
  remove: Membership[];
  kept: Membership[];
  /** True when MANAGED would have removed rows but the groups were unavailable (overage). */
  removalBlocked: boolean;
}

/** The entitlement requirement of a provisioning block, resolved once when its engine is compiled. */
export interface AccessRule {
  /** No entitlement at all blocks access; MANAGED implies it. */
  readonly requireEntitlement: boolean;
  /** The message shown when access is blocked for lack of entitlement: the block's, else the allowlist's. */
  readonly message: string;
}

/**
 * May the user in after this mapping. `entitled`: the mapping grants a membership or instance admin
 * (what promotes a SCIM user out of the waiting room). A refusal carries the message to show.
 */
export type AccessDecision =
  | { allowed: true; entitled: boolean }
  | { allowed: false; entitled: false; reason: 'no_entitlement'; message: string };

/** What the engine makes of one user's claims against the rows it holds now. */
export interface MappingPlan {
  outcome: MappingOutcome;
  memberships: MembershipPlan;
  access: AccessDecision;
}

export interface EvaluateOptions {
  /** List every organization in the trace, even those no policy selected (explain). */
  verbose?: boolean;
}

export interface MappingEngine extends AccessRule {
  /** The mappers' grants alone, united (no plan, no access decision): pure. */
  evaluate(input: MappingInput, options?: EvaluateOptions): MappingOutcome;
  /** `evaluate`, then the membership plan and the access decision against `input.current`: pure. */
  plan(input: MappingInput, options?: EvaluateOptions): MappingPlan;
  readonly syncMode: SyncMode;
  /** Set for an organization-only provider: everything outside it is dropped. */
  readonly organization: string | null;
}

// ------------------------------------------------------------------ mapper contract

/** What a mapper's `validate` receives once, at start. */
export interface MapperSetup {
  provisioning: ProvisioningConfig;
  /** Key path of the provisioning block: `provisioning` or `providers[2].provisioning`. */
  path: string;
  catalog: OrgCatalog;
  /** Organizations to compile per-org expressions for (an organization-only block: just that one). */
  organizations: readonly string[];
  /** Set when this block belongs to an organization-only provider: it may name no other org. */
  onlyOrganization: string | null;
}

/** What a mapper's `evaluate` receives on each login. */
export interface MapperRun {
  input: MappingInput;
  /** Data JMESPath sees: the raw claims with `groups` replaced by the normalized groups. */
  data: JSONObject;
  /** Organizations in scope for this login. */
  organizations: readonly string[];
  verbose: boolean;
  catalog: OrgCatalog;
}

/** One mapper's grant for one organization, before mappers are united. */
export interface Grant {
  organization: string;
  /** Roles that exist in the org. */
  roles: string[];
  /** A role given only if the user ends up with no other role in the org. */
  fallbackRole: string | null;
  /** Groups to grant (existence already checked). */
  groups: string[];
  source: MembershipSource;
  /** The trace entry of this grant; the engine completes it when uniting. */
  trace: OrgTrace;
}

export interface MapperResult {
  grants: Grant[];
  instanceAdmin: boolean;
  trace: MapperTrace;
  errors: { organization: string | null; message: string }[];
}

/**
 * A mapping mode. `validate` checks its part of a provisioning block and compiles it (throwing a
 * ConfigError with the key path), returning null when the block does not use it; `evaluate` runs
 * the compiled plan for one login and never throws for bad claims.
 */
export interface Mapper<Plan> {
  readonly name: string;
  validate(setup: MapperSetup): Plan | null;
  evaluate(plan: Plan, run: MapperRun): MapperResult;
}
