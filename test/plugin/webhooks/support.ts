/**
 * Shared pieces of the webhook and admin tests: a real HTTP receiver on 127.0.0.1 that verifies
 * every delivery with the `standardwebhooks` package, a stub IdP adapter (logins are driven by
 * hand-made claims, or by `/auth/<id>/callback?as=<user>`), and a gateway on a test database.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { parseConfig } from '../../../plugin/config/parse.ts';
import type { ConfigInput, ResolvedConfig } from '../../../plugin/config/schema.ts';
import { createLogger } from '../../../plugin/logger.ts';
import type { IdpAdapter } from '../../../plugin/ports.ts';
import type { Claims } from '../../../plugin/types.ts';
import { generateSecret } from '../../../plugin/webhooks/signing.ts';
import { startGateway, type Gateway } from '../../../adapters/gateway/server.ts';
import { createTestDatabase, type DbKind, type TestDatabase } from '../../support/db.ts';
import { Agent } from '../../support/agent.ts';

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body if it verified with one of the receiver's secrets, else null. */
  verified: unknown;
  verifiedWith: string[];
  at: number;
}

export interface ReplySpec {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Secrets the receiver verifies with (a rotation test sets two). */
  secrets: string[];
  /** Decides the answer to the n-th request (0-based); 200 by default. */
  reply: (n: number, r: Received) => ReplySpec | Promise<ReplySpec>;
  /** Resolves once `count` requests have arrived (before they are answered). */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  /** Distinct webhook ids answered 2xx. */
  acceptedIds(): string[];
  close(): Promise<void>;
  /** Starts listening again on the same port after `close` (a receiver that was down). */
  reopen(): Promise<void>;
}

