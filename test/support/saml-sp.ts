/**
 * The SP side of SAML adapter tests: a provider config against a test IdP, a started login whose
 * responses a test builds (and forges) with the IdP's `buildResponse`, and the refusal reason.
 */
import { inflateRawSync } from 'node:zlib';
import { expect } from 'vitest';
import type { BuildResponseOptions, DemoUser, SamlIdp } from '../../adapters/demo/saml-idp.ts';
import { createSamlAdapter } from '../../adapters/idp/saml.ts';
import { providerSchema, type SamlProviderConfig } from '../../plugin/config/schema.ts';
import { GatehouseError } from '../../plugin/errors.ts';
import type { FlowState, IdpAdapter, VerifiedAssertion } from '../../plugin/ports.ts';
import { createMemorySamlCache } from './memory-saml-cache.ts';

export const BASE = 'http://127.0.0.1:3999';
export const SP = 'urn:gatehouse:sp';
export const IDP = 'urn:example:idp';
export const ACS = `${BASE}/auth/corp-saml/callback`;

export function samlProvider(idp: SamlIdp, over: Record<string, unknown> = {}): SamlProviderConfig {
  const p = providerSchema.parse({ id: 'corp-saml', type: 'saml', entryPoint: idp.entryPoint, idpIssuer: IDP, idpCert: idp.certPem, issuer: SP, ...over });
  if (p.type !== 'saml') throw new TypeError('not saml');
  return p;
}

/** A started login: the adapter, the browser's flow, and the AuthnRequest ID and RelayState. */
export interface Login {
  adapter: IdpAdapter;
  flow: FlowState;
  requestId: string;
  relayState: string;
  /** Builds a response to this login (override anything) and posts it to the adapter. */
  post(o?: Partial<BuildResponseOptions>): Promise<VerifiedAssertion>;
  postRaw(samlResponse: string): Promise<VerifiedAssertion>;
  /** Posts without this browser's flow state or RelayState (as if the cookie was lost). */
  postUnbound(o?: Partial<BuildResponseOptions>): Promise<VerifiedAssertion>;
}

export async function startLogin(idp: SamlIdp, user: DemoUser, over: Record<string, unknown> = {}): Promise<Login> {
  const adapter = createSamlAdapter(samlProvider(idp, over), { baseUrl: BASE, keyPath: 'providers[0]', cache: createMemorySamlCache() });
  const flow: FlowState = {};
  const url = new URL(await adapter.begin({ flow, returnTo: '/home' }));
  const request = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
  const requestId = /\bID="([^"]+)"/.exec(request)?.[1] ?? '';
  const relayState = url.searchParams.get('RelayState') ?? '';
  const postRaw = (SAMLResponse: string) => adapter.complete({ flow, method: 'POST', url: new URL(ACS), body: { SAMLResponse, RelayState: relayState } });
  const build = (o: Partial<BuildResponseOptions>) => idp.buildResponse({ user, acsUrl: ACS, spEntityId: SP, inResponseTo: requestId, ...o });
  return {
    adapter,
    flow,
    requestId,
    relayState,
    postRaw,
    post: (o = {}) => postRaw(build(o)),
    postUnbound: (o = {}) => adapter.complete({ flow: {}, method: 'POST', url: new URL(ACS), body: { SAMLResponse: build(o) } }),
  };
}

/** The `details.reason` of a refused response (which must be a 401 ERR_INVALID_ASSERTION with a message). */
export async function reasonOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatehouseError);
    const g = e as GatehouseError;
    expect(g.code).toBe('ERR_INVALID_ASSERTION');
    expect(g.status).toBe(401);
    expect(g.message.length).toBeGreaterThan(10);
    return g.details?.reason;
  }
  throw new Error('expected the response to be refused');
}
