/**
 * The SAML 2.0 service-provider adapter: SP-initiated Web SSO over HTTP-Redirect (AuthnRequest)
 * and HTTP-POST (Response at the ACS), with node-saml doing the XML signature and the
 * Conditions/Audience checks and `saml-checks.ts` doing what node-saml does not (docs/saml.md).
 *
 * Request IDs and seen assertion IDs live in the shared SamlStateCache (database or Redis), so any
 * instance can take the response; node-saml's own in-memory cache is never used.
 */
import { randomBytes } from 'node:crypto';
import { SAML, ValidateInResponseTo } from '@node-saml/passport-saml';
import type { CacheProvider, Profile } from '@node-saml/passport-saml';
import type { SamlProviderConfig } from '../../plugin/config/schema.ts';
import type { FlowState, IdpAdapter, SamlStateCache, VerifiedAssertion } from '../../plugin/ports.ts';
import { checkSignatureAlgorithms } from './saml-algorithms.ts';
import { checkSignedAssertion, inspectResponse } from './saml-checks.ts';
import { decryptForInspection } from './saml-encryption.ts';
import type { AssertionFacts, ResponseShape } from './saml-checks.ts';
import { GatehouseError } from '../../plugin/errors.ts';
import { samlReject, translateLibraryError } from './saml-errors.ts';
import { metadataPort, type SamlMetadataSource } from './saml-metadata-source.ts';
import { resolveSamlOptions } from './saml-options.ts';
import { messageIdOf } from './saml-redirect.ts';
import { createLogoutChannel, createLogoutRequestUrl, type SloDeps } from './saml-slo.ts';
import { XmlParseError, parseXml } from './saml-xml.ts';

export type { SamlRejectReason } from './saml-errors.ts';
export { acsUrlFor } from './saml-options.ts';

export interface SamlAdapterDeps {
  /** Public base URL of this service; the ACS is `${baseUrl}/auth/${id}/callback`. */
  baseUrl: string;
  cache: SamlStateCache;
  /** Clock for our own checks (ms). node-saml's Conditions check uses the system clock. */
  now?: () => number;
  /** Where this provider sits in the config, for the key paths of config errors (`providers[1]`). */
  keyPath: string;
  /** With `metadataUrl`: its source; the signing certificates it lists are the ones trusted. */
  metadata?: SamlMetadataSource | undefined;
}

/** One pending login in the browser's flow state, keyed by its RelayState. */
interface PendingLogin {
  requestId: string;
  returnTo?: string;
  expiresAt: number;
}

const MAX_PENDING = 10;
/** Largest SAMLResponse we read (base64 chars); real ones are a few KB. */
const MAX_RESPONSE_CHARS = 512 * 1024;

/**
 * node-saml insists on a cache provider. With `validateInResponseTo: never` it never calls it;
 * this one makes sure nothing is ever kept in process memory if that changes.
 */
const noCache: CacheProvider = {
  saveAsync: async () => null,
  getAsync: async () => null,
  removeAsync: async () => null,
};

