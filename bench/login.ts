/**
 * Login pipeline benchmark: `provisionLogin` after a verified assertion (gate, mapping, the one
 * transaction with user, identity, memberships, audit and the webhook outbox row) against "bare
 * knex", the same writes by hand (bench/lib/bare.ts), on SQLite and PostgreSQL, for first logins
 * (new subjects) and repeat logins (existing users, memberships unchanged) at concurrency 1 and 16.
 * Prints a table and rewrites the `bench:login` block of docs/benchmarks.md.
 *
 *   npx tsx bench/login.ts [sqlite|pg|all] [--rounds 8] [--n 200]
 */
import type { Knex } from 'knex';
import { createBareLogin, type MembershipTemplate } from './lib/bare.ts';
import { writeSection } from './lib/docs.ts';
import { databaseVersion, loadAverage, machineLine } from './lib/machine.ts';
import { rowShapeDifferences } from './lib/parity.ts';
import { analyzeTables, claimsFor, openPipeline, rowCounts, WEBHOOK_ID, type Pipeline } from './lib/pipeline.ts';
import { intFlag, mergeRuns, parseArgs, runConcurrent, type RunResult } from './lib/runner.ts';
import { fmt, markdownTable, summarize, type Summary } from './lib/stats.ts';
import type { Claims } from '../plugin/types.ts';
import type { DbKind } from '../test/support/db.ts';

const { flags, positional } = parseArgs(process.argv.slice(2));
const which = positional[0] ?? 'all';
if (!['sqlite', 'pg', 'all'].includes(which)) throw new TypeError(`usage: bench/login.ts [sqlite|pg|all] (got "${which}")`);
const KINDS: DbKind[] = which === 'all' ? ['sqlite', 'pg'] : [which as DbKind];
const ROUNDS = intFlag(flags, 'rounds', 8);
/** Logins per round at concurrency 1; concurrency 16 runs twice as many. */
const N = intFlag(flags, 'n', 200);
const CONCURRENCY = [1, 16];
const REPEAT_POOL = 2_000;
const WARMUP = 300;

type Variant = 'gatehouse' | 'bare';
type Scenario = 'first' | 'repeat';

interface Row {
  db: string;
  scenario: Scenario;
  concurrency: number;
  gatehouse: Summary;
  bare: Summary;
  statements: Record<Variant, number>;
  /** Median over rounds of Gatehouse wall time / bare wall time (each round runs both, back to back). */
  ratio: number;
  ratios: number[];
}

/** Statements per login, counted on a short separate run so the listener is not in the timed ones. */
async function statementsPerLogin(knex: Knex, logins: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let n = 0;
  const count = () => void n++;
  knex.on('query', count);
  try {
    for (let i = 0; i < logins; i++) await op(i);
  } finally {
    knex.removeListener('query', count);
  }
  return n / logins;
}

function must(run: RunResult, what: string): RunResult {
  if (run.errors) throw new Error(`${what}: ${run.errors} failed logins; first: ${String(run.firstError)}`, { cause: run.firstError });
  return run;
}

