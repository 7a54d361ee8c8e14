/**
 * The resource registry: one entry per SCIM resource type. Routes, Bulk, /Schemas and
 * /ResourceTypes all read it; a new resource type is one entry here (schema, storage mapping in
 * its attribute definitions, operations), nothing else.
 */
import { GROUP_RESOURCE, groupOps } from './resources/groups.ts';
import type { ResourceOps } from './resources/types.ts';
import { USER_RESOURCE, userOps } from './resources/users.ts';
import type { ResourceSchema } from './schema/resource.ts';

export interface ResourceType {
  /** `User`, `Group`: the ResourceType id. */
  name: string;
  /** `/Users`, `/Groups`. */
  endpoint: string;
  description: string;
  schema: ResourceSchema;
  /** Audit action noun: `scim.<noun>.<verb>`. */
  noun: string;
  ops: ResourceOps;
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  {
    name: 'User',
    endpoint: '/Users',
    description: 'User Account',
    schema: USER_RESOURCE,
    noun: 'user',
    ops: userOps,
  },
  {
    name: 'Group',
    endpoint: '/Groups',
    description: 'Group (an identity provider group, mapped to organization roles by the provisioning rules)',
    schema: GROUP_RESOURCE,
    noun: 'group',
    ops: groupOps,
  },
];

/** The entry whose endpoint a path starts with (`/Users/abc` -> User), case-insensitively. */
export function resourceTypeOfPath(path: string): { type: ResourceType; id: string | null } | null {
  const m = /^\/([^/?#]+)(?:\/([^/?#]+))?\/?$/.exec(path);
  if (!m) return null;
  const type = RESOURCE_TYPES.find((t) => t.endpoint.slice(1).toLowerCase() === (m[1] as string).toLowerCase());
  return type ? { type, id: m[2] === undefined ? null : decodeURIComponent(m[2]) } : null;
}
