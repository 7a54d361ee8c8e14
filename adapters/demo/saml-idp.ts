/**
 * Over 300 lines: one whole test/demo IdP (server, pages, response builder); SLO, encryption and signing live beside it.
 * A real, small SAML 2.0 IdP for the demo gateway and the tests: HTTP-Redirect AuthnRequest in,
 * a user picker (the admin console's look and headers), then an auto-posting form with a Response signed at run time (xml-crypto,
 * RSA-SHA256, exclusive c14n). `buildResponse` forges any variant a test needs.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import { FAVICON_PATH, sendFavicon } from '../../plugin/console/favicon.ts';
import { cspHash, type NodeMiddleware } from '../../plugin/console/headers.ts';
import { html, trusted, type Html } from '../../plugin/console/html.ts';
import { inlinePage, inlinePageHeaders, sendInlinePage } from '../../plugin/console/standalone.ts';
import { NS, attr, child, is, parseXml, text } from '../idp/saml-xml.ts';
import { generateKeyPairAndCert } from './certs.ts';
import { encryptAssertionIn, type EncryptOptions } from './saml-encrypt.ts';
import { answerSpLogout, logoutRequest, type LogoutRequestOptions, type SloPeer, type SloState } from './saml-idp-slo.ts';
import { idpMetadata } from './saml-idp-metadata.ts';
import { esc, newId, signElement } from './saml-sign.ts';
import type { KeyPairAndCert } from './certs.ts';

export interface DemoUser {
  username: string;
  /** When unset, any password is accepted (demo). */
  password?: string;
  email: string;
  givenName?: string;
  familyName?: string;
  groups: string[];
  /** Defaults to the email (emailAddress format). */
  nameId?: string;
  /** `azure` sends the Azure AD / ADFS claim URIs instead of the short names; `both` sends both. */
  attributeStyle?: AttributeStyle;
}

export type AttributeStyle = 'simple' | 'azure' | 'both';
export type SignatureAlgorithm = 'rsa-sha256' | 'rsa-sha1';
export type DigestAlgorithm = 'sha256' | 'sha1';

export interface BuildResponseOptions {
  user: DemoUser;
  /** The SP's ACS URL: Destination and Recipient unless overridden. */
  acsUrl: string;
  /** The SP's entity ID, put in the AudienceRestriction unless `audience` overrides. */
  spEntityId: string;
  audience?: string;
  /** The AuthnRequest ID; omit for an unsolicited (IdP-initiated) response. */
  inResponseTo?: string;
  /** Overrides the Response's InResponseTo only (null omits it). */
  responseInResponseTo?: string | null;
  /** Overrides the Response Destination (null omits it). */
  destination?: string | null;
  recipient?: string;
  /** Issuer of the Assertion and the Response (default: this IdP). */
  issuer?: string;
  /** Overrides the Response Issuer only (null omits it). */
  responseIssuer?: string | null;
  issueInstant?: Date;
  /** Conditions NotBefore (default: now). */
  notBefore?: Date;
  /** Conditions and SubjectConfirmationData NotOnOrAfter (default: now + 5 min). */
  notOnOrAfter?: Date;
  /** Overrides the SubjectConfirmationData NotOnOrAfter only. */
  confirmationNotOnOrAfter?: Date;
  assertionId?: string;
  responseId?: string;
  nameId?: string;
  nameIdFormat?: string;
  sessionIndex?: string;
  /** Merged over the user's attributes (a value of [] drops one). */
  attributes?: Record<string, string | string[]>;
  attributeStyle?: AttributeStyle;
  /** What gets an enveloped signature (default: the assertion). */
  sign?: 'assertion' | 'response' | 'both' | 'none';
  /** Signature algorithm (default RSA-SHA256); `rsa-sha1` plays an old IdP. */
  signatureAlgorithm?: SignatureAlgorithm;
  /** Reference digest algorithm (default SHA-256); `sha1` plays an old IdP. */
  digestAlgorithm?: DigestAlgorithm;
  /** Sign with this key (its cert goes in KeyInfo) instead of the IdP's own: an attacker. */
  signingKey?: KeyPairAndCert;
  /** Top-level StatusCode (default Success); `statusMessage` adds a StatusMessage. */
  statusCode?: string;
  statusMessage?: string;
  /** Adds a second, unsigned assertion (for evil@example.com) before or after the real one. */
  extraAssertion?: 'before' | 'after';
  /** Leaves the assertion out (an error response). */
  omitAssertion?: boolean;
  /** Encrypts the (signed) assertion to the SP's certificate before the Response is signed. */
  encrypt?: EncryptOptions;
  /** Alters the XML after signing (tampering, wrapping). */
  alterXml?: (xml: string) => string;
}

