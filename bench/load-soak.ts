/**
 * Load and soak.
 *
 * (a) Load: 200 logins at once, zero errors allowed: at pipeline level (`provisionLogin` with 200
 *     distinct new subjects, then the same 200 again), and as full OIDC logins over HTTP through
 *     the harness (200 new browsers at once, then again), on SQLite and PostgreSQL. Row counts are
 *     checked afterwards.
 * (b) Soak: `--logins` pipeline logins on SQLite cycling over `--users` users (the first pass
 *     creates them), heapUsed after a full GC sampled every `--every` logins; the slope after
 *     warm-up says whether memory grows.
 *
 * Prints tables and rewrites the `bench:load-soak` block of docs/benchmarks.md.
 *
 *   node --expose-gc --import tsx bench/load-soak.ts [--logins 50000] [--users 5000] [--every 5000] [--concurrency 8] [--only load|soak]
 */
import { writeSection } from './lib/docs.ts';
import { benchUsers, startBenchHarness, timedOidcLogin } from './lib/http-login.ts';
import { databaseVersion, loadAverage, machineLine } from './lib/machine.ts';
import { claimsFor, openPipeline, rowCounts } from './lib/pipeline.ts';
import { intFlag, parseArgs, runConcurrent, type RunResult } from './lib/runner.ts';
import { fmt, linearFit, markdownTable, summarize } from './lib/stats.ts';
import type { DbKind } from '../test/support/db.ts';

const { flags } = parseArgs(process.argv.slice(2));
const LOGINS = intFlag(flags, 'logins', 50_000);
const USERS = intFlag(flags, 'users', 5_000);
const EVERY = intFlag(flags, 'every', 5_000);
const SOAK_CONCURRENCY = intFlag(flags, 'concurrency', 8);
const LOAD = 200;
const only = flags.get('only');
if (only !== undefined && only !== 'load' && only !== 'soak') throw new TypeError('--only takes "load" or "soak"');
const KINDS: DbKind[] = ['sqlite', 'pg'];

const gc = (globalThis as { gc?: () => void }).gc;
if (only !== 'load' && !gc) {
  console.error('the soak needs a full GC before each sample: run `node --expose-gc --import tsx bench/load-soak.ts`');
  process.exit(2);
}

// ---------------------------------------------------------------- load

interface LoadRow {
  db: string;
  level: 'pipeline' | 'HTTP (OIDC)';
  wave: 'first logins' | 'repeat logins';
  run: RunResult;
  rows: string;
}

function waveRow(db: string, level: LoadRow['level'], wave: LoadRow['wave'], run: RunResult, rows: string): LoadRow {
  const s = summarize(run.samplesMs, run.wallMs, run.errors);
  console.log(`${db} ${level} ${wave}: ${run.errors} errors, ${fmt(s.wallMs, 0)} ms for ${LOAD}, p50 ${fmt(s.p50Ms, 1)} ms, p99 ${fmt(s.p99Ms, 1)} ms${run.errors ? `; first error: ${String(run.firstError)}` : ''}`);
  return { db, level, wave, run, rows };
}

const countsText = (c: Record<string, number>) => `${c.users} users, ${c.identities} identities, ${c.memberships} memberships, ${c.audit} audit, ${c.webhook_events} outbox`;

async function loadPipeline(kind: DbKind): Promise<{ rows: LoadRow[]; version: string; ok: boolean }> {
  const p = await openPipeline(kind, { webhook: true });
  try {
    const version = await databaseVersion(p.knex);
    const out: LoadRow[] = [];
    const subject = (i: number) => `load-${i}`;
    const first = await runConcurrent(LOAD, LOAD, (i) => p.login(claimsFor(subject(i))));
    const afterFirst = await rowCounts(p.knex, p.prefix);
    out.push(waveRow(version, 'pipeline', 'first logins', first, countsText(afterFirst)));
    const repeat = await runConcurrent(LOAD, LOAD, (i) => p.login(claimsFor(subject(i))));
    const afterRepeat = await rowCounts(p.knex, p.prefix);
    out.push(waveRow(version, 'pipeline', 'repeat logins', repeat, countsText(afterRepeat)));
    const ok =
      afterFirst.users === LOAD && afterFirst.memberships === LOAD * 5 && afterFirst.webhook_events === LOAD &&
      afterRepeat.users === LOAD && afterRepeat.memberships === LOAD * 5 && afterRepeat.audit === LOAD * 2 && afterRepeat.webhook_events === LOAD * 2;
    return { rows: out, version, ok };
  } finally {
    await p.close();
  }
}

