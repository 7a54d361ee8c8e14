/**
 * SAML Single Logout for one provider: the LogoutRequest we send when the user signs out here
 * (signed by node-saml, HTTP-Redirect to the IdP's `logoutUrl`, its ID kept in the shared cache for
 * the answer), and the messages the IdP sends to our SLO endpoint (read by saml-logout.ts): a
 * LogoutRequest we honour and answer with a signed LogoutResponse, or the LogoutResponse to ours.
 */
import type { SAML } from '@node-saml/passport-saml';
import type { IdpLogoutChannel, IdpSession, SamlStateCache } from '../../plugin/ports.ts';
import { samlReject } from './saml-errors.ts';
import { isSuccess, readPost, readRedirect, type SloExpectations } from './saml-logout.ts';
import { messageIdOf } from './saml-redirect.ts';

export interface SloDeps {
  saml: SAML;
  providerId: string;
  cache: SamlStateCache;
  expectations: () => SloExpectations;
  /** How long the IdP may take to answer our LogoutRequest. */
  answerWithinMs: number;
  now: () => number;
}

/** Our pending LogoutRequests share the request cache with AuthnRequests, under their own prefix. */
const key = (id: string) => `slo:${id}`;

export function createLogoutRequestUrl(deps: SloDeps): (input: { session: IdpSession }) => Promise<string | null> {
  return async ({ session }) => {
    if (!session.subject) return null;
    const profile = {
      issuer: '',
      nameID: session.subject,
      nameIDFormat: session.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
      ...(session.sid ? { sessionIndex: session.sid } : {}),
    };
    const url = await deps.saml.getLogoutUrlAsync(profile, '', {});
    await deps.cache.saveRequestId(deps.providerId, key(messageIdOf(url)), deps.now() + deps.answerWithinMs);
    return url;
  };
}

export function createLogoutChannel(deps: SloDeps): IdpLogoutChannel {
  return {
    async receive({ method, rawQuery, body }) {
      const e = deps.expectations();
      const message = method.toUpperCase() === 'POST' ? await readPost(deps.saml, body, e) : readRedirect(rawQuery, e);
      if (message.kind === 'request') {
        return { kind: 'request', id: message.id, subject: message.nameId, sid: message.sessionIndex, relayState: message.relayState };
      }
      // An answer must be to a LogoutRequest of ours that is still pending, and only once.
      if (!message.inResponseTo || !(await deps.cache.consumeRequestId(deps.providerId, key(message.inResponseTo)))) {
        throw samlReject('unknown_in_response_to', 'The LogoutResponse answers no pending LogoutRequest of ours');
      }
      return { kind: 'response', success: isSuccess(message.status) };
    },
    answer(request) {
      return deps.saml.getLogoutResponseUrlAsync({ ID: request.id, issuer: '', nameID: request.subject, nameIDFormat: '' }, request.relayState ?? '', {}, true);
    },
  };
}
