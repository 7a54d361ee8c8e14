/**
 * The body of a delivery (contract section 7) and the trigger decision (seed 003):
 *
 * - `user_created_without_groups`: the login created the user and the IdP sent no groups;
 * - `login_without_groups`: any login (first or later) where the IdP sent no groups;
 * - `every_login`: every SSO login;
 * - `none`: never.
 *
 * Logins that land in the waiting room (`pending_approval`) fire too: the seed's automation runs
 * right after the first login, which is exactly when the user waits. "No groups" means the group
 * claim was empty; a login whose IdP reported a group overage (groups exist but were not sent) is
 * not a login without groups.
 */
import type { LoginEvent } from '../context.ts';
import type { FiringTrigger, WebhookEndpoint, WebhookTrigger } from './ports.ts';

/** Optional user fields an endpoint may add to `data.user`. */
export const OPTIONAL_FIELDS = ['first_name', 'last_name', 'name', 'email_verified', 'status', 'subject', 'new_user'] as const;
export type OptionalField = (typeof OPTIONAL_FIELDS)[number];

export function isOptionalField(name: string): name is OptionalField {
  return (OPTIONAL_FIELDS as readonly string[]).includes(name);
}

export interface WebhookBody {
  type: FiringTrigger;
  timestamp: string;
  data: {
    user: { id: string; email: string | null; username: string | null } & Partial<Record<OptionalField, string | boolean | null>>;
    provider: string;
    groups: string[];
    custom_payload: Record<string, string>;
  };
}

/** The facts a body is made of: a login event, or an example. */
export type PayloadFacts = Pick<LoginEvent, 'user' | 'claims' | 'created'>;

function withoutGroups(facts: Pick<LoginEvent, 'claims'>): boolean {
  return facts.claims.groups.length === 0 && !facts.claims.groupsOverage;
}

/** Whether an endpoint with this trigger fires for this login. */
export function shouldFire(trigger: WebhookTrigger, event: Pick<LoginEvent, 'claims' | 'created'>): trigger is FiringTrigger {
  switch (trigger) {
    case 'none':
      return false;
    case 'user_created_without_groups':
      return event.created && withoutGroups(event);
    case 'login_without_groups':
      return withoutGroups(event);
    case 'every_login':
      return true;
  }
}

function optionalValue(field: OptionalField, facts: PayloadFacts): string | boolean | null {
  const { user, claims } = facts;
  switch (field) {
    case 'first_name':
      return claims.givenName ?? user.givenName;
    case 'last_name':
      return claims.familyName ?? user.familyName;
    case 'name':
      return claims.name ?? user.displayName;
    case 'email_verified':
      return claims.emailVerified;
    case 'status':
      return user.status;
    case 'subject':
      return claims.subject;
    case 'new_user':
      return facts.created;
  }
}

export function buildBody(type: FiringTrigger, endpoint: Pick<WebhookEndpoint, 'fields' | 'payload'>, facts: PayloadFacts, at: number): WebhookBody {
  const user: WebhookBody['data']['user'] = {
    id: facts.user.id,
    email: facts.user.email,
    username: facts.user.userName ?? facts.user.email,
  };
  for (const f of endpoint.fields) if (isOptionalField(f)) user[f] = optionalValue(f, facts);
  return {
    type,
    timestamp: new Date(at).toISOString(),
    data: { user, provider: facts.claims.provider, groups: [...facts.claims.groups], custom_payload: { ...endpoint.payload } },
  };
}

/** The bytes that are stored, signed and sent. */
export function serializeBody(body: WebhookBody): string {
  return JSON.stringify(body);
}

/** A made-up login for `GET /admin/api/webhooks/{id}/example`. */
export function exampleFacts(type: FiringTrigger, provider: string): PayloadFacts {
  const noGroups = type !== 'every_login';
  return {
    created: type === 'user_created_without_groups',
    user: {
      id: '00000000-0000-4000-8000-000000000000',
      email: 'jane.doe@example.com',
      emailOriginal: 'Jane.Doe@example.com',
      userName: null,
      externalId: null,
      givenName: 'Jane',
      familyName: 'Doe',
      displayName: 'Jane Doe',
      status: 'active',
      instanceAdmin: false,
      createdAt: 0,
      updatedAt: 0,
      version: 1,
    },
    claims: {
      provider,
      subject: 'example-subject',
      email: 'jane.doe@example.com',
      emailOriginal: 'Jane.Doe@example.com',
      emailVerified: true,
      name: 'Jane Doe',
      givenName: 'Jane',
      familyName: 'Doe',
      groups: noGroups ? [] : ['developers'],
      groupsOverage: false,
      raw: {},
    },
  };
}