async function loadHttp(kind: DbKind): Promise<{ rows: LoadRow[]; ok: boolean }> {
  const users = benchUsers(LOAD, 'load');
  const h = await startBenchHarness(kind, users);
  try {
    const version = await databaseVersion(h.gateway.knex);
    const prefix = h.gateway.gatehouse.context.config.database.tablePrefix;
    const out: LoadRow[] = [];
    const name = (i: number) => users[i]?.username ?? '';
    const first = await runConcurrent(LOAD, LOAD, (i) => timedOidcLogin(h, name(i)));
    const afterFirst = await rowCounts(h.gateway.knex, prefix);
    out.push(waveRow(version, 'HTTP (OIDC)', 'first logins', first, countsText(afterFirst)));
    const repeat = await runConcurrent(LOAD, LOAD, (i) => timedOidcLogin(h, name(i)));
    const afterRepeat = await rowCounts(h.gateway.knex, prefix);
    out.push(waveRow(version, 'HTTP (OIDC)', 'repeat logins', repeat, countsText(afterRepeat)));
    const ok = afterFirst.users === LOAD && afterFirst.webhook_events === LOAD && afterRepeat.users === LOAD && afterRepeat.webhook_events === LOAD * 2;
    return { rows: out, ok };
  } finally {
    await h.close();
  }
}

// ---------------------------------------------------------------- soak

interface Sample {
  logins: number;
  heapUsedMiB: number;
  rssMiB: number;
  externalMiB: number;
  perSec: number;
  p99Ms: number;
}

const MiB = 1024 * 1024;

function sample(logins: number, run: RunResult | null): Sample {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  const s = run ? summarize(run.samplesMs, run.wallMs) : null;
  return { logins, heapUsedMiB: m.heapUsed / MiB, rssMiB: m.rss / MiB, externalMiB: m.external / MiB, perSec: s?.perSec ?? Number.NaN, p99Ms: s?.p99Ms ?? Number.NaN };
}

async function soak(): Promise<{ samples: Sample[]; version: string; counts: string; errors: number; warmup: number }> {
  const p = await openPipeline('sqlite', { webhook: true });
  try {
    const version = await databaseVersion(p.knex);
    const samples: Sample[] = [sample(0, null)];
    let errors = 0;
    for (let done = 0; done < LOGINS; ) {
      const n = Math.min(EVERY, LOGINS - done);
      const base = done;
      // One run per sample, so the latency samples of a chunk are dropped before the next sample.
      const run = await runConcurrent(n, SOAK_CONCURRENCY, (i) => p.login(claimsFor(`soak-${(base + i) % USERS}`)));
      if (run.errors) console.error(`soak: ${run.errors} errors in logins ${base}..${base + n}; first: ${String(run.firstError)}`);
      errors += run.errors;
      done += n;
      const s = sample(done, run);
      samples.push(s);
      console.log(`soak ${done.toLocaleString('en-US')}: heapUsed ${fmt(s.heapUsedMiB, 2)} MiB, rss ${fmt(s.rssMiB, 1)} MiB, ${fmt(s.perSec, 0)} logins/s, p99 ${fmt(s.p99Ms, 1)} ms`);
    }
    return { samples, version, counts: countsText(await rowCounts(p.knex, p.prefix)), errors, warmup: Math.min(USERS * 2, LOGINS / 2) };
  } finally {
    await p.close();
  }
}

// ---------------------------------------------------------------- main

const loadBefore = loadAverage();
const sections: string[] = [];
const versions = new Set<string>();

