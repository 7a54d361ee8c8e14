/**
 * The discovery documents (RFC 7644 §4), built from the registry and the limits the server
 * enforces, so what they advertise is what the server does.
 */
import { MAX_RESULTS } from './query.ts';
import { RESOURCE_TYPES } from './registry.ts';
import { publicAttribute, type SchemaDef } from './schema/types.ts';

export const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export interface ScimLimits {
  /** Bulk operations per request. */
  maxOperations: number;
  /** Bytes of a request body (Bulk and every other request). */
  maxPayloadSize: number;
}

export const DEFAULT_LIMITS: ScimLimits = { maxOperations: 1000, maxPayloadSize: 1_048_576 };

export function serviceProviderConfig(baseUrl: string, limits: ScimLimits): Record<string, unknown> {
  return {
    schemas: [SPC_SCHEMA],
    patch: { supported: true },
    bulk: { supported: true, maxOperations: limits.maxOperations, maxPayloadSize: limits.maxPayloadSize },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A long-lived bearer token minted with `gatehouse scim-token mint` or the admin API.',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function allSchemas(): SchemaDef[] {
  const seen = new Map<string, SchemaDef>();
  for (const t of RESOURCE_TYPES) for (const s of [t.schema.core, ...t.schema.extensions]) seen.set(s.id, s);
  return [...seen.values()];
}

export function schemaDocument(schema: SchemaDef, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map(publicAttribute),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${schema.id}` },
  };
}

export function resourceTypeDocuments(baseUrl: string): Record<string, unknown>[] {
  return RESOURCE_TYPES.map((t) => ({
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: t.name,
    name: t.name,
    endpoint: t.endpoint,
    description: t.description,
    schema: t.schema.core.id,
    schemaExtensions: t.schema.extensions.map((e) => ({ schema: e.id, required: false })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${t.name}` },
  }));
}
