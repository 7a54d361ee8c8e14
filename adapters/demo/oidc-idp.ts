/**
 * Over 300 lines: one whole test/demo IdP (provider setup, login pages, test forgeries); not on any request path.
 * A real OpenID Provider (oidc-provider) on loopback, for the demo gateway (`npm start`) and the
 * tests. Keys, cookie secrets and the store live in memory and are made at start; the login page
 * has the admin console's look and headers (username + password, or one click on a password-less demo user) and grants
 * consent for the requested scopes on the spot, so nobody sees a consent screen.
 */
import { constants, createHash, generateKeyPairSync, randomBytes, sign, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import type { Adapter, AdapterPayload, Configuration, JWK, KoaContextWithOIDC } from 'oidc-provider';
import type { NodeMiddleware } from '../../plugin/console/headers.ts';
import { FAVICON_PATH, sendFavicon } from '../../plugin/console/favicon.ts';
import { html, trusted, type Html } from '../../plugin/console/html.ts';
import { inlinePage, inlinePageHeaders, sendInlinePage } from '../../plugin/console/standalone.ts';

export interface DemoUser {
  /** Stable subject; defaults to the username. */
  sub?: string;
  username: string;
  /** Absent: a password-less demo user, picked with one click. */
  password?: string;
  email: string;
  emailVerified?: boolean;
  name?: string;
  givenName?: string;
  familyName?: string;
  groups: string[];
  /** Any other claims, e.g. `realm_access: { roles: [...] }` or Azure's `_claim_names`/`_claim_sources`. */
  extraClaims?: Record<string, unknown>;
}

export type JwsAlg = 'RS256' | 'PS256' | 'ES256';

export interface DemoOidcClient {
  clientId: string;
  /** Absent: a public client (`token_endpoint_auth_method: none`). */
  clientSecret?: string;
  redirectUris: string[];
  /** Default RS256; ES256 and PS256 work too (keys for both are made at start). */
  idTokenSignedResponseAlg?: JwsAlg;
  /** Where this IdP posts logout tokens when a session it shares with the client ends. */
  backchannelLogoutUri?: string;
  /** Where the browser may be sent back after an RP-initiated logout. */
  postLogoutRedirectUris?: string[];
}

export interface StartOidcIdpOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  issuerHost?: '127.0.0.1';
  clients: DemoOidcClient[];
  users: DemoUser[];
  /**
   * More scopes and the claims they release, e.g. `{ roles: ['realm_access'] }`. The names of the
   * starting users' `extraClaims` are released with `openid` already; a claim name that only
   * appears later (addUser/updateUser) must be declared here to be released.
   */
  claimsExtra?: Record<string, string[]>;
  /** Put scope claims into the ID token as well as userinfo (default false: only userinfo, as the spec says). */
  idTokenWithScopeClaims?: boolean;
  /** Show the login page on every authorization request, so a person can switch users (default true). */
  alwaysPromptLogin?: boolean;
  /**
   * Which users the login page lists for a one-click sign-in: `all` (default, the demo) or only
   * `passwordless` ones; the username + password form works either way.
   */
  userPicker?: 'all' | 'passwordless';
}

export interface DemoOidcIdp {
  issuer: string;
  provider: Provider;
  close(): Promise<void>;
  /** Changes a user's groups; the next login (and userinfo call) sees them. */
  setUserGroups(username: string, groups: string[]): void;
  updateUser(username: string, patch: Partial<Omit<DemoUser, 'username'>>): void;
  addUser(user: DemoUser): void;
  /** Signs a JWT with this provider's own key (`kid` set): forged ID tokens for tests. */
  signIdToken(payload: Record<string, unknown>, opts?: { alg?: JwsAlg; header?: Record<string, unknown> }): string;
  /** The provider's RSA public key (e.g. to try an HS256 token keyed with it). */
  rsaPublicKey: KeyObject;
}

/**
 * oidc-provider v9 prints "Unsupported runtime" on import under Node 20; what we use works there
 * (tested), so that one line is dropped rather than shown on every start and test run.
 */
let moduleLoad: Promise<typeof import('oidc-provider')> | undefined;
function loadOidcProvider(): Promise<typeof import('oidc-provider')> {
  moduleLoad ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('Unsupported runtime')) return;
      warn(...args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })();
  return moduleLoad;
}