export function createSamlAdapter(provider: SamlProviderConfig, deps: SamlAdapterDeps): IdpAdapter {
  const source = deps.metadata;
  const opts = resolveSamlOptions(provider, deps.baseUrl, deps.keyPath, source?.current() ?? null);
  // Read at each use: a refresh changes the trusted certificates without a new adapter.
  const trustedCerts = (): string[] => source?.current()?.signingCertificatePems ?? opts.idpCerts;
  // On https the flow cookie is SameSite=None: a login started in this browser always brings it.
  const https = deps.baseUrl.startsWith('https://');
  const now = deps.now ?? Date.now;
  const flowKey = `saml:${opts.providerId}`;
  const saml = new SAML({
    callbackUrl: opts.acsUrl,
    entryPoint: opts.entryPoint,
    issuer: opts.spEntityId,
    audience: opts.spEntityId,
    idpCert: (done) => done(null, trustedCerts()),
    idpIssuer: opts.idpIssuer,
    ...(opts.privateKey !== undefined ? { privateKey: opts.privateKey, publicCert: opts.publicCert } : {}),
    ...(opts.decryptionKey !== undefined ? { decryptionPvk: opts.decryptionKey } : {}),
    ...(opts.logoutUrl !== undefined ? { logoutUrl: opts.logoutUrl, logoutCallbackUrl: opts.sloUrl } : {}),
    signatureAlgorithm: 'sha256',
    wantAssertionsSigned: opts.wantAssertionsSigned,
    wantAuthnResponseSigned: opts.wantAuthnResponseSigned,
    acceptedClockSkewMs: opts.acceptedClockSkewMs,
    // InResponseTo is checked by us, from the signed assertion, against the shared cache.
    validateInResponseTo: ValidateInResponseTo.never,
    cacheProvider: noCache,
    identifierFormat: opts.identifierFormat,
    // A RequestedAuthnContext makes Azure AD refuse MFA/Windows logins (AADSTS75011); ask for none.
    disableRequestedAuthnContext: true,
  });

  const slo: SloDeps = {
    saml,
    providerId: opts.providerId,
    cache: deps.cache,
    now,
    answerWithinMs: 10 * 60 * 1000,
    expectations: () => ({ idpIssuer: opts.idpIssuer, idpCerts: trustedCerts(), sloUrl: opts.sloUrl, allowSha1: opts.allowSha1Signatures, skewMs: opts.acceptedClockSkewMs, nowMs: now() }),
  };
  const logoutRequestUrl = createLogoutRequestUrl(slo);

  return {
    id: opts.providerId,
    type: 'saml',
    ...(opts.logoutUrl !== undefined ? { endSessionUrl: logoutRequestUrl, logoutChannel: createLogoutChannel(slo) } : {}),
    ...(source ? { idpMetadata: metadataPort(source, trustedCerts, now) } : {}),

    async begin({ flow, returnTo }) {
      const relayState = randomBytes(24).toString('base64url');
      const url = await saml.getAuthorizeUrlAsync(relayState, undefined, {});
      const requestId = messageIdOf(url);
      const expiresAt = now() + opts.requestIdExpirationPeriodMs;
      await deps.cache.saveRequestId(opts.providerId, requestId, expiresAt);
      const evicted = rememberPending(flow, flowKey, relayState, { requestId, returnTo, expiresAt }, now());
      // A request no browser can answer any more goes at once: login starts never pile up rows.
      await Promise.all(evicted.map((p) => deps.cache.consumeRequestId(opts.providerId, p.requestId)));
      return url;
    },

    async complete({ flow, method, body }) {
      if (method.toUpperCase() !== 'POST') {
        throw samlReject('wrong_binding', 'The SAML ACS takes the HTTP-POST binding only');
      }
      const { SAMLResponse, RelayState } = body;
      if (typeof SAMLResponse !== 'string' || SAMLResponse.length === 0) {
        throw samlReject('missing_saml_response', 'The POST carries no SAMLResponse');
      }
      const relayState = typeof RelayState === 'string' && RelayState !== '' ? RelayState : undefined;
      const shape = inspectResponse(parseResponse(SAMLResponse), { decrypts: opts.decryptionKey !== undefined });
      checkSignatureAlgorithms(shape.response, opts.allowSha1Signatures);
      const profile = await verifySignatures(saml, trustedCerts, SAMLResponse, shape, source);
      if (shape.encryptedAssertion && opts.decryptionKey) {
        // The signature inside an encrypted assertion could not be seen before; node-saml has
        // verified it (and the response's) by now, so decrypting again only serves this check.
        checkSignatureAlgorithms(await decryptForInspection(shape.encryptedAssertion, opts.decryptionKey), opts.allowSha1Signatures);
      }
      const facts = checkSignedAssertion(signedAssertionOf(profile), shape, {
        acsUrl: opts.acsUrl,
        idpIssuer: opts.idpIssuer,
        audience: opts.spEntityId,
        skewMs: opts.acceptedClockSkewMs,
        nowMs: now(),
        responseSigned: opts.wantAuthnResponseSigned,
      });
      const returnTo = await settle(facts, flow, relayState);
      return toVerifiedAssertion(facts, returnTo);
    },

    metadata() {
      return saml.generateServiceProviderMetadata(opts.decryptionCert ?? null, opts.publicCert ?? null);
    },
  };

  /** Solicitation, flow binding, replay: the checks that need state. Returns the stored returnTo. */
  async function settle(facts: AssertionFacts, flow: FlowState, relayState: string | undefined): Promise<string | undefined> {
    if (facts.inResponseTo === undefined && !opts.allowIdpInitiated) {
      throw samlReject('idp_initiated_not_allowed', 'Unsolicited (IdP-initiated) SAML responses are not allowed for this provider (allowIdpInitiated)');
    }
    const pending = facts.inResponseTo === undefined ? undefined : bindToFlow(flow, relayState, facts.inResponseTo);
    if (!(await deps.cache.rememberAssertion(opts.providerId, facts.id, facts.expiresAtMs))) {
      throw samlReject('assertion_replayed', `The SAML assertion ${facts.id.slice(0, 80)} was already used (replay)`);
    }
    if (facts.inResponseTo !== undefined && !(await deps.cache.consumeRequestId(opts.providerId, facts.inResponseTo))) {
      throw samlReject('unknown_in_response_to', 'The SAML response answers no pending request of ours (unknown, expired or already used InResponseTo)');
    }
    return pending?.returnTo;
  }

  /**
   * Login-CSRF binding of a solicited response. When this browser carries a flow cookie (any
   * readable flow state: on https it is SameSite=None and always rides along on the IdP's POST),
   * the response must come under the RelayState of one of this browser's pending logins and answer
   * that very request; a missing or unknown RelayState is someone else's response. On https a
   * browser without any flow cookie started no login here (or over 15 minutes ago): a solicited
   * response posted into it is refused too. On plain http (a SameSite=Lax cookie is dropped on the
   * cross-site POST) there is nothing to bind to and the shared request-ID check alone applies
   * (docs/saml.md).
   */
  function bindToFlow(flow: FlowState, relayState: string | undefined, inResponseTo: string): PendingLogin | undefined {
    const pending = relayState === undefined ? undefined : takePending(flow, flowKey, relayState);
    if (pending === undefined && Object.keys(flow).length === 0) {
      if (!https) return undefined;
      throw samlReject('no_pending_login', 'The SAML response answers a login this browser did not start (or started over 15 minutes ago)');
    }
    if (pending === undefined || pending.requestId !== inResponseTo) {
      throw samlReject('relay_state_mismatch', 'The SAML response answers another login than the one this browser started');
    }
    return pending;
  }
}

