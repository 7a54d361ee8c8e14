/**
 * Bearer-token authentication for SCIM: one database lookup per request (no cache, so a
 * revocation is effective at once on every instance), hash comparison in constant time
 * (plugin/tokens.ts), `last_used_at` kept up to date. Failed tokens count against the client's
 * `rateLimits.scimTokenFailures` budget; once it is spent the client gets 429 until the window ends.
 */
import type { IncomingMessage } from 'node:http';
import type { GatehouseContext } from '../context.ts';
import type { ApiTokenRecord } from '../ports.ts';
import { verifyTokenWithinBudget } from '../http/rate-limit.ts';
import { scimError } from './errors.ts';

/** The token of a request, or a ScimError 401/403. */
export async function authenticate(ctx: GatehouseContext, req: IncomingMessage): Promise<ApiTokenRecord> {
  const checked = await verifyTokenWithinBudget(ctx, req, 'scim');
  if (!checked.ok) {
    if (checked.limited) throw scimError.tooManyRequests(checked.retryAfterSeconds);
    throw checked.presented ? scimError.unauthorized('Authorization failure: the bearer token is unknown or revoked.') : scimError.unauthorized();
  }
  const token = checked.row;
  if (token.provider !== null && !ctx.runtime.current().providers.has(token.provider)) {
    throw scimError.forbidden(`The token is scoped to provider "${token.provider}", which is no longer configured.`);
  }
  return token;
}