export interface SamlIdp {
  url: string;
  /** HTTP-Redirect SingleSignOnService: give it to the SP as `entryPoint`. */
  entryPoint: string;
  metadataUrl: string;
  issuer: string;
  /** The certificate of the key that signs now. */
  readonly certPem: string;
  close(): Promise<void>;
  /** Key rollover: sign with `keys` from now on (`/metadata` lists its certificate unless `publishCertificates` says otherwise). */
  useSigningKey(keys: KeyPairAndCert): void;
  /** The signing certificates `/metadata` lists, e.g. old and new during a rollover; null: the signing key's alone. */
  publishCertificates(certPems: string[] | null): void;
  /** `/metadata` answers this HTTP status instead (null: it serves the metadata again). */
  failMetadata(status: number | null): void;
  /** How many times `/metadata` was asked for. */
  readonly metadataRequests: number;
  /** A base64 SAMLResponse as this IdP (or a forger) would post it. */
  buildResponse(o: BuildResponseOptions): string;
  /** HTTP-Redirect SingleLogoutService: give it to the SP as `logoutUrl`. */
  sloUrl: string;
  /** An IdP-initiated LogoutRequest: a redirect URL, or a form to post. */
  logoutRequest(o: LogoutRequestOptions): { url: string } | { action: string; fields: Record<string, string> };
  /** The SP's LogoutRequests this IdP received. */
  slo: SloState;
}

export interface StartSamlIdpOptions {
  port?: number;
  host?: '127.0.0.1';
  issuer: string;
  users: DemoUser[];
  keyPair?: KeyPairAndCert;
  /** Every login's assertion encrypted this way (an SP that configured decryptionKey). */
  encryptAssertions?: EncryptOptions;
  /** The SP this IdP answers LogoutRequests for (single logout). */
  sp?: SloPeer;
}

const SIGNATURE_URI: Record<SignatureAlgorithm, string> = {
  'rsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'rsa-sha1': 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
};
const DIGEST_URI: Record<DigestAlgorithm, string> = {
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
};
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const UNSPECIFIED_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
const AZURE = {
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  familyName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  groups: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
};