export async function startReceiver(opts: { secrets: string[]; port?: number; path?: string; listen?: boolean }): Promise<Receiver> {
  const received: Received[] = [];
  const accepted = new Set<string>();
  let waiters: { count: number; resolve: () => void }[] = [];
  let server: Server | null = null;
  const path = opts.path ?? '/hook';

  const receiver: Receiver = {
    url: '',
    port: opts.port ?? 0,
    received,
    secrets: opts.secrets,
    reply: () => ({ status: 200 }),
    waitFor(count, timeoutMs = 20_000) {
      if (received.length >= count) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`receiver: ${received.length} of ${count} deliveries after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(t);
            resolve(received);
          },
        });
      });
    },
    acceptedIds: () => [...accepted],
    async close() {
      if (!server) return;
      const s = server;
      server = null;
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    },
    async reopen() {
      await listen(receiver.port);
    },
  };

  function handler(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers = req.headers;
        const verifiedWith: string[] = [];
        let verified: unknown = null;
        for (const s of receiver.secrets) {
          try {
            verified = new Webhook(s).verify(body, {
              'webhook-id': String(headers['webhook-id'] ?? ''),
              'webhook-timestamp': String(headers['webhook-timestamp'] ?? ''),
              'webhook-signature': String(headers['webhook-signature'] ?? ''),
            });
            verifiedWith.push(s);
          } catch {
            // not this secret
          }
        }
        const r: Received = {
          id: String(headers['webhook-id'] ?? ''),
          timestamp: String(headers['webhook-timestamp'] ?? ''),
          signature: String(headers['webhook-signature'] ?? ''),
          headers,
          body,
          verified: verifiedWith.length ? verified : null,
          verifiedWith,
          at: Date.now(),
        };
        const n = received.length;
        received.push(r);
        const ready = waiters.filter((w) => received.length >= w.count);
        waiters = waiters.filter((w) => received.length < w.count);
        for (const w of ready) w.resolve();
        const spec = req.url === path ? await receiver.reply(n, r) : { status: 404 };
        if (spec.delayMs) await new Promise((x) => setTimeout(x, spec.delayMs));
        if (spec.status >= 200 && spec.status < 300) accepted.add(r.id);
        res.writeHead(spec.status, spec.headers ?? {});
        res.end(spec.body ?? '');
      })();
    });
  }

  async function listen(port: number) {
    server = createServer(handler);
    server.keepAliveTimeout = 1000;
    const s = server;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    receiver.port = (s.address() as AddressInfo).port;
    receiver.url = `http://127.0.0.1:${receiver.port}${path}`;
  }
  if (opts.listen === false) {
    // Reserve a port, then free it: the URL is known while nothing listens yet.
    await listen(0);
    await receiver.close();
  } else await listen(receiver.port);
  return receiver;
}

/** A stub IdP: `complete` reads `?as=<username>` and answers with that user's claims. */
export function stubIdp(id: string, users: Map<string, Record<string, unknown>>): IdpAdapter {
  return {
    id,
    type: 'oidc',
    async begin() {
      return `/auth/${id}/callback`;
    },
    async complete({ url }) {
      const as = url.searchParams.get('as') ?? '';
      const raw = users.get(as);
      if (!raw) throw new Error(`stub IdP: unknown user ${as}`);
      return { subject: String(raw.sub ?? as), raw };
    },
  };
}

export const PROVIDER = 'corp-oidc';

export function webhookSecret(): string {
  return generateSecret();
}

/** A config on the test database with one stub-backed OIDC provider and short delivery settings. */
export function testConfig(db: TestDatabase, edit: (c: ConfigInput) => ConfigInput = (c) => c): ResolvedConfig {
  const base: ConfigInput = {
    server: { port: 0, host: '127.0.0.1', sessionSecret: 'test-session-secret-0123456789abcdef' },
    database: db.config,
    organizations: [{ id: 'acme-corp', groups: ['developers', 'compliance-team'] }],
    providers: [{ id: PROVIDER, type: 'oidc', issuer: 'http://127.0.0.1:9/unused', clientId: 'gatehouse', firstLoginPolicy: 'allow' }],
    provisioning: { syncMode: 'ADDITIVE', defaultRole: 'viewer', groupsPattern: 'chainloop_{ORG_NAME}_{GROUP_NAME}' },
    webhookDelivery: { timeoutMs: 2000, backoffBaseMs: 20, backoffMaxMs: 200, pollIntervalMs: 100, maxAttempts: 8 },
    log: { level: 'silent' },
  };
  return parseConfig(edit(base));
}

/** Normalized claims as an IdP adapter would produce them. */
export function claims(subject: string, extra: Partial<Claims> = {}): Claims {
  const email = `${subject}@example.com`;
  return {
    provider: PROVIDER,
    subject,
    email,
    emailOriginal: email,
    emailVerified: true,
    name: `${subject} Example`,
    givenName: subject,
    familyName: 'Example',
    groups: [],
    groupsOverage: false,
    raw: { sub: subject, email },
    ...extra,
  };
}

export interface TestGateway {
  gw: Gateway;
  db: TestDatabase;
  url: string;
  users: Map<string, Record<string, unknown>>;
  /** Logs an agent in through the stub IdP's callback (a real session). */
  login(agent: Agent, username: string): Promise<void>;
  close(): Promise<void>;
}

export async function startTestGateway(kind: DbKind, edit?: (c: ConfigInput) => ConfigInput): Promise<TestGateway> {
  const db = await createTestDatabase(kind);
  const config = testConfig(db, edit);
  const users = new Map<string, Record<string, unknown>>();
  const gw = await startGateway(config, { logger: createLogger('silent'), idps: new Map([[PROVIDER, stubIdp(PROVIDER, users)]]) });
  return {
    gw,
    db,
    url: gw.url,
    users,
    async login(agent, username) {
      const res = await agent.get(`${gw.url}/auth/${PROVIDER}/callback?as=${encodeURIComponent(username)}`, { accept: 'application/json' });
      if (res.status !== 302) throw new Error(`login of ${username} failed: ${res.status} ${res.text}`);
    },
    async close() {
      await gw.close();
      await db.drop();
    },
  };
}

export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, stepMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export { Agent };
