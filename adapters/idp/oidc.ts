/**
 * OpenID Connect login on openid-client v6: authorization code flow with PKCE (S256), `state` and
 * `nonce` bound to the browser's pre-login flow, the ID token's `alg` pinned through client
 * metadata and its signature checked against the IdP's JWKS, userinfo merged into the claims.
 */
import * as client from 'openid-client';
import type { OidcProviderConfig } from '../../plugin/config/schema.ts';
import { ConfigError, GatehouseError } from '../../plugin/errors.ts';
import type { FlowState, IdpAdapter, VerifiedAssertion } from '../../plugin/ports.ts';
import { invalidAssertion, oauthErrorCode, stateMismatch, translateOidcError } from './oidc-errors.ts';
import { createLogoutVerifier, endSessionUrl } from './oidc-logout.ts';

export interface OidcAdapterDeps {
  /** Public base URL of the gateway; the redirect URI is `${baseUrl}/auth/${provider.id}/callback`. */
  baseUrl: string;
  /** Transport for every request to the IdP (tests inject misbehaving peers). */
  customFetch?: typeof fetch | undefined;
  /** How long a started sign-in may wait for its callback (default 15 minutes). */
  flowMaxAgeMs?: number | undefined;
  /** Timeout of each request to the IdP, in seconds (default 10). */
  requestTimeoutSeconds?: number | undefined;
  now?: (() => number) | undefined;
  /** Where this provider sits in the config, for the key paths of config errors (`providers[1]`). */
  keyPath: string;
}

/** What `begin` keeps in the flow for one pending sign-in. */
export interface PendingOidcLogin {
  codeVerifier: string;
  state: string;
  nonce: string;
  returnTo: string;
  startedAt: number;
}

/** ID token algorithms whose signature openid-client can check against the IdP's JWKS. */
const SIGNED_ALGS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);
/** Sign-ins one browser may have open with one provider at once (tabs); the oldest is dropped. */
const MAX_PENDING = 5;
/** Protocol claims that always come from the signed ID token, never from userinfo. */
const ID_TOKEN_OWNED = ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'nonce', 'azp', 'auth_time', 'acr', 'amr', 'at_hash', 'c_hash', 'sid', 'jti'];

/** Key of this provider's pending sign-ins in the flow (one per provider, so providers never clash). */
export function oidcFlowKey(providerId: string): string {
  return `oidc:${providerId}`;
}

