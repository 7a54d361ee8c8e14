/**
 * SCIM server throughput over real HTTP on loopback: `npx tsx bench/scim.ts [sqlite|pg]`.
 *
 * The gateway runs in a child process (the standalone gateway with SCIM enabled, a fresh SQLite
 * file or PostgreSQL schema); this process is the IdP, with keep-alive connections and a fixed
 * number of requests in flight. Phases, in order: create users, get by id, filter by userName,
 * PATCH a user (Entra shape), group membership pushes (PATCH adding 20 members, each mapped to
 * roles and groups through the provisioning rules), paged lists of 100. Writes its block of
 * docs/benchmarks.md; the other database's last figures are kept.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import express from 'express';
import { startGateway } from '../adapters/gateway/server.ts';
import { parseConfig } from '../plugin/config/parse.ts';
import { createLogger } from '../plugin/logger.ts';
import { mintToken } from '../plugin/tokens.ts';
import { createTestDatabase, type DbKind } from '../test/support/db.ts';
import { benchmarksFile, writeSection } from './lib/docs.ts';
import { createLeanClient } from './lib/http-client.ts';
import { databaseVersion, loadAverage, machineLine } from './lib/machine.ts';
import { intFlag, parseArgs, runConcurrent } from './lib/runner.ts';
import { fmt, markdownTable, summarize, type Summary } from './lib/stats.ts';

const GROUPS = 100;
const MEMBERS_PER_PUSH = 20;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The bar on SQLite (requests/s), from the issue. */
const GOALS: Record<string, number> = { create: 300, get: 4000, filter: 1500, patch: 500, push: 35, list: 280 };

interface Ready {
  url: string;
  token: string;
  database: string;
  /** A bare Express app answering one JSON route, in the same process: the machine's floor. */
  floorUrl: string;
}

function startFloor(): Promise<{ url: string; close(): void }> {
  const app = express();
  app.get('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() }));
  });
}

// ------------------------------------------------------------------ server (child process)

async function serve(kind: DbKind): Promise<void> {
  const db = await createTestDatabase(kind);
  const config = parseConfig({
    server: { port: 0, host: '127.0.0.1', sessionSecret: randomBytes(24).toString('hex') },
    database: db.config,
    organizations: [{ id: 'acme-corp', groups: Array.from({ length: GROUPS }, (_, i) => `team${i}`) }],
    provisioning: { syncMode: 'ADDITIVE', defaultRole: 'viewer', groupsPattern: 'chainloop_{ORG_NAME}_{GROUP_NAME}' },
    scim: { enabled: true, basePath: '/scim/v2' },
    log: { level: 'silent' },
  });
  const gw = await startGateway(config, { logger: createLogger('silent') });
  const minted = await mintToken(gw.store, { kind: 'scim', name: 'bench', actor: 'bench' });
  const floor = await startFloor();
  const ready: Ready = { url: `${gw.url}/scim/v2`, token: minted.token, database: await databaseVersion(gw.knex), floorUrl: floor.url };
  // Event-loop delay over each phase: how long a ready request can wait behind other work (GC, big pages).
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let gcMax = 0;
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMax = Math.max(gcMax, e.duration);
      gcMs += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  process.send?.({ ready });
  process.on('message', (m: unknown) => {
    // CPU time of the whole server process (event loop and SQLite's worker threads).
    if (m === 'cpu') {
      process.send?.({ cpu: process.cpuUsage(), loop: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6, gcMax, gcMs } });
      loop.reset();
      gcMax = 0;
      gcMs = 0;
    }
    if (m !== 'stop') return;
    floor.close();
    void gw
      .close()
      // GATEHOUSE_BENCH_KEEP=1 keeps the database (to replay queries on it), and says where.
      .then(async () => {
        if (process.env.GATEHOUSE_BENCH_KEEP) process.stderr.write(`kept ${JSON.stringify(db.config)}\n`);
        else await db.drop();
      })
      .then(() => process.exit(0));
  });
}

// ------------------------------------------------------------------ client

function client(base: string, token: string, concurrency: number) {
  const url = new URL(base);
  // A lean HTTP/1.1 client over plain sockets, one connection per request in flight: node:http's
  // own client would take a large share of the machine's CPU from the server being measured.
  const lean = createLeanClient({ host: url.hostname, port: Number(url.port), connections: concurrency });
  const prefix = url.pathname.replace(/\/$/, '');
  const headers = { authorization: `Bearer ${token}`, accept: 'application/scim+json' };
  const jsonHeaders = { ...headers, 'content-type': 'application/scim+json' };
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: () => any; head: (n: number) => string }> => {
    const res = await (body === undefined ? lean.request(method, `${prefix}${path}`, headers) : lean.request(method, `${prefix}${path}`, jsonHeaders, JSON.stringify(body)));
    return { status: res.status, json: () => JSON.parse(res.body.toString('utf8')), head: (n: number) => res.body.subarray(0, n).toString('utf8') };
  };
  return Object.assign(call, { close: () => lean.close() });
}