export async function startSamlIdp(opts: StartSamlIdpOptions): Promise<SamlIdp> {
  let keys = opts.keyPair ?? generateKeyPairAndCert(`Gatehouse demo IdP ${opts.issuer}`);
  let published: string[] | null = null;
  let metadataFailure: number | null = null;
  let metadataRequests = 0;
  const build = (o: BuildResponseOptions): string => buildSignedResponse(o, opts.issuer, keys);
  const slo: SloState = { received: [] };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 400, 'text/plain', `Bad request: ${e instanceof Error ? e.message : String(e)}`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  const loginHeaders = inlinePageHeaders({ https: false });
  // The auto-post page posts to the SP's ACS (another origin) with one inline script.
  const autoPostByOrigin = new Map<string, NodeMiddleware>();
  const autoPostHeaders = (acsOrigin: string): NodeMiddleware => {
    let h = autoPostByOrigin.get(acsOrigin);
    if (!h) autoPostByOrigin.set(acsOrigin, (h = inlinePageHeaders({ https: false, scriptHashes: [AUTO_POST_SCRIPT_HASH], formAction: [acsOrigin] })));
    return h;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', url);
    if (u.pathname === FAVICON_PATH) return sendFavicon(req, res);
    if (req.method === 'GET' && u.pathname === '/sso') {
      const authn = readAuthnRequest(u.searchParams.get('SAMLRequest'));
      return sendInlinePage(loginHeaders, req, res, 200, loginPage(u.searchParams.get('SAMLRequest') ?? '', u.searchParams.get('RelayState'), authn.spEntityId, opts.users));
    }
    if (req.method === 'POST' && u.pathname === '/sso') {
      const form = new URLSearchParams(await readBody(req));
      const authn = readAuthnRequest(form.get('SAMLRequest'));
      const user = opts.users.find((x) => x.username === form.get('username'));
      if (!user || (user.password !== undefined && user.password !== form.get('password'))) {
        return sendInlinePage(loginHeaders, req, res, 401, loginPage(form.get('SAMLRequest') ?? '', form.get('RelayState'), authn.spEntityId, opts.users, 'Unknown user or wrong password.'));
      }
      const samlResponse = build({ user, acsUrl: authn.acsUrl, spEntityId: authn.spEntityId, inResponseTo: authn.id, encrypt: opts.encryptAssertions });
      return sendInlinePage(autoPostHeaders(new URL(authn.acsUrl).origin), req, res, 200, autoPostPage(authn.acsUrl, samlResponse, form.get('RelayState')));
    }
    if (req.method === 'GET' && u.pathname === '/slo') {
      if (!opts.sp) return send(res, 404, 'text/plain', 'no SP configured for single logout');
      res.writeHead(302, { location: answerSpLogout(u.search.slice(1), opts.sp, opts.issuer, keys, slo) }).end();
      return;
    }
    if (req.method === 'GET' && u.pathname === '/metadata') {
      metadataRequests += 1;
      if (metadataFailure !== null) return send(res, metadataFailure, 'text/plain', 'metadata unavailable');
      return send(res, 200, 'application/samlmetadata+xml', idpMetadata(opts.issuer, `${url}/sso`, published ?? [keys.certPem]));
    }
    send(res, 404, 'text/plain', 'Not found');
  }

  return {
    url,
    entryPoint: `${url}/sso`,
    metadataUrl: `${url}/metadata`,
    issuer: opts.issuer,
    get certPem() {
      return keys.certPem;
    },
    useSigningKey(next) {
      keys = next;
    },
    publishCertificates(certPems) {
      published = certPems;
    },
    failMetadata(status) {
      metadataFailure = status;
    },
    get metadataRequests() {
      return metadataRequests;
    },
    buildResponse: build,
    sloUrl: `${url}/slo`,
    logoutRequest: (o) => logoutRequest(o, opts.issuer, keys),
    slo,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ------------------------------------------------------------------ the Response

function buildSignedResponse(o: BuildResponseOptions, idpIssuer: string, idpKeys: KeyPairAndCert): string {
  const now = Date.now();
  const instant = iso(o.issueInstant ?? new Date(now));
  const notOnOrAfter = iso(o.notOnOrAfter ?? new Date(now + 5 * 60 * 1000));
  const assertionId = o.assertionId ?? newId();
  const responseId = o.responseId ?? newId();
  const issuer = o.issuer ?? idpIssuer;
  const responseIssuer = o.responseIssuer === undefined ? issuer : o.responseIssuer;
  const responseIrt = o.responseInResponseTo === undefined ? o.inResponseTo : o.responseInResponseTo;
  const destination = o.destination === undefined ? o.acsUrl : o.destination;
  const nameIdFormat = o.nameIdFormat ?? ((o.nameId ?? o.user.nameId) !== undefined ? UNSPECIFIED_FORMAT : EMAIL_FORMAT);
  const assertion = (id: string, nameId: string, attributes: Record<string, string | string[]>): string =>
    `<saml:Assertion xmlns:saml="${NS.assertion}" ID="${id}" Version="2.0" IssueInstant="${instant}">` +
    `<saml:Issuer>${esc(issuer)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${esc(nameIdFormat)}">${esc(nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData` +
    (o.inResponseTo === undefined ? '' : ` InResponseTo="${esc(o.inResponseTo)}"`) +
    ` NotOnOrAfter="${o.confirmationNotOnOrAfter ? iso(o.confirmationNotOnOrAfter) : notOnOrAfter}" Recipient="${esc(o.recipient ?? o.acsUrl)}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(o.notBefore ?? new Date(now))}" NotOnOrAfter="${notOnOrAfter}">` +
    `<saml:AudienceRestriction><saml:Audience>${esc(o.audience ?? o.spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${instant}" SessionIndex="${esc(o.sessionIndex ?? newId())}"><saml:AuthnContext>` +
    `<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>` +
    `</saml:AuthnContext></saml:AuthnStatement>${attributeStatement(attributes)}</saml:Assertion>`;

  const attrs = { ...userAttributes(o.user, o.attributeStyle ?? o.user.attributeStyle ?? 'simple'), ...o.attributes };
  const real = o.omitAssertion ? '' : assertion(assertionId, o.nameId ?? o.user.nameId ?? o.user.email, attrs);
  const evil = o.extraAssertion ? assertion(newId(), 'evil@example.com', { email: 'evil@example.com', groups: ['admin'] }) : '';
  const status =
    `<samlp:Status><samlp:StatusCode Value="${esc(o.statusCode ?? SUCCESS)}"/>` +
    (o.statusMessage === undefined ? '' : `<samlp:StatusMessage>${esc(o.statusMessage)}</samlp:StatusMessage>`) +
    `</samlp:Status>`;
  let xml =
    `<samlp:Response xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${responseId}" Version="2.0" IssueInstant="${instant}"` +
    (destination === null ? '' : ` Destination="${esc(destination)}"`) +
    (responseIrt == null ? '' : ` InResponseTo="${esc(responseIrt)}"`) +
    '>' +
    (responseIssuer === null ? '' : `<saml:Issuer>${esc(responseIssuer)}</saml:Issuer>`) +
    status +
    (o.extraAssertion === 'before' ? evil + real : real + evil) +
    '</samlp:Response>';

  const key = o.signingKey ?? idpKeys;
  const sign = o.sign ?? 'assertion';
  const algs = { signature: SIGNATURE_URI[o.signatureAlgorithm ?? 'rsa-sha256'], digest: DIGEST_URI[o.digestAlgorithm ?? 'sha256'] };
  if (!o.omitAssertion && (sign === 'assertion' || sign === 'both')) xml = signElement(xml, assertionId, true, key, algs);
  if (!o.omitAssertion && o.encrypt) xml = encryptAssertionIn(xml, assertionId, o.encrypt);
  if (sign === 'response' || sign === 'both') xml = signElement(xml, responseId, responseIssuer !== null, key, algs);
  if (o.alterXml) xml = o.alterXml(xml);
  return Buffer.from(xml, 'utf8').toString('base64');
}

function userAttributes(u: DemoUser, style: AttributeStyle): Record<string, string | string[]> {
  const simple: Record<string, string | string[]> = { email: u.email, groups: u.groups };
  if (u.givenName !== undefined) simple.givenName = u.givenName;
  if (u.familyName !== undefined) simple.familyName = u.familyName;
  if (style === 'simple') return simple;
  const azure: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(simple)) azure[AZURE[k as keyof typeof AZURE]] = v;
  return style === 'azure' ? azure : { ...simple, ...azure };
}

function attributeStatement(attrs: Record<string, string | string[]>): string {
  const items = Object.entries(attrs)
    .map(([name, v]) => [name, Array.isArray(v) ? v : [v]] as const)
    .filter(([, values]) => values.length > 0)
    .map(
      ([name, values]) =>
        `<saml:Attribute Name="${esc(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:${name.includes(':') ? 'uri' : 'basic'}">` +
        values.map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join('') +
        '</saml:Attribute>',
    );
  return items.length === 0 ? '' : `<saml:AttributeStatement>${items.join('')}</saml:AttributeStatement>`;
}

// ------------------------------------------------------------------ HTTP

interface AuthnRequestInfo {
  id: string;
  acsUrl: string;
  spEntityId: string;
}

function readAuthnRequest(encoded: string | null): AuthnRequestInfo {
  if (!encoded) throw new Error('SAMLRequest is missing');
  const doc = parseXml(inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8'));
  const req = doc.documentElement;
  if (!req || !is(req, NS.protocol, 'AuthnRequest')) throw new Error('SAMLRequest is not an AuthnRequest');
  const issuerEl = child(req, NS.assertion, 'Issuer');
  const id = attr(req, 'ID');
  const acsUrl = attr(req, 'AssertionConsumerServiceURL');
  if (!id || !acsUrl || !issuerEl) throw new Error('the AuthnRequest needs ID, AssertionConsumerServiceURL and Issuer');
  if (!/^https?:\/\//.test(acsUrl)) throw new Error('AssertionConsumerServiceURL must be http(s)');
  return { id, acsUrl, spEntityId: text(issuerEl).trim() };
}

function loginPage(samlRequest: string, relayState: string | null, sp: string, users: DemoUser[], error?: string): string {
  const rows = users.map((u) => html`<li><code>${u.username}</code> ${u.email} (${u.groups.join(', ') || 'no groups'})${u.password === undefined ? '' : ' [password]'}</li>`);
  return page(
    'Sign in',
    html`<h1>Demo SAML IdP</h1><p>Signing in to <code>${sp}</code>.</p>
${error ? html`<div class="flash error" role="alert">${error}</div>` : ''}
<form method="post" action="/sso" class="stack">
<input type="hidden" name="SAMLRequest" value="${samlRequest}">
${relayState === null ? '' : html`<input type="hidden" name="RelayState" value="${relayState}">`}
<label>Username <input type="text" name="username" value="" autocomplete="username" autofocus required></label>
<label>Password <input type="password" name="password" value="" autocomplete="current-password"></label>
<p class="muted">Any password, unless the user is marked [password].</p>
<button type="submit">Sign in</button></form>
<h2>Demo users</h2><ul>${rows}</ul>`,
  );
}

const AUTO_POST_SCRIPT = 'document.forms[0].submit()';
const AUTO_POST_SCRIPT_HASH = cspHash(AUTO_POST_SCRIPT);

function autoPostPage(acsUrl: string, samlResponse: string, relayState: string | null): string {
  return page(
    'Signing you in…',
    html`<h1>Signing you in…</h1><form method="post" action="${acsUrl}">
<input type="hidden" name="SAMLResponse" value="${samlResponse}">
${relayState === null ? '' : html`<input type="hidden" name="RelayState" value="${relayState}">`}
<noscript><p>JavaScript is off: press the button to continue.</p><button type="submit">Continue</button></noscript></form>
<script>${trusted(AUTO_POST_SCRIPT)}</script>`,
  );
}

function page(title: string, body: Html): string {
  return inlinePage(`${title} (demo SAML IdP)`, body, { brand: 'Gatehouse demo SAML IdP' });
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function iso(d: Date): string {
  return d.toISOString();
}