export function oidcRedirectUri(baseUrl: string, providerId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/auth/${encodeURIComponent(providerId)}/callback`;
}

/**
 * Builds the adapter. Checks the provider config at once (a ConfigError names the key);
 * discovery happens on first use, is cached, and is tried again after a failure.
 */
export function createOidcAdapter(provider: OidcProviderConfig, deps: OidcAdapterDeps): IdpAdapter {
  const id = provider.id;
  const { keyPath } = deps;
  const issuer = new URL(provider.issuer);
  const alg = provider.idTokenSignedResponseAlg;
  if (!SIGNED_ALGS.has(alg)) {
    throw new ConfigError(`${keyPath}.idTokenSignedResponseAlg`, `"${alg}" is not supported; use an asymmetric algorithm such as RS256, PS256, ES256 or EdDSA`);
  }
  const allowInsecure = provider.allowInsecureRequests ?? isLoopbackHost(issuer.hostname);
  if (issuer.protocol !== 'https:' && !allowInsecure) {
    throw new ConfigError(`${keyPath}.issuer`, 'must be https (set allowInsecureRequests: true to allow plain http)');
  }
  const redirectUri = provider.callbackUrl ?? oidcRedirectUri(deps.baseUrl, id);
  const scope = (provider.scopes.includes('openid') ? provider.scopes : ['openid', ...provider.scopes]).join(' ');
  const flowMaxAgeMs = deps.flowMaxAgeMs ?? 15 * 60 * 1000;
  const now = deps.now ?? Date.now;
  const key = oidcFlowKey(id);

  let discovered: Promise<client.Configuration> | undefined;
  const configuration = (): Promise<client.Configuration> => {
    discovered ??= discover(provider, issuer, allowInsecure, deps).catch((err: unknown) => {
      discovered = undefined; // an IdP that was down is asked again next time
      throw err;
    });
    return discovered;
  };

  return {
    id,
    type: 'oidc',

    async begin({ flow, returnTo, loginHint }) {
      const config = await configuration();
      const codeVerifier = client.randomPKCECodeVerifier();
      const login: PendingOidcLogin = { codeVerifier, state: client.randomState(), nonce: client.randomNonce(), returnTo, startedAt: now() };
      let url: URL;
      try {
        url = client.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope,
          state: login.state,
          nonce: login.nonce,
          code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
          code_challenge_method: 'S256',
          ...(loginHint ? { login_hint: loginHint } : {}),
        });
      } catch (cause) {
        throw new GatehouseError('ERR_CONFIG_INVALID', `OIDC provider ${id}: cannot build the authorization URL`, { cause, details: { reason: 'authorization_endpoint_invalid', provider: id } });
      }
      const pending = Object.values(readPending(flow, key)).filter((p) => now() - p.startedAt < flowMaxAgeMs);
      pending.push(login);
      flow[key] = Object.fromEntries(pending.slice(-MAX_PENDING).map((p) => [p.state, p]));
      return url.href;
    },

    async complete({ flow, method, url }): Promise<VerifiedAssertion> {
      const params = url.searchParams;
      const state = params.get('state');
      const login = takePending(flow, key, state);
      const error = params.get('error');
      if (error !== null) {
        // An error grants nothing, so it is reported whatever the state (IdPs may drop it on errors).
        throw invalidAssertion('idp_error', id, { details: { error: oauthErrorCode(error) } });
      }
      if (method.toUpperCase() !== 'GET') throw invalidAssertion('unexpected_method', id);
      if (login === 'no_flow') throw stateMismatch('flow_state_missing', id);
      if (state === null || state === '') throw stateMismatch('state_missing', id);
      if (login === 'no_match') throw stateMismatch('state_mismatch', id);
      if (now() - login.startedAt > flowMaxAgeMs) throw stateMismatch('flow_state_expired', id);
      if (!params.get('code')) throw invalidAssertion('code_missing', id);

      const config = await configuration();
      // The registered redirect URI plus the IdP's parameters, whatever host/scheme the request came in on.
      const callback = new URL(redirectUri);
      for (const [k, v] of params) callback.searchParams.append(k, v);

      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(config, callback, {
          pkceCodeVerifier: login.codeVerifier,
          expectedState: login.state,
          expectedNonce: login.nonce,
          idTokenExpected: true,
        });
      } catch (err) {
        throw translateOidcError(err, 'token', id);
      }
      const idClaims = tokens.claims();
      if (!idClaims) throw invalidAssertion('id_token_missing', id);
      // openid-client checks azp only when there are several audiences; in our code flow an azp
      // present at all must be us.
      if (idClaims.azp !== undefined && idClaims.azp !== provider.clientId) throw invalidAssertion('azp_mismatch', id);

      let raw: Record<string, unknown> = { ...idClaims };
      if (config.serverMetadata().userinfo_endpoint) {
        let userinfo: Record<string, unknown>;
        try {
          userinfo = { ...(await client.fetchUserInfo(config, tokens.access_token, idClaims.sub)) };
        } catch (err) {
          throw translateOidcError(err, 'userinfo', id);
        }
        raw = { ...idClaims, ...userinfo };
        for (const claim of ID_TOKEN_OWNED) {
          if (claim in idClaims) raw[claim] = idClaims[claim];
          else delete raw[claim];
        }
      }
      const sid = typeof idClaims.sid === 'string' ? idClaims.sid : undefined;
      return { subject: idClaims.sub, raw, returnTo: login.returnTo, idpSession: { sid, idTokenHint: tokens.id_token } };
    },

    verifyLogoutToken: createLogoutVerifier({ provider, configuration, customFetch: deps.customFetch, now }),

    endSessionUrl: ({ session, postLogoutRedirectUri }) => endSessionUrl({ provider, configuration }, session, postLogoutRedirectUri),
  };
}

async function discover(provider: OidcProviderConfig, issuer: URL, allowInsecure: boolean, deps: OidcAdapterDeps): Promise<client.Configuration> {
  const execute: Array<(c: client.Configuration) => void> = [client.enableNonRepudiationChecks];
  if (allowInsecure) execute.unshift(client.allowInsecureRequests);
  const options: client.DiscoveryRequestOptions = { execute, timeout: deps.requestTimeoutSeconds ?? 10 };
  const customFetch = deps.customFetch;
  if (customFetch) options[client.customFetch] = (url, init) => customFetch(url, init as RequestInit);
  const metadata: Partial<client.ClientMetadata> = {
    id_token_signed_response_alg: provider.idTokenSignedResponseAlg,
    ...(provider.clientSecret ? { client_secret: provider.clientSecret } : {}),
  };
  try {
    return await client.discovery(issuer, provider.clientId, metadata, clientAuthentication(provider.clientSecret), options);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : 'unknown error';
    throw new GatehouseError('ERR_CONFIG_INVALID', `OIDC provider ${provider.id}: discovery at ${provider.issuer} failed (${detail})`, {
      cause,
      details: { reason: 'discovery_failed', provider: provider.id },
    });
  }
}

/**
 * client_secret_basic (the spec's default) unless the IdP's metadata offers only
 * client_secret_post; a public client (no secret) authenticates with PKCE alone.
 */
function clientAuthentication(secret: string | undefined): client.ClientAuth {
  if (!secret) return client.None();
  const basic = client.ClientSecretBasic(secret);
  const post = client.ClientSecretPost(secret);
  return (as, c, body, headers) => {
    const methods = as.token_endpoint_auth_methods_supported;
    const usePost = Array.isArray(methods) && !methods.includes('client_secret_basic') && methods.includes('client_secret_post');
    (usePost ? post : basic)(as, c, body, headers);
  };
}

function readPending(flow: FlowState, key: string): Record<string, PendingOidcLogin> {
  const value = flow[key];
  const out: Record<string, PendingOidcLogin> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [state, p] of Object.entries(value)) if (isPending(p) && p.state === state) out[state] = p;
  return out;
}

/** Finds and removes the pending sign-in the callback's state names: each is used once. */
function takePending(flow: FlowState, key: string, state: string | null): PendingOidcLogin | 'no_flow' | 'no_match' {
  const pending = readPending(flow, key);
  if (Object.keys(pending).length === 0) return 'no_flow';
  if (state === null || !Object.hasOwn(pending, state)) return 'no_match';
  const login = pending[state];
  delete pending[state];
  if (Object.keys(pending).length === 0) delete flow[key];
  else flow[key] = pending;
  return login ?? 'no_match';
}

function isPending(v: unknown): v is PendingOidcLogin {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  return typeof p.codeVerifier === 'string' && typeof p.state === 'string' && typeof p.nonce === 'string' && typeof p.returnTo === 'string' && typeof p.startedAt === 'number';
}

function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