if (only !== 'soak') {
  const loadRows: LoadRow[] = [];
  const checks: string[] = [];
  for (const kind of KINDS) {
    const pipe = await loadPipeline(kind);
    versions.add(pipe.version);
    loadRows.push(...pipe.rows);
    checks.push(`${pipe.version} pipeline rows ${pipe.ok ? 'as expected' : '**NOT as expected**'}`);
    const http = await loadHttp(kind);
    loadRows.push(...http.rows);
    checks.push(`${pipe.version} HTTP rows ${http.ok ? 'as expected' : '**NOT as expected**'}`);
  }
  const errors = loadRows.reduce((a, r) => a + r.run.errors, 0);
  const table = markdownTable(
    ['database', 'level', 'wave (200 at once)', 'errors', 'all done in (ms)', 'p50 (ms)', 'p99 (ms)', 'rows after the wave'],
    loadRows.map((r) => {
      const s = summarize(r.run.samplesMs, r.run.wallMs, r.run.errors);
      return [r.db, r.level, r.wave, r.run.errors ? `**${r.run.errors}**` : '0', fmt(r.run.wallMs, 0), fmt(s.p50Ms, 1), fmt(s.p99Ms, 1), r.rows];
    }),
    ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'l'],
  );
  console.log(`\n${table}\n`);
  sections.push(
    [
      '### Load: 200 logins at once',
      '',
      `- Pipeline: \`provisionLogin\` for 200 distinct new subjects started together, then the same 200 again (bench/lib/pipeline.ts setup:`,
      '  5 memberships each, audit row, `every_login` outbox row).',
      '- HTTP: 200 new browsers run the full OIDC login through the harness (real `oidc-provider`, gateway, sessions in',
      '  the database) together, then again (3 memberships each). p50/p99 are per login, from its start to the answer.',
      '  Browsers, IdP and gateway are one Node process, CPU-bound at this concurrency: the 200 logins advance',
      '  together and finish close to each other, so p50 is near the total. The point here is zero errors, not speed',
      '  (see the OIDC round trip section for throughput).',
      `- Result: **${errors} errors** in ${loadRows.length * LOAD} logins; ${checks.join('; ')}.`,
      '',
      table,
    ].join('\n'),
  );
}

if (only !== 'load') {
  const { samples, version, counts, errors, warmup } = await soak();
  versions.add(version);
  const steady = samples.filter((s) => s.logins >= warmup);
  const fit = linearFit(steady.map((s) => ({ x: s.logins, y: s.heapUsedMiB })));
  const span = (steady[steady.length - 1]?.logins ?? 0) - (steady[0]?.logins ?? 0);
  const growthMiB = fit.slope * span;
  const perThousandKiB = fit.slope * 1000 * 1024;
  const flat = Math.abs(growthMiB) < 1;
  const table = markdownTable(
    ['logins', 'heapUsed after GC (MiB)', 'rss (MiB)', 'external (MiB)', 'logins/s in the chunk', 'p99 in the chunk (ms)'],
    samples.map((s) => [s.logins.toLocaleString('en-US'), fmt(s.heapUsedMiB, 2), fmt(s.rssMiB, 1), fmt(s.externalMiB, 2), fmt(s.perSec, 0), fmt(s.p99Ms, 1)]),
  );
  const verdict = `heapUsed slope after warm-up (${warmup.toLocaleString('en-US')} logins on): ${fmt(perThousandKiB, 2)} KiB per 1,000 logins, ${fmt(growthMiB, 2)} MiB fitted over the last ${span.toLocaleString('en-US')} logins: ${flat ? '**flat**' : '**growing**'}.`;
  console.log(`\n${table}\n\n${verdict}`);
  sections.push(
    [
      '### Soak: memory over many logins',
      '',
      `${LOGINS.toLocaleString('en-US')} pipeline logins on SQLite at concurrency ${SOAK_CONCURRENCY}, cycling over ${USERS.toLocaleString('en-US')} users (the first ${Math.min(USERS, LOGINS).toLocaleString('en-US')} are first`,
      `logins, the rest repeat logins), webhook outbox on. Every ${EVERY.toLocaleString('en-US')} logins: two \`global.gc()\` then \`process.memoryUsage()\`.`,
      '"Flat" means the least-squares growth of heapUsed over the samples after warm-up stays under 1 MiB. rss',
      'also holds SQLite\'s page cache and the allocator\'s free memory, so only heapUsed is judged.',
      `Errors: ${errors}. Rows at the end: ${counts}.`,
      '',
      table,
      '',
      verdict,
    ].join('\n'),
  );
}

const machine = machineLine([...versions]);
const load = `Load average (1/5/15 min) before: ${loadBefore}; after: ${loadAverage()}.`;
const markdown = [
  '## Load and soak',
  '',
  '`node --expose-gc --import tsx bench/load-soak.ts [--logins 50000] [--users 5000] [--every 5000] [--concurrency 8] [--only load|soak]`',
  `(this run: \`${process.argv.slice(2).join(' ') || 'defaults'}\`).`,
  '',
  `${machine} ${load} Run at ${new Date().toISOString()}.`,
  '',
  ...sections.flatMap((s) => [s, '']),
].join('\n');
console.log(`\nwrote ${writeSection('load-soak', markdown)}`);