async function benchDatabase(kind: DbKind): Promise<{ rows: Row[]; version: string; outbox: boolean; pool: string; differing: string[] }> {
  const p: Pipeline = await openPipeline(kind, { webhook: true });
  try {
    const version = await databaseVersion(p.knex);
    const connections = kind === 'sqlite' ? '1 connection (SQLite has one writer)' : `pool of ${String((p.ctx.config.database.pool as { max?: number } | undefined)?.max ?? 10)} connections`;
    // The probe login tells us what the mapping grants (the bare version writes the same rows) and
    // whether the webhooks feature put its outbox row in the transaction.
    const probe = await p.login(claimsFor(`probe-${kind}`));
    const template: MembershipTemplate[] = probe.memberships.map((m) => ({ organization: m.organization, kind: m.kind, name: m.name, source: m.source, mapper: m.mapper }));
    const outbox = (await rowCounts(p.knex, p.prefix)).webhook_events === 1;
    if (!outbox) console.warn('webhooks feature did not write an outbox row: measuring without it');
    const bare = createBareLogin({ knex: p.knex, prefix: p.prefix, memberships: template, endpointId: outbox ? WEBHOOK_ID : null });
    const login: Record<Variant, (c: Claims) => Promise<unknown>> = { gatehouse: p.login, bare };
    await bare(claimsFor(`probe-bare-${kind}`));
    const differing = await rowShapeDifferences(p.knex, p.prefix, `probe-${kind}`, `probe-bare-${kind}`);
    if (differing.length) console.warn(`bare knex does not write the same rows as Gatehouse any more (${differing.join(', ')}): update bench/lib/bare.ts`);

    // Warm-up (JIT, pool) for both, then the users of the repeat scenario (made by Gatehouse).
    for (const v of ['gatehouse', 'bare'] as const) must(await runConcurrent(WARMUP, 16, (i) => login[v](claimsFor(`warm-${v}-${i}`))), `warm-up ${v}`);
    const users = Array.from({ length: REPEAT_POOL }, (_, i) => `repeat-${i}`);
    must(await runConcurrent(REPEAT_POOL, 16, (i) => p.login(claimsFor(users[i] ?? ''))), 'repeat pool');
    await analyzeTables(p.knex, p.prefix);

    const stmts: Record<Scenario, Record<Variant, number>> = {
      first: {
        gatehouse: await statementsPerLogin(p.knex, 20, (i) => login.gatehouse(claimsFor(`count-gatehouse-${i}`))),
        bare: await statementsPerLogin(p.knex, 20, (i) => login.bare(claimsFor(`count-bare-${i}`))),
      },
      repeat: {
        gatehouse: await statementsPerLogin(p.knex, 20, (i) => login.gatehouse(claimsFor(users[i] ?? ''))),
        bare: await statementsPerLogin(p.knex, 20, (i) => login.bare(claimsFor(users[i] ?? ''))),
      },
    };

    const rows: Row[] = [];
    let repeatOffset = 0;
    for (const scenario of ['first', 'repeat'] as const) {
      for (const concurrency of CONCURRENCY) {
        const n = concurrency === 1 ? N : N * 2;
        const runs: Record<Variant, RunResult[]> = { gatehouse: [], bare: [] };
        for (let round = 0; round < ROUNDS; round++) {
          // Interleaved, alternating which goes first: table growth and machine noise hit both alike.
          const order: Variant[] = round % 2 === 0 ? ['gatehouse', 'bare'] : ['bare', 'gatehouse'];
          for (const v of order) {
            const offset = repeatOffset;
            const subject = (i: number) => (scenario === 'first' ? `${v}-c${concurrency}-r${round}-${i}` : (users[(offset + i) % REPEAT_POOL] ?? ''));
            runs[v].push(must(await runConcurrent(n, concurrency, (i) => login[v](claimsFor(subject(i)))), `${scenario} c${concurrency} ${v}`));
          }
          repeatOffset += n;
        }
        const merged = { gatehouse: mergeRuns(runs.gatehouse), bare: mergeRuns(runs.bare) };
        const ratios = runs.gatehouse.map((g, i) => g.wallMs / (runs.bare[i]?.wallMs ?? Number.NaN));
        const row: Row = {
          db: version,
          scenario,
          concurrency,
          gatehouse: summarize(merged.gatehouse.samplesMs, merged.gatehouse.wallMs),
          bare: summarize(merged.bare.samplesMs, merged.bare.wallMs),
          statements: stmts[scenario],
          ratio: median(ratios),
          ratios,
        };
        rows.push(row);
        console.log(`${kind} ${scenario} c${concurrency}: gatehouse ${fmt(row.gatehouse.perSec, 0)}/s p99 ${fmt(row.gatehouse.p99Ms, 2)} ms, bare ${fmt(row.bare.perSec, 0)}/s p99 ${fmt(row.bare.p99Ms, 2)} ms, ratio ${fmt(ratio(row), 2)}`);
      }
    }
    const counts = await rowCounts(p.knex, p.prefix);
    console.log(`${kind} rows at the end: ${JSON.stringify(counts)}`);
    return { rows, version, outbox, pool: connections, differing };
  } finally {
    await p.close();
  }
}

