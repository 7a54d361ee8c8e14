/** The admin API's JSON shapes as the console pages read them (one source: the API's views). */
import type { endpointView, deliveryView } from '../webhooks/service.ts';
import type { auditView, identityView, membershipView, userView } from '../admin/views.ts';
import type { publicToken } from '../tokens.ts';
import type { explainLogin } from '../provisioning/explain.ts';
import type { ProvisioningConfig } from '../config/schema.ts';
import type { FirstLoginPolicy } from '../types.ts';

export type UserView = ReturnType<typeof userView>;
export type MembershipView = ReturnType<typeof membershipView>;
export type IdentityView = ReturnType<typeof identityView>;
export type AuditView = ReturnType<typeof auditView>;
export type TokenView = ReturnType<typeof publicToken>;
export type EndpointView = ReturnType<typeof endpointView>;
export type DeliveryView = ReturnType<typeof deliveryView>;
export type Explanation = Awaited<ReturnType<typeof explainLogin>>;

export interface UserPage {
  users: UserView[];
  nextCursor: string | null;
}
export interface UserDetail {
  user: UserView;
  identities: IdentityView[];
  memberships: MembershipView[];
  overrides: MembershipView[];
  effective: { organization: string; roles: string[]; groups: string[] }[];
}
export interface Organization {
  id: string;
  name?: string | null | undefined;
  roles: string[];
  groups: string[];
}
export interface ProviderView {
  id: string;
  type: 'oidc' | 'saml';
  displayName: string | null;
  organization: string | null;
  firstLoginPolicy: FirstLoginPolicy;
  configuredFirstLoginPolicy: FirstLoginPolicy;
}
/** Whether a write-only secret is stored: all the API ever says about it. */
export interface SecretState {
  set: boolean;
}
/** SAML metadata refresh state, when the API reports it for a provider with a metadataUrl. */
export interface MetadataStatus {
  url: string;
  lastRefreshedAt: string | null;
  lastError: string | null;
  certificates: { subject: string; notAfter: string }[];
}
/** `GET /admin/api/providers/{id}`: the config file's provider shape without secret values. */
export interface ProviderDetail extends ProviderView {
  source: 'config' | 'database';
  domains?: string[];
  claims?: Record<string, string>;
  trustEmail?: boolean;
  provisioning?: ProvisioningConfig;
  issuer?: string;
  clientId?: string;
  clientSecret?: SecretState;
  scopes?: string[];
  entryPoint?: string;
  idpIssuer?: string;
  idpCert?: string | string[];
  metadataUrl?: string;
  allowPrivateNetwork?: boolean;
  privateKey?: SecretState;
  decryptionKey?: SecretState;
  metadataStatus?: MetadataStatus;
  createdAt?: string;
  updatedAt?: string;
}
export interface AllowlistView {
  enabled: boolean;
  allowDbOverrides: boolean;
  configEntries: string[];
  entries: { id: string; entry: string; createdBy: string | null; createdAt: string | null }[];
}
export interface MintedTokenView {
  id: string;
  name: string;
  provider: string | null;
  token: string;
  createdAt: string | null;
}
export interface WebhookExample {
  endpointId: string;
  trigger: string;
  fires: boolean;
  note?: string;
  headers: Record<string, string> | null;
  body: unknown;
  raw?: string;
}
export interface DeliveryDetail extends DeliveryView {
  body: unknown;
  attemptLog: {
    attempt: number;
    startedAt: string | null;
    durationMs: number;
    statusCode: number | null;
    outcome: string;
    error: string | null;
    responseExcerpt: string | null;
    nextAttemptAt: string | null;
  }[];
}
