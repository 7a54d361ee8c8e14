/**
 * The HTTP-Redirect binding (SAML Bindings §3.4), both sides of it: a query read exactly as it was
 * sent (the signature covers the parameters' raw octets, §3.4.4.1), the deflated message inflated
 * under a size bound, and the ID of a message node-saml deflated into a URL we send.
 */
import { inflateRawSync } from 'node:zlib';
import { parseXml } from './saml-xml.ts';

export interface RedirectQuery {
  param: 'SAMLRequest' | 'SAMLResponse';
  /** The message parameter's value, still URL-encoded. */
  message: string;
  relayState: string | undefined;
  /** The SigAlg URI; undefined when the query is not signed. */
  sigAlg: string | undefined;
  signature: Buffer | undefined;
  /** The octets the signature covers: the parameters as sent, in the binding's order. */
  signed: Buffer;
}

/** One raw `name=value` of a query string, exactly as sent; a repeated name is refused. */
function rawParam(rawQuery: string, name: string): string | undefined {
  const found = rawQuery.split('&').filter((p) => p.startsWith(`${name}=`));
  if (found.length > 1) throw new TypeError(`the query repeats ${name}`);
  return found[0];
}

const valueOf = (pair: string) => decodeURIComponent(pair.slice(pair.indexOf('=') + 1).replace(/\+/g, ' '));

/** Reads a redirect-binding query; a TypeError says what is wrong with it. */
export function parseRedirectQuery(rawQuery: string): RedirectQuery {
  const request = rawParam(rawQuery, 'SAMLRequest');
  const pair = request ?? rawParam(rawQuery, 'SAMLResponse');
  if (!pair) throw new TypeError('the query carries no SAMLRequest or SAMLResponse');
  const relay = rawParam(rawQuery, 'RelayState');
  const sigAlg = rawParam(rawQuery, 'SigAlg');
  const signature = rawParam(rawQuery, 'Signature');
  return {
    param: request ? 'SAMLRequest' : 'SAMLResponse',
    message: pair.slice(pair.indexOf('=') + 1),
    relayState: relay === undefined ? undefined : valueOf(relay),
    sigAlg: sigAlg === undefined ? undefined : valueOf(sigAlg),
    signature: signature === undefined ? undefined : Buffer.from(valueOf(signature), 'base64'),
    signed: Buffer.from([pair, relay, sigAlg].filter((p): p is string => p !== undefined).join('&'), 'utf8'),
  };
}

/** The XML of a deflated, base64'd message (URL-encoded or not), at most `maxBytes` once inflated. */
export function inflateMessage(encoded: string, maxBytes: number): string {
  return inflateRawSync(Buffer.from(decodeURIComponent(encoded), 'base64'), { maxOutputLength: maxBytes }).toString('utf8');
}

/** The ID of the message node-saml just deflated into this redirect URL (AuthnRequest or LogoutRequest). */
export function messageIdOf(url: string): string {
  const encoded = new URL(url).searchParams.get('SAMLRequest');
  if (!encoded) throw new TypeError('node-saml built no SAMLRequest');
  const id = parseXml(inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8')).documentElement?.getAttribute('ID');
  if (!id) throw new TypeError('node-saml built a message without ID');
  return id;
}
