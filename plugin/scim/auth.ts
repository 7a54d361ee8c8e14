/**
 * Bearer-token authentication for SCIM: one database lookup per request (no cache, so a
 * revocation is effective at once on every instance), hash comparison in constant time
 * (plugin/tokens.ts), `last_used_at` kept up to date.
 */
import type { IncomingMessage } from 'node:http';
import type { GatehouseContext } from '../context.ts';
import type { ApiTokenRecord } from '../ports.ts';
import { bearerFrom, verifyToken } from '../tokens.ts';
import { scimError } from './errors.ts';

/** The token of a request, or a ScimError 401/403. */
export async function authenticate(ctx: GatehouseContext, req: IncomingMessage): Promise<ApiTokenRecord> {
  const presented = bearerFrom(req.headers.authorization);
  if (presented === null) throw scimError.unauthorized();
  const token = await verifyToken(ctx.store, 'scim', presented, ctx.now());
  if (token === null) throw scimError.unauthorized('Authorization failure: the bearer token is unknown or revoked.');
  if (token.provider !== null && !ctx.providers.has(token.provider)) {
    throw scimError.forbidden(`The token is scoped to provider "${token.provider}", which is no longer configured.`);
  }
  return token;
}
