/** SCIM 2.0 server (RFC 7643/7644) for Users and Groups. See docs/scim.md. */
export { createScimRouter, type ScimRouterDeps } from './router.ts';
export { createScimAuditLog, type ScimAuditLog } from './audit-log.ts';
export { DEFAULT_LIMITS, type ScimLimits } from './discovery.ts';
export { ScimError, scimError, type ScimType } from './errors.ts';
export { parseFilter, type FilterAst } from './filter/parse.ts';
export { RESOURCE_TYPES, type ResourceType } from './registry.ts';
export type * from './ports.ts';