function parseResponse(samlResponse: string) {
  if (samlResponse.length > MAX_RESPONSE_CHARS || !/^[A-Za-z0-9+/=\s]+$/.test(samlResponse)) {
    throw samlReject('malformed_response', 'The SAMLResponse is not base64 (or is too large)');
  }
  try {
    return parseXml(Buffer.from(samlResponse, 'base64').toString('utf8'));
  } catch (e) {
    const why = e instanceof XmlParseError ? e.message : 'unreadable';
    throw samlReject('malformed_response', `The SAMLResponse is not well-formed XML (${why.slice(0, 200)})`, e);
  }
}

/** A signature no trusted key verifies may be the IdP's new key: its metadata is read again (rate-limited) and the check made once more if it changed. */
const UNKNOWN_KEY_REASONS: readonly unknown[] = ['untrusted_signing_key', 'invalid_signature'];

async function verifySignatures(saml: SAML, trustedCerts: () => string[], samlResponse: string, shape: ResponseShape, source: SamlMetadataSource | undefined): Promise<Profile> {
  let profile: Profile | null;
  const verify = async () => {
    try {
      return (await saml.validatePostResponseAsync({ SAMLResponse: samlResponse })).profile;
    } catch (e) {
      throw translateLibraryError(e, { response: shape.response, assertion: shape.assertion, encrypted: shape.encryptedAssertion !== undefined, trustedCerts: trustedCerts() });
    }
  };
  try {
    profile = await verify();
  } catch (e) {
    const reason = e instanceof GatehouseError ? e.details?.reason : undefined;
    if (!source || !UNKNOWN_KEY_REASONS.includes(reason) || !(await source.refreshForUnknownKey())) throw e;
    profile = await verify();
  }
  if (!profile) throw samlReject('missing_assertion', 'The SAML response carries no assertion');
  return profile;
}

/** The assertion exactly as node-saml's signature check returned it (canonical signed bytes), parsed. */
function signedAssertionOf(profile: Profile) {
  const xml = profile.getAssertionXml?.();
  if (typeof xml !== 'string') throw samlReject('invalid_signature', 'No signed assertion came out of the signature check');
  try {
    return parseXml(xml).documentElement!;
  } catch (e) {
    throw samlReject('malformed_assertion', 'The signed assertion could not be read back', e);
  }
}

function toVerifiedAssertion(facts: AssertionFacts, returnTo: string | undefined): VerifiedAssertion {
  return {
    subject: facts.nameId,
    idpSession: { sid: facts.sessionIndex, subject: facts.nameId, nameIdFormat: facts.nameIdFormat },
    // Our fields last: an attribute named "issuer" or "nameID" cannot stand in for them.
    raw: {
      ...facts.attributes,
      nameID: facts.nameId,
      nameIDFormat: facts.nameIdFormat,
      sessionIndex: facts.sessionIndex,
      issuer: facts.issuer,
    },
    returnTo,
  };
}

function pendingMap(flow: FlowState, key: string): Record<string, PendingLogin> {
  const v = flow[key];
  return v !== null && typeof v === 'object' ? (v as Record<string, PendingLogin>) : {};
}

/** Adds a pending login, keeping the newest MAX_PENDING; returns the ones pushed out (still live). */
function rememberPending(flow: FlowState, key: string, relayState: string, p: PendingLogin, nowMs: number): PendingLogin[] {
  const live = Object.entries(pendingMap(flow, key)).filter(([, v]) => v.expiresAt > nowMs);
  live.push([relayState, p]);
  // A few parallel tabs are fine; an ever-growing flow (and request table) is not.
  flow[key] = Object.fromEntries(live.slice(-MAX_PENDING));
  return live.slice(0, -MAX_PENDING).map(([, v]) => v);
}

function takePending(flow: FlowState, key: string, relayState: string): PendingLogin | undefined {
  const map = pendingMap(flow, key);
  if (!Object.hasOwn(map, relayState)) return undefined;
  const p = map[relayState];
  const rest = Object.entries(map).filter(([k]) => k !== relayState);
  // An emptied map goes, so that a finished login leaves no flow cookie behind.
  if (rest.length === 0) delete flow[key];
  else flow[key] = Object.fromEntries(rest);
  return p;
}
