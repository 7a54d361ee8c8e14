/**
 * Webhook delivery benchmark, on SQLite and PostgreSQL with a local receiver on 127.0.0.1:
 *
 * - drain: a full outbox (N deliveries committed beforehand) sent by one dispatcher at several
 *   concurrencies: deliveries/s over the wall time, and attempt latency (claim excluded);
 * - login to receipt: sequential logins with the gateway's own dispatcher running, time from the
 *   login's commit to the signed request arriving at the receiver (the in-process nudge path).
 *
 * Prints tables and rewrites the `bench:webhooks` block of docs/benchmarks.md.
 *
 *   npx tsx bench/webhooks.ts [sqlite|pg|all] [--n 3000] [--logins 200]
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { createGatehouseFromConfig, type Backend } from '../adapters/backend.ts';
import { KnexWebhookStore } from '../adapters/store/webhook-store.ts';
import { parseConfig } from '../plugin/config/parse.ts';
import { createLogger } from '../plugin/logger.ts';
import type { IdpAdapter } from '../plugin/ports.ts';
import { provisionLogin } from '../plugin/provisioning/login.ts';
import type { Claims } from '../plugin/types.ts';
import {
  createDispatcher,
  createHttpTransport,
  defaultDeliverySettings,
  generateSecret,
  newMessageId,
  type WebhookEndpoint,
} from '../plugin/webhooks/index.ts';
import { createTestDatabase, type DbKind, type TestDatabase } from '../test/support/db.ts';
import { writeSection } from './lib/docs.ts';
import { databaseVersion, machineLine } from './lib/machine.ts';
import { intFlag, parseArgs } from './lib/runner.ts';
import { fmt, markdownTable, summarize, type Summary } from './lib/stats.ts';

const { flags, positional } = parseArgs(process.argv.slice(2));
const which = positional[0] ?? 'all';
if (!['sqlite', 'pg', 'all'].includes(which)) throw new TypeError(`usage: bench/webhooks.ts [sqlite|pg|all] (got "${which}")`);
const KINDS: DbKind[] = which === 'all' ? ['sqlite', 'pg'] : [which as DbKind];
const N = intFlag(flags, 'n', 3000);
const LOGINS = intFlag(flags, 'logins', 200);
const CONCURRENCY = [1, 8, 32];
const PROVIDER = 'bench-oidc';
const silent = createLogger('silent');

interface Sink {
  url: string;
  count: number;
  /** Resolves when `count` reaches n. */
  until(n: number): Promise<void>;
  close(): Promise<void>;
}

