/**
 * Bearer-token authentication for SCIM: one database lookup per request (no cache, so a
 * revocation is effective at once on every instance), hash comparison in constant time
 * (plugin/tokens.ts), `last_used_at` kept up to date. Failed tokens count against the client's
 * `rateLimits.scimTokenFailures` budget; once it is spent the client gets 429 until the window ends.
 */
import type { IncomingMessage } from 'node:http';
import type { GatehouseContext } from '../context.ts';
import type { ApiTokenRecord } from '../ports.ts';
import { budgetSpent, countAttempt } from '../http/rate-limit.ts';
import { bearerFrom, verifyToken } from '../tokens.ts';
import { scimError } from './errors.ts';

/** The token of a request, or a ScimError 401/403. */
export async function authenticate(ctx: GatehouseContext, req: IncomingMessage): Promise<ApiTokenRecord> {
  const spent = await budgetSpent(ctx, req, 'scimTokenFailures');
  if (spent.limited) throw scimError.tooManyRequests(spent.retryAfterSeconds);
  const presented = bearerFrom(req.headers.authorization);
  const token = presented === null ? null : await verifyToken(ctx.store, 'scim', presented, ctx.now());
  if (token === null) {
    // Only failures count: the IdP's own traffic never spends the budget.
    await countAttempt(ctx, req, 'scimTokenFailures');
    throw presented === null ? scimError.unauthorized() : scimError.unauthorized('Authorization failure: the bearer token is unknown or revoked.');
  }
  if (token.provider !== null && !ctx.providers.has(token.provider)) {
    throw scimError.forbidden(`The token is scoped to provider "${token.provider}", which is no longer configured.`);
  }
  return token;
}