function expectStatus(res: { status: number }, ok: number[], what: string): void {
  if (!ok.includes(res.status)) throw new Error(`${what} answered ${res.status}`);
}

interface PhaseResult {
  phase: string;
  requests: number;
  summary: Summary;
  /** Server CPU (user + system, all threads) per request: what the phase costs whatever else runs on the machine. */
  cpuMsPerRequest: number;
  /** The server's event-loop delay over the phase (p99), in ms: how long ready work waited. */
  loopP99Ms?: number;
}

async function run(kind: DbKind, users: number, concurrency: number, profileDir: string | undefined): Promise<{ results: PhaseResult[]; database: string }> {
  const execArgv = profileDir ? [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${profileDir}`] : process.execArgv;
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve', kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    child.on('message', (m: unknown) => {
      const r = (m as { ready?: Ready }).ready;
      if (r) resolve(r);
    });
  });
  const call = client(ready.url, ready.token, concurrency);
  let loop = { p99: 0, max: 0, gcMax: 0, gcMs: 0 };
  const cpu = () =>
    new Promise<number>((resolve) => {
      const on = (m: unknown) => {
        const msg = m as { cpu?: NodeJS.CpuUsage; loop?: typeof loop };
        const usage = msg.cpu;
        if (!usage) return;
        child.off('message', on);
        loop = msg.loop ?? loop;
        resolve((usage.user + usage.system) / 1000);
      };
      child.on('message', on);
      child.send('cpu');
    });
  const results: PhaseResult[] = [];
  const phase = async (name: string, total: number, op: (i: number) => Promise<unknown>) => {
    const cpu0 = await cpu();
    const r = await runConcurrent(total, concurrency, op);
    const cpuMs = (await cpu()) - cpu0;
    if (r.errors) throw new Error(`${name}: ${r.errors} failed, first: ${String(r.firstError)}`);
    const summary = summarize(r.samplesMs, r.wallMs, r.errors);
    results.push({ phase: name, requests: total, summary, cpuMsPerRequest: cpuMs / total, loopP99Ms: loop.p99 });
    process.stdout.write(
      `${kind} ${name.padEnd(8)} ${fmt(summary.perSec, 0).padStart(7)} req/s  p50 ${fmt(summary.p50Ms, 2)} ms  p99 ${fmt(summary.p99Ms, 2)} ms  server CPU ${fmt(cpuMs / total, 2)} ms/req  loop delay p99 ${fmt(loop.p99, 1)} max ${fmt(loop.max, 1)} ms  GC ${fmt(loop.gcMs / total, 2)} ms/req, longest ${fmt(loop.gcMax, 1)} ms\n`,
    );
  };

  try {
    // The machine's floor: a bare Express app; then the gateway's own stack with no token and no database.
    const bare = client(ready.floorUrl, '', concurrency);
    await runConcurrent(300, concurrency, () => bare('GET', '/hello'));
    await phase('express', 4000, async () => expectStatus(await bare('GET', '/hello'), [200], 'express'));
    bare.close();
    await runConcurrent(300, concurrency, () => call('GET', '/ServiceProviderConfig'));
    await phase('baseline', 4000, async () => expectStatus(await call('GET', '/ServiceProviderConfig'), [200], 'baseline'));
    const ids: string[] = new Array(users);
    const userName = (i: number) => `bench.user.${i}@bench.example.com`;
    await phase('create', users, async (i) => {
      const res = await call('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
        userName: userName(i),
        externalId: `ext-${i}`,
        name: { givenName: 'Bench', familyName: `User ${i}` },
        displayName: `Bench User ${i}`,
        emails: [{ value: userName(i), type: 'work', primary: true }],
        active: true,
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: String(i), department: 'Bench' },
      });
      expectStatus(res, [201], 'create');
      ids[i] = res.json().id as string;
    });
    const pick = (i: number) => ids[(i * 7919) % users] as string;
    // Warm the JIT and the connection pool before timing reads.
    await runConcurrent(300, concurrency, (i) => call('GET', `/Users/${pick(i)}`));
    await phase('get', Math.max(20_000, users * 3), async (i) => expectStatus(await call('GET', `/Users/${pick(i)}`), [200], 'get'));
    await phase('filter', Math.max(10_000, users), async (i) => {
      const res = await call('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName((i * 7919) % users)}"`)}`);
      expectStatus(res, [200], 'filter');
      if (res.json().totalResults !== 1) throw new Error('filter did not find its user');
    });
    await phase('patch', Math.max(4000, users), async (i) => {
      const res = await call('PATCH', `/Users/${pick(i)}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'Replace', path: 'title', value: `Title ${i}` }, { op: 'Replace', path: 'name.givenName', value: `Bench ${i}` }],
      });
      expectStatus(res, [200], 'patch');
    });
    const groups: string[] = [];
    for (let g = 0; g < GROUPS; g++) {
      const res = await call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `chainloop_acme-corp_team${g}` });
      expectStatus(res, [201], 'group create');
      groups.push(res.json().id as string);
    }
    // Push k to group g adds 20 users no push gave that group before.
    const pushes = Math.min(GROUPS * Math.floor(users / MEMBERS_PER_PUSH), 400);
    await phase('push', pushes, async (i) => {
      const g = i % GROUPS;
      const k = Math.floor(i / GROUPS);
      const members = Array.from({ length: MEMBERS_PER_PUSH }, (_, j) => ({ value: ids[(k * MEMBERS_PER_PUSH + j + g * 13) % users] }));
      const res = await call('PATCH', `/Groups/${groups[g]}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: members }] });
      expectStatus(res, [200], 'push');
    });
    await phase('list', 3000, async (i) => {
      const start = 1 + ((i * 97) % Math.max(1, users - 100));
      const res = await call('GET', `/Users?startIndex=${start}&count=100`);
      expectStatus(res, [200], 'list');
      // itemsPerPage (the length of Resources) read from the envelope's head: parsing ~370 kB per
      // page would cost the load generator ~1 ms of CPU per request, taken from the server measured.
      if (!res.head(400).includes('"itemsPerPage":100,"Resources":[{')) throw new Error('short page');
    });
    return { results, database: ready.database };
  } finally {
    call.close();
    child.send('stop');
    await new Promise((r) => child.once('exit', r));
  }
}

// ------------------------------------------------------------------ docs

interface Stored {
  at: string;
  machine: string;
  load: string;
  users: number;
  concurrency: number;
  results: PhaseResult[];
}

const DATA = /<!-- bench:scim:data (.*?) -->/;

function previous(): Record<string, Stored> {
  try {
    const m = DATA.exec(readFileSync(benchmarksFile(), 'utf8'));
    return m ? (JSON.parse(m[1] as string) as Record<string, Stored>) : {};
  } catch {
    return {};
  }
}

const LABEL: Record<string, string> = {
  express: 'floor: bare Express, one JSON route',
  baseline: 'floor: GET /ServiceProviderConfig (gateway stack, no auth, no database)',
  create: 'create user (POST /Users)',
  get: 'get by id (GET /Users/{id})',
  filter: 'filter (userName eq)',
  patch: 'PATCH user (2 ops)',
  push: 'member push (PATCH +20 members)',
  list: 'page of 100 (GET /Users)',
};

function goalCell(r: PhaseResult): string {
  const goal = GOALS[r.phase];
  if (goal === undefined) return '';
  return `${fmt(goal, 0)}: ${r.summary.perSec >= goal && r.summary.p99Ms < 100 ? 'met' : 'missed'}`;
}

function render(all: Record<string, Stored>): string {
  const parts = [
    '## SCIM 2.0 server',
    '',
    '`npx tsx bench/scim.ts [sqlite|pg]`: the standalone gateway with SCIM enabled runs in a child process; the',
    'benchmark process plays the IdP over real HTTP on 127.0.0.1 (keep-alive, a fixed number of requests in',
    'flight). Every request is authenticated (token looked up in the database, no cache) and audited. Phases in',
    'order: create users (core + enterprise attributes); get by id; filter `userName eq`; PATCH two attributes',
    `(Entra shape); member pushes: PATCH adding ${MEMBERS_PER_PUSH} members to one of ${GROUPS} groups named`,
    '`chainloop_acme-corp_team<n>`, each new member mapped through the groups pattern (a group and the default',
    'role, source `scim`; pending users promoted); pages of 100 users at random offsets with `totalResults`.',
    '',
    'How to read it: requests/s and latencies depend on what else the machine runs (the load average is given;',
    'client, gateway and PostgreSQL share its cores). "Server CPU" is the gateway process\'s CPU time per request',
    '(all threads, so SQLite\'s work is included; PostgreSQL\'s is not), which does not depend on that: 1,000 divided',
    'by it is what one free core would serve. The two floor rows calibrate the machine: a bare Express app with',
    'one JSON route, and the gateway\'s own middleware answering a static SCIM document. The bar is the one set',
    'for SQLite in the issue.',
    '',
    'The load generator is a lean keep-alive HTTP/1.1 client over plain sockets (bench/lib/http-client.ts, about',
    '0.05 ms of CPU per request), so that it takes as little as it can of the two cores from the server. What made',
    'the figures (measured on this machine with this benchmark, 2026-11-22): SCIM served by a plain node:http handler',
    'ahead of Express and sessions (the baseline row went from about 4,700 to 12,000-18,000 requests/s); SQLite on',
    'better-sqlite3 instead of sqlite3 (gets 1,640 -> 3,780/s, creates 440 -> 890/s: no thread-pool hop per',
    'statement) with prepared statements kept per connection; on SQLite, SCIM requests taking turns in arrival',
    'order, each on a fresh turn of the event loop (the p99 of pages and pushes went from about 2x to 1.3-1.6x',
    'their p50: with a synchronous driver, a poll phase that reads sixteen requests otherwise runs them all before',
    'reading any sent meanwhile); covering indexes for paging users and for the groups of a page; WAL checkpoints',
    'in a worker thread (a push\'s COMMIT went from about 1.1 to 0.5 ms on the serving thread). "Event-loop',
    'delay" is the server\'s own measure of how long ready work waited over the phase.',
    '',
    'Each phase runs for several seconds (20,000 gets, 10,000 filters, 4,000 PATCHes, 3,000 pages), so that a short',
    'burst of the shared machine weighs little in its figures; 400 pushes leave every user in 4 groups on average.',
    '',
    'The machine is a shared 2-vCPU VM: the same code measured 15-30% apart from one run to the next (server CPU per',
    'request too, so it is not only the client). Eight runs of the finished work on 2026-11-22 (this one among them),',
    'in requests/s: gets 4,440-5,810, filters 3,280-4,270, creates 970-1,300, PATCHes 1,170-1,470, pushes 237-328,',
    'pages 278-364 (one run of eight under 280); the highest p99 of any phase was 96 ms. A push of 20 members writes all their',
    'memberships in one insert (12 statements in all, 29 before): on PostgreSQL, where each statement is a round',
    'trip, that took pushes from 110-129 to 135-168/s; on SQLite it changed nothing measurable.',
    '',
  ];
  for (const [db, run] of Object.entries(all)) {
    parts.push(`### ${db}`, '', `${run.machine} Load average at start ${run.load}. ${run.users} users, concurrency ${run.concurrency}. Run at ${run.at}.`, '');
    const goals = /sqlite/i.test(db);
    parts.push(
      markdownTable(
        ['phase', 'requests', 'requests/s', 'p50 (ms)', 'p99 (ms)', 'server CPU (ms/req)', 'event-loop delay p99 (ms)', ...(goals ? ['bar (req/s, p99 < 100 ms)'] : [])],
        run.results.map((r) => [
          LABEL[r.phase] ?? r.phase,
          fmt(r.requests, 0),
          fmt(r.summary.perSec, 0),
          fmt(r.summary.p50Ms, 2),
          fmt(r.summary.p99Ms, 2),
          fmt(r.cpuMsPerRequest, 2),
          r.loopP99Ms === undefined ? '' : fmt(r.loopP99Ms, 1),
          ...(goals ? [goalCell(r)] : []),
        ]),
        ['l'],
      ),
      '',
    );
  }
  parts.push(`<!-- bench:scim:data ${JSON.stringify(all)} -->`);
  return parts.join('\n');
}

async function main(): Promise<void> {
  const { flags, positional } = parseArgs(process.argv.slice(2));
  const serveKind = flags.get('serve');
  if (serveKind) return serve(serveKind as DbKind);
  if (flags.has('docs-only')) {
    process.stdout.write(`wrote ${writeSection('scim', render(previous()))}\n`);
    return;
  }
  const kind = (positional[0] ?? 'sqlite') as DbKind;
  if (kind !== 'sqlite' && kind !== 'pg') throw new TypeError('usage: npx tsx bench/scim.ts [sqlite|pg] [--users N] [--concurrency N] [--prof DIR] [--docs-only]');
  const users = intFlag(flags, 'users', 2000);
  const concurrency = intFlag(flags, 'concurrency', 16);
  const load = loadAverage();
  // --prof DIR: the server writes a V8 CPU profile there (profiling run; the docs are not updated).
  const profileDir = flags.get('prof');
  const { results, database } = await run(kind, users, concurrency, profileDir);
  if (profileDir) return;
  const all = previous();
  all[database.replace(/\s+\S+$/, '')] = { at: new Date().toISOString(), machine: machineLine([database]), load, users, concurrency, results };
  const file = writeSection('scim', render(all));
  process.stdout.write(`wrote ${file}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