/**
 * Time per login of Gatehouse over bare knex. Paired rounds (same number of logins, back to back)
 * and their median: other load on the machine slows both of a pair alike and drops out.
 */
const ratio = (r: Row) => r.ratio;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? Number.NaN) + (s[m] ?? Number.NaN)) / 2;
}

function table(rows: Row[]): string {
  return markdownTable(
    ['database', 'logins', 'concurrency', 'Gatehouse logins/s', 'p50 (ms)', 'p99 (ms)', 'bare knex logins/s', 'p50 (ms)', 'p99 (ms)', 'statements/login (Gatehouse / bare)', 'ratio Gatehouse/bare (time)', 'round-trip ratio'],
    rows.map((r) => [
      r.db,
      r.scenario,
      String(r.concurrency),
      fmt(r.gatehouse.perSec, 0),
      fmt(r.gatehouse.p50Ms, 2),
      fmt(r.gatehouse.p99Ms, 2),
      fmt(r.bare.perSec, 0),
      fmt(r.bare.p50Ms, 2),
      fmt(r.bare.p99Ms, 2),
      `${fmt(r.statements.gatehouse, 0)} / ${fmt(r.statements.bare, 0)}`,
      `**${fmt(ratio(r), 2)}x**`,
      `${fmt(r.statements.gatehouse / r.statements.bare, 2)}x`,
    ]),
    ['l', 'l'],
  );
}

const loadBefore = loadAverage();
/** From a CPU profile (node:inspector) of 3,000 logins each; kept here so a rerun keeps the analysis. */
const WHERE_THE_TIME_GOES = `### Where the time goes

CPU profile of 3,000 logins each, SQLite, concurrency 1 (2026-11-22, same machine, load average about 5;
the profiler adds its own cost), in ms per login. Measured with the former \`sqlite3\` driver (statements on
libuv's thread pool); SQLite now runs on \`better-sqlite3\` (synchronous, prepared statements kept per
connection), which took most of the driver and waiting rows away: SQLite logins went from 184-377/s to
about 800-2,000/s, for Gatehouse and bare knex alike, so the ratio moved little:

| | repeat: Gatehouse | repeat: bare | first: Gatehouse | first: bare |
| :--- | ---: | ---: | ---: | ---: |
| Gatehouse's own code (mapping, pipeline, store adapters, webhook hook) | 0.29 | 0.08 (bare.ts) | 0.24 | 0.08 (bare.ts) |
| knex (query building, pool) | 0.64 | 0.51 | 0.72 | 0.50 |
| sqlite3 driver and other native time | 1.74 | 1.14 | 1.67 | 1.26 |
| waiting for SQLite (main thread idle) | 2.49 | 2.04 | 2.24 | 1.82 |
| GC and the rest | 0.41 | 0.33 | 0.29 | 0.22 |

Gatehouse's own code is about 0.2-0.3 ms of a login; the rest of the gap was the cost of each extra statement
(knex + driver + the database, about 0.25-0.5 ms each with the former driver, BEGIN/COMMIT included).

Made since (one statement fewer each): a repeat login reads identity and user in one join, the user's row
locked at once; a first login does not lock the user row it has just inserted; the identity insert carries
\`last_login_at\`/\`last_claims\` and, on SQLite and PostgreSQL, uses RETURNING, so the identity is read back only
when the insert was ignored (or on MySQL); \`writePlan\` returns the memberships it kept and added instead of
listing them again. What is left, 12 / 10 statements for first logins and 8 / 7 for repeat logins:

- every login: the webhook hook reads the firing endpoints (bare knows its endpoint). Caching them for a few
  seconds would save it, at the price of another instance's endpoint change being seen that much later;
- first logins: the run-time FirstLoginPolicy setting (operators toggle it at run time, on any instance).

With statements this cheap on better-sqlite3, the rest of the SQLite gap on repeat logins is Gatehouse's own
code per login (mapping evaluation, the membership plan, the audit and outbox rows' JSON), about 0.1-0.15 ms.`;