/** The receiver: reads the body, answers 204. Signature checks are the receiver's cost, not ours. */
async function startSink(): Promise<Sink> {
  let waiter: { n: number; resolve: () => void } | null = null;
  const sink: Sink = {
    url: '',
    count: 0,
    until(n) {
      if (sink.count >= n) return Promise.resolve();
      return new Promise((resolve) => (waiter = { n, resolve }));
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(204).end();
      sink.count++;
      if (waiter && sink.count >= waiter.n) {
        const w = waiter;
        waiter = null;
        w.resolve();
      }
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return sink;
}

const stubIdp: IdpAdapter = {
  id: PROVIDER,
  type: 'oidc',
  begin: async () => '/',
  complete: async () => {
    throw new Error('not used: the bench hands claims to provisionLogin');
  },
};

function claimsFor(subject: string): Claims {
  const email = `${subject}@example.com`;
  return { provider: PROVIDER, subject, email, emailOriginal: email, emailVerified: true, name: null, givenName: null, familyName: null, groups: [], groupsOverage: false, raw: {} };
}

async function open(db: TestDatabase, sinkUrl: string | null, dispatch: boolean): Promise<Backend> {
  const config = parseConfig({
    server: { sessionSecret: 'bench-session-secret-0123456789' },
    database: db.config,
    organizations: [{ id: 'acme-corp' }],
    providers: [{ id: PROVIDER, type: 'oidc', issuer: 'http://127.0.0.1:9/unused', clientId: 'bench' }],
    webhooks: sinkUrl ? [{ id: 'bench', url: sinkUrl, secret: generateSecret(), trigger: 'every_login', allowPrivateNetwork: true }] : [],
    webhookDelivery: { dispatch, pollIntervalMs: 1000 },
    log: { level: 'silent' },
  });
  return createGatehouseFromConfig(config, { logger: silent, idps: new Map([[PROVIDER, stubIdp]]) });
}

interface DrainRow {
  concurrency: number;
  perSec: number;
  wallMs: number;
  attempt: Summary;
}

async function drain(backend: Backend, outbox: KnexWebhookStore, concurrency: number): Promise<DrainRow> {
  const sink = await startSink();
  const now = Date.now();
  const endpoint: WebhookEndpoint = {
    id: `drain-${concurrency}`,
    url: sink.url,
    secret: generateSecret(),
    previousSecret: null,
    previousSecretExpiresAt: null,
    trigger: 'every_login',
    events: [],
    providers: [],
    fields: [],
    payload: {},
    allowPrivateNetwork: true,
    source: 'api',
    disabledAt: null,
    disabledReason: null,
    createdAt: now,
    updatedAt: now,
  };
  await outbox.insertEndpoint(endpoint);
  const body = JSON.stringify({ type: 'every_login', timestamp: new Date(now).toISOString(), data: { user: { id: 'u', email: 'u@example.com', username: 'u@example.com' }, provider: PROVIDER, groups: [], custom_payload: {} } });
  for (let i = 0; i < N; i += 500) {
    await backend.store.transaction((tx) =>
      outbox.enqueue(
        tx,
        Array.from({ length: Math.min(500, N - i) }, () => ({ id: newMessageId(), endpointId: endpoint.id, type: 'every_login' as const, body, userId: null, createdAt: now })),
      ),
    );
  }
  const samples: number[] = [];
  const transport = createHttpTransport();
  const dispatcher = createDispatcher({
    store: outbox,
    transport,
    settings: defaultDeliverySettings({ concurrency, pollIntervalMs: 1000 }),
    logger: silent,
    onAttempt: (_o, ms) => samples.push(ms),
  });
  const t0 = performance.now();
  dispatcher.start();
  dispatcher.nudge();
  await sink.until(N);
  await dispatcher.idle();
  const wallMs = performance.now() - t0;
  await dispatcher.stop();
  transport.close();
  await sink.close();
  const counts = await outbox.countEvents(endpoint.id);
  if (counts.delivered !== N) throw new Error(`drain: ${counts.delivered} of ${N} delivered`);
  await outbox.deleteEndpoint(endpoint.id);
  return { concurrency, perSec: (N * 1000) / wallMs, wallMs, attempt: summarize(samples, wallMs) };
}

async function loginToReceipt(db: TestDatabase): Promise<Summary> {
  const sink = await startSink();
  const backend = await open(db, sink.url, true);
  try {
    await new Promise((r) => setTimeout(r, 700)); // past the dispatcher's start-up pass
    const samples: number[] = [];
    const began = performance.now();
    for (let i = 0; i < LOGINS; i++) {
      await provisionLogin(backend.gatehouse.context, claimsFor(`latency-${i}`));
      const t0 = performance.now();
      await sink.until(i + 1);
      samples.push(performance.now() - t0);
    }
    return summarize(samples, performance.now() - began);
  } finally {
    await backend.close();
    await sink.close();
  }
}

async function benchDatabase(kind: DbKind) {
  const db = await createTestDatabase(kind);
  try {
    const backend = await open(db, null, false);
    let version = '';
    const rows: DrainRow[] = [];
    try {
      version = await databaseVersion(backend.knex);
      const outbox = new KnexWebhookStore(backend.knex, db.config.tablePrefix);
      for (const c of CONCURRENCY) {
        const row = await drain(backend, outbox, c);
        rows.push(row);
        console.log(`${version} drain c=${c}: ${fmt(row.perSec, 0)} deliveries/s, attempt p50 ${fmt(row.attempt.p50Ms, 2)} ms p99 ${fmt(row.attempt.p99Ms, 2)} ms`);
      }
    } finally {
      await backend.close();
    }
    const latency = await loginToReceipt(db);
    console.log(`${version} login->receipt: p50 ${fmt(latency.p50Ms, 2)} ms p99 ${fmt(latency.p99Ms, 2)} ms`);
    return { version, rows, latency, pool: kind === 'sqlite' ? '1 connection' : 'pool of 10' };
  } finally {
    await db.drop();
  }
}

const LOAD = os.loadavg().map((l) => l.toFixed(2)).join(' ');
const results = [];
for (const kind of KINDS) results.push(await benchDatabase(kind));

const drainTable = markdownTable(
  ['database', 'concurrency', 'deliveries', 'deliveries/s', 'wall (s)', 'attempt p50 (ms)', 'attempt p99 (ms)'],
  results.flatMap((r) => r.rows.map((x) => [r.version, String(x.concurrency), N.toLocaleString('en-US'), `**${fmt(x.perSec, 0)}**`, fmt(x.wallMs / 1000, 2), fmt(x.attempt.p50Ms, 2), fmt(x.attempt.p99Ms, 2)])),
  ['l'],
);
const latencyTable = markdownTable(
  ['database', 'logins', 'commit to receipt p50 (ms)', 'p99 (ms)', 'max (ms)'],
  results.map((r) => [r.version, String(LOGINS), fmt(r.latency.p50Ms, 2), fmt(r.latency.p99Ms, 2), fmt(r.latency.maxMs, 2)]),
  ['l'],
);
const md = `## Webhook delivery

\`npx tsx bench/webhooks.ts [sqlite|pg|all]\` (this run: \`${which}\`). A local receiver on 127.0.0.1 reads each
request and answers 204; every request is signed (Standard Webhooks, HMAC-SHA256) and sent over HTTP
keep-alive by the real transport (private-network guard bypassed with \`allowPrivateNetwork\`, as for any
loopback receiver).

- **Drain**: ${N.toLocaleString('en-US')} deliveries committed to the outbox beforehand, then one dispatcher
  sends them all: claim up to \`concurrency\` rows under a lease (${KINDS.includes('pg') ? 'PostgreSQL: \`FOR UPDATE SKIP LOCKED\`; ' : ''}SQLite: one conditional
  UPDATE), sign, POST, then record attempts and outcomes in group-committed transactions.
  deliveries/s is over the wall time; attempt latency is signing plus the HTTP round trip, per delivery.
- **Login to receipt**: ${LOGINS} sequential \`provisionLogin\` calls with the gateway's own dispatcher running
  (poll interval 1 s): time from the login's commit to the request arriving at the receiver. This is the
  in-process nudge path; a login on another instance waits for the poll interval instead.
- Connections: SQLite 1 connection; PostgreSQL pool of 10. Client, gateway, receiver and database share the machine; one Node process.

${machineLine(results.map((r) => r.version))} Load average at start ${LOAD}. Run at ${new Date().toISOString()}.

${drainTable}

${latencyTable}
`;
const file = writeSection('webhooks', md);
console.log(`wrote ${file}`);
