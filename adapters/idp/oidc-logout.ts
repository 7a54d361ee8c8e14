/**
 * The OIDC logout protocols an RP takes part in: Back-Channel Logout 1.0 (the IdP posts a signed
 * logout token; every check of §2.6 is made here) and RP-Initiated Logout 1.0 (we send the browser
 * to the IdP's end_session_endpoint with the session's ID token as `id_token_hint`).
 */
import { createRemoteJWKSet, customFetch as joseFetch, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type * as client from 'openid-client';
import type { OidcProviderConfig } from '../../plugin/config/schema.ts';
import { GatehouseError } from '../../plugin/errors.ts';
import type { IdpSession, VerifiedLogoutToken } from '../../plugin/ports.ts';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A logout token older than this is refused (its iat); the jti is remembered at least this long. */
const MAX_TOKEN_AGE_S = 10 * 60;

export interface LogoutDeps {
  provider: OidcProviderConfig;
  configuration: () => Promise<client.Configuration>;
  customFetch?: typeof fetch | undefined;
  now: () => number;
}

function refused(provider: string, why: string, cause?: unknown): GatehouseError {
  return new GatehouseError('ERR_INVALID_ASSERTION', `OIDC back-channel logout from ${provider} refused: ${why}`, {
    cause,
    details: { reason: 'logout_token_invalid', provider },
  });
}

export function createLogoutVerifier(deps: LogoutDeps): (token: string) => Promise<VerifiedLogoutToken> {
  const { provider } = deps;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  const keys = async () => {
    if (jwks) return jwks;
    const uri = (await deps.configuration()).serverMetadata().jwks_uri;
    if (!uri) throw refused(provider.id, 'the IdP publishes no jwks_uri');
    jwks = createRemoteJWKSet(new URL(uri), deps.customFetch ? { [joseFetch]: deps.customFetch } : {});
    return jwks;
  };

  return async (token) => {
    if (typeof token !== 'string' || token.length === 0 || token.length > 16_384) throw refused(provider.id, 'no logout_token');
    let typ: string | undefined;
    try {
      typ = decodeProtectedHeader(token).typ;
    } catch (e) {
      throw refused(provider.id, 'not a JWT', e);
    }
    // An explicitly typed token of another kind (an access token, say) is never a logout token.
    if (typ !== undefined && !['logout+jwt', 'jwt'].includes(typ.toLowerCase().replace(/^application\//, ''))) {
      throw refused(provider.id, `typ "${typ.slice(0, 40)}" is not logout+jwt`);
    }
    const config = await deps.configuration();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await keys(), {
        issuer: config.serverMetadata().issuer,
        audience: provider.clientId,
        algorithms: [provider.idTokenSignedResponseAlg],
        requiredClaims: ['iat', 'jti'],
        maxTokenAge: MAX_TOKEN_AGE_S,
        currentDate: new Date(deps.now()),
        clockTolerance: 60,
      }));
    } catch (e) {
      throw refused(provider.id, `signature or claims invalid (${e instanceof Error ? e.message.slice(0, 120) : 'unknown'})`, e);
    }
    const events = payload.events as Record<string, unknown> | undefined;
    const event = events && typeof events === 'object' ? events[BACKCHANNEL_EVENT] : undefined;
    if (event === null || typeof event !== 'object' || Array.isArray(event)) throw refused(provider.id, 'no back-channel logout event');
    // A nonce marks an ID token: one must never pass for a logout token.
    if ('nonce' in payload) throw refused(provider.id, 'a logout token carries no nonce');
    const sid = typeof payload.sid === 'string' && payload.sid !== '' ? payload.sid : undefined;
    const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
    if (!sid && !sub) throw refused(provider.id, 'neither sid nor sub');
    if (typeof payload.jti !== 'string' || payload.jti === '') throw refused(provider.id, 'no jti');
    const expiresAt = Math.max((payload.exp ?? 0) * 1000, ((payload.iat ?? 0) + MAX_TOKEN_AGE_S) * 1000) + 60_000;
    return { jti: payload.jti, sid, sub, expiresAt };
  };
}

/** The end_session_endpoint URL for this session, or null when the IdP does not offer one. */
export async function endSessionUrl(deps: Pick<LogoutDeps, 'provider' | 'configuration'>, session: IdpSession, postLogoutRedirectUri: string): Promise<string | null> {
  const endpoint = (await deps.configuration()).serverMetadata().end_session_endpoint;
  if (!endpoint) return null;
  const url = new URL(endpoint);
  if (session.idTokenHint) url.searchParams.set('id_token_hint', session.idTokenHint);
  url.searchParams.set('client_id', deps.provider.clientId);
  url.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
  return url.href;
}