const results = [];
for (const kind of KINDS) results.push(await benchDatabase(kind));
const rows = results.flatMap((r) => r.rows);
const result = table(rows);
const machine = machineLine(results.map((r) => r.version));
const load = `Load average (1/5/15 min) before: ${loadBefore}; after: ${loadAverage()}.`;
console.log(`\n${machine} ${load}\n\n${result}`);

const differing = [...new Set(results.flatMap((r) => r.differing))];
const parityNote = differing.length
  ? `**Bare knex no longer writes the same rows as Gatehouse (${differing.join(', ')} differ): the ratio is not comparable.**`
  : 'Checked on each run: a Gatehouse first login and a bare one write rows of the same shape (tables, row counts, columns, nulls).';
const outboxNote = results.every((r) => r.outbox)
  ? 'The outbox row is included: one `every_login` webhook is configured (`webhookDelivery.dispatch: false`, so nothing is sent).'
  : '**The webhooks feature did not write an outbox row on this run: the figures are without it.**';
const markdown = [
  '## Login pipeline',
  '',
  `\`npx tsx bench/login.ts [sqlite|pg|all]\` (this run: \`${which}\`). \`provisionLogin(ctx, claims)\` after the assertion is verified:`,
  'allowlist gate, find/create user and identity under the FirstLoginPolicy, mapping (3 organizations, a',
  "`{{orgId}}` default policy with a role expression, a groups pattern: 5 memberships per user), membership diff,",
  `audit row and login hooks, in one transaction. ${outboxNote}`,
  '',
  '"Bare knex" (bench/lib/bare.ts) writes the same rows in one transaction with plain knex and no Gatehouse code:',
  'same tables, indexes, columns and row counts, with the round trips one would write by hand for this one setup',
  '(identity joined to its user in one query; the membership rows given, not mapped; no policy setting or',
  'endpoint lookup; no re-reads after writes). The ratio is Gatehouse time over bare time for the same number of',
  'logins, in paired rounds run back to back; the median over the rounds is shown, so that load from other',
  'processes (which slows both of a pair) drops out.',
  '',
  `- first: new subjects (user, identity, 5 memberships, audit, outbox). repeat: users made beforehand (${REPEAT_POOL.toLocaleString('en-US')}), memberships unchanged (identity touch, audit, outbox).`,
  `- ${ROUNDS} rounds of ${N} logins at concurrency 1 and ${N * 2} at concurrency 16, Gatehouse and bare interleaved (alternating`,
  '  which goes first); logins/s is over the summed wall time of the rounds, p50/p99 over all their logins.',
  `- Connections: ${results.map((r) => `${r.version}: ${r.pool}`).join('; ')}. Statements/login counts every statement knex sends, BEGIN and COMMIT included.`,
  `- ${parityNote}`,
  '- Client, Gatehouse and the database share the machine; one Node process. The tables are ANALYZEd once the',
  '  repeat users exist (without it PostgreSQL planned the bare join as a scan of every user on stale statistics).',
  '',
  `${machine} ${load} Run at ${new Date().toISOString()}.`,
  '',
  result,
  '',
  `Goal: within 1.3x of bare knex. This run: met in ${rows.filter((r) => r.ratio <= 1.3).length} of ${rows.length} rows. On PostgreSQL the time ratio follows`,
  'the round-trip ratio: the overhead is statements. On SQLite, where a statement now costs tens of microseconds,',
  'Gatehouse\'s own code per login shows as well (see below).',
  '',
  WHERE_THE_TIME_GOES,
].join('\n');
console.log(`\nwrote ${writeSection('login', markdown)}`);