/** Starts the provider; resolves once it listens. */
export async function startOidcIdp(opts: StartOidcIdpOptions): Promise<DemoOidcIdp> {
  const { default: OidcProvider, interactionPolicy } = await loadOidcProvider();
  const users = new Map<string, DemoUser>();
  const addUser = (u: DemoUser): void => void users.set(u.username, structuredClone(u));
  opts.users.forEach(addUser);
  const subOf = (u: DemoUser): string => u.sub ?? u.username;
  const bySub = (sub: string): DemoUser | undefined => [...users.values()].find((u) => subOf(u) === sub);

  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => void res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  const host = opts.issuerHost ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;

  // The sign-in form's redirects end at the clients: their origins may be form targets.
  const clientOrigins = opts.clients.flatMap((c) => c.redirectUris.map((u) => new URL(u).origin));
  const headers = inlinePageHeaders({ https: issuer.startsWith('https://'), formAction: clientOrigins });
  const keys = makeSigningKeys();
  const extraClaimNames = new Set(opts.users.flatMap((u) => Object.keys(u.extraClaims ?? {})).filter((k) => !k.startsWith('_claim_')));
  const policy = interactionPolicy.base();
  if (opts.alwaysPromptLogin ?? true) {
    policy.get('login')?.checks.add(
      new interactionPolicy.Check('demo_login_every_time', 'the demo IdP asks on every request', (ctx) =>
        ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT,
      ),
    );
  }

  const configuration: Configuration = {
    adapter: memoryAdapterClass(),
    clients: opts.clients.map((c) => ({
      client_id: c.clientId,
      ...(c.clientSecret === undefined ? { token_endpoint_auth_method: 'none' as const } : { client_secret: c.clientSecret }),
      redirect_uris: c.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: c.idTokenSignedResponseAlg ?? 'RS256',
      ...(c.backchannelLogoutUri ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
      ...(c.postLogoutRedirectUris ? { post_logout_redirect_uris: c.postLogoutRedirectUris } : {}),
    })),
    jwks: { keys: [keys.rsaJwk, keys.ecJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: {
      openid: ['sub', ...extraClaimNames],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      groups: ['groups'],
      ...opts.claimsExtra,
    },
    conformIdTokenClaims: !(opts.idTokenWithScopeClaims ?? false),
    findAccount: (_ctx, sub) => {
      const user = bySub(sub);
      return user && { accountId: sub, claims: () => ({ ...accountClaims(user), sub }) };
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // The IdP asks before it ends its session; `form` is oidc-provider's own (xsrf included).
        logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
          headers(ctx.req, ctx.res, () => undefined);
          ctx.type = 'html';
          ctx.body = page('Sign out', html`${trusted(form)}<p>Sign out of the demo OIDC provider too?</p><button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`);
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy },
    ttl: { AccessToken: 600, AuthorizationCode: 60, ClientCredentials: 600, Grant: 3600, IdToken: 600, Interaction: 1800, RefreshToken: 3600, Session: 3600 },
    clientBasedCORS: () => false,
    // Its relying parties are on loopback too: oidc-provider's guard against special-use addresses
    // (its own dispatcher) would refuse every back-channel logout, so requests go without it.
    fetch: (url, options) => {
      const { dispatcher: _guard, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    },
    renderError: (ctx: KoaContextWithOIDC, out) => {
      headers(ctx.req, ctx.res, () => undefined);
      ctx.type = 'html';
      ctx.body = page('Sign-in error', html`<p>${String(out.error)}: ${String(out.error_description ?? '')}</p>`);
    },
  };
  let provider: Provider;
  try {
    provider = new OidcProvider(issuer, configuration);
  } catch (err) {
    server.close();
    throw err;
  }
  const providerCallback = provider.callback();

  handler = (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    if (path === FAVICON_PATH) return sendFavicon(req, res);
    const m = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(path);
    if (!m) return void providerCallback(req, res);
    interaction(provider, { users, picker: opts.userPicker ?? 'all', headers }, req, res, m[1] ?? '', m[2]).catch((err: unknown) => {
      if (res.headersSent) return void res.end();
      const msg = err instanceof Error ? err.message : 'failed';
      sendInlinePage(headers, req, res, 400, page('Sign-in error', html`<p>${msg}</p><p>Start the sign-in again from the application.</p>`));
    });
  };

  return {
    issuer,
    provider,
    rsaPublicKey: keys.rsaPublic,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    setUserGroups(username, groups) {
      mustGet(users, username).groups = [...groups];
    },
    updateUser(username, patch) {
      Object.assign(mustGet(users, username), structuredClone(patch));
    },
    addUser,
    signIdToken(payload, o = {}) {
      const alg = o.alg ?? 'RS256';
      const kid = alg === 'ES256' ? keys.ecJwk.kid : keys.rsaJwk.kid;
      const input = `${b64json({ alg, typ: 'JWT', kid, ...o.header })}.${b64json(payload)}`;
      const key = alg === 'ES256' ? keys.ecPrivate : keys.rsaPrivate;
      const sig =
        alg === 'PS256'
          ? sign('sha256', Buffer.from(input), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
          : sign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
      return `${input}.${sig.toString('base64url')}`;
    },
  };
}

// ---------------------------------------------------------------- interactions

interface LoginUi {
  users: Map<string, DemoUser>;
  picker: 'all' | 'passwordless';
  headers: NodeMiddleware;
}

const pickable = (ui: LoginUi, u: DemoUser): boolean => ui.picker === 'all' || u.password === undefined;

async function interaction(
  provider: Provider,
  ui: LoginUi,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  action: string | undefined,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  // The interaction is found by its cookie; the URL must name that same one.
  if (details.uid !== uid) throw new Error('this sign-in page belongs to another request');
  const params = details.params as Record<string, unknown>;
  if (action === 'abort' && req.method === 'POST') {
    const result = { error: 'access_denied', error_description: 'End-User aborted interaction' };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  const sessionAccount = details.session?.accountId;
  if (action === undefined && details.prompt.name === 'consent' && sessionAccount) {
    const grantId = await grantRequested(provider, sessionAccount, params);
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (action === 'login' && req.method === 'POST') {
    const form = new URLSearchParams(await readBody(req));
    const user = ui.users.get(form.get('username') ?? '');
    const picked = form.get('pick') === '1' && user !== undefined && pickable(ui, user);
    const ok = user !== undefined && (picked || user.password === undefined || safeEqual(form.get('password') ?? '', user.password));
    if (!ok || !user) return sendInlinePage(ui.headers, req, res, 200, loginPage(details.uid, params, ui, 'Unknown user or wrong password.'));
    const accountId = user.sub ?? user.username;
    const grantId = await grantRequested(provider, accountId, params);
    const result = { login: { accountId }, consent: { grantId } };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  sendInlinePage(ui.headers, req, res, 200, loginPage(details.uid, params, ui));
}

/** A grant for everything the client asked for: the demo client is first-party. */
async function grantRequested(provider: Provider, accountId: string, params: Record<string, unknown>): Promise<string> {
  const grant = new provider.Grant({ accountId, clientId: String(params.client_id) });
  grant.addOIDCScope(typeof params.scope === 'string' ? params.scope : 'openid');
  if (typeof params.claims === 'string') {
    const claims = JSON.parse(params.claims) as { id_token?: object; userinfo?: object };
    grant.addOIDCClaims([...Object.keys(claims.id_token ?? {}), ...Object.keys(claims.userinfo ?? {})]);
  }
  return grant.save();
}

function loginPage(uid: string, params: Record<string, unknown>, ui: LoginUi, error?: string): string {
  const hint = typeof params.login_hint === 'string' ? params.login_hint : '';
  const picks = [...ui.users.values()]
    .filter((u) => pickable(ui, u))
    .map(
      (u) => html`<li><form method="post" action="/interaction/${uid}/login"><input type="hidden" name="username" value="${u.username}"><input type="hidden" name="pick" value="1">
<button type="submit" class="secondary">${u.name ?? u.username}</button> <span class="muted">${u.email} &middot; groups: ${u.groups.join(', ') || 'none'}</span></form></li>`,
    );
  return page(
    'Sign in',
    html`<h1>Sign in</h1>
<p>Client <code>${String(params.client_id)}</code> asks for <code>${String(params.scope ?? '')}</code>.</p>
${error ? html`<div class="flash error" role="alert">${error}</div>` : ''}
<form method="post" action="/interaction/${uid}/login" class="stack">
<label>Username <input type="text" name="username" value="${hint}" autocomplete="username" autofocus></label>
<label>Password <input type="password" name="password" value="" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>
${picks.length ? html`<h2>Or pick a demo user</h2><ul class="stack">${picks}</ul>` : ''}
<form method="post" action="/interaction/${uid}/abort"><button type="submit" class="secondary">Cancel</button></form>`,
  );
}

function page(title: string, body: Html): string {
  return inlinePage(`${title} (demo OIDC provider)`, body, { brand: 'Gatehouse demo OIDC provider' });
}

async function readBody(req: IncomingMessage, limit = 16_384): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > limit) throw new Error('request body too large');
  }
  return body;
}

// ---------------------------------------------------------------- users, keys, storage

function accountClaims(u: DemoUser): Record<string, unknown> {
  const extra = u.extraClaims ?? {};
  const overage = (extra._claim_names ?? {}) as Record<string, unknown>;
  const claims: Record<string, unknown> = {
    email: u.email,
    email_verified: u.emailVerified ?? true,
    preferred_username: u.username,
    ...(u.name === undefined ? {} : { name: u.name }),
    ...(u.givenName === undefined ? {} : { given_name: u.givenName }),
    ...(u.familyName === undefined ? {} : { family_name: u.familyName }),
    // An overage (Azure style) sends a pointer instead of the claim itself.
    ...('groups' in overage ? {} : { groups: [...u.groups] }),
    ...structuredClone(extra),
  };
  return claims;
}

function mustGet(users: Map<string, DemoUser>, username: string): DemoUser {
  const u = users.get(username);
  if (!u) throw new TypeError(`no demo user ${username}`);
  return u;
}

function makeSigningKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = (k: KeyObject, pub: KeyObject): JWK & { kid: string } => {
    const thumb = createHash('sha256').update(JSON.stringify(pub.export({ format: 'jwk' }))).digest('base64url');
    return { ...(k.export({ format: 'jwk' }) as JWK), use: 'sig', kid: thumb.slice(0, 16) };
  };
  return {
    rsaPrivate: rsa.privateKey,
    rsaPublic: rsa.publicKey,
    ecPrivate: ec.privateKey,
    rsaJwk: jwk(rsa.privateKey, rsa.publicKey),
    ecJwk: jwk(ec.privateKey, ec.publicKey),
  };
}

/** oidc-provider's storage, in memory, one store per provider instance. */
function memoryAdapterClass(): new (name: string) => Adapter {
  const rows = new Map<string, { payload: AdapterPayload; expiresAt: number | undefined }>();
  const now = () => Math.floor(Date.now() / 1000);
  const live = (key: string): AdapterPayload | undefined => {
    const row = rows.get(key);
    if (row?.expiresAt !== undefined && row.expiresAt <= now()) rows.delete(key);
    else return row?.payload;
    return undefined;
  };
  return class MemoryAdapter implements Adapter {
    readonly name: string;
    constructor(name: string) {
      this.name = name;
    }
    private key(id: string): string {
      return `${this.name}:${id}`;
    }
    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      rows.set(this.key(id), { payload: structuredClone(payload), expiresAt: expiresIn ? now() + expiresIn : undefined });
    }
    async find(id: string): Promise<AdapterPayload | undefined> {
      return live(this.key(id));
    }
    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      for (const key of rows.keys()) if (key.startsWith(`${this.name}:`) && live(key)?.uid === uid) return live(key);
      return undefined;
    }
    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      for (const key of rows.keys()) if (key.startsWith(`${this.name}:`) && live(key)?.userCode === userCode) return live(key);
      return undefined;
    }
    async consume(id: string): Promise<void> {
      const payload = live(this.key(id));
      if (payload) payload.consumed = now();
    }
    async destroy(id: string): Promise<void> {
      rows.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      for (const [key, row] of rows) if (row.payload.grantId === grantId) rows.delete(key);
    }
  };
}

function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function b64json(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

