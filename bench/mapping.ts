/**
 * Mapping engine benchmark: evaluate() for 10, 100, 1,000 and 10,000 organizations with
 * realistic rules (a `{{orgId}}` default policy, a few per-org policies, a groups pattern and a
 * static entry). Prints a table and rewrites the `## Mapping engine` section of docs/benchmarks.md.
 *
 *   npx tsx bench/mapping.ts
 */
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../plugin/config/parse.ts';
import { catalogFrom, createMappingEngines } from '../plugin/mapping/index.ts';
import type { MappingInput } from '../plugin/mapping/index.ts';
import type { Claims } from '../plugin/types.ts';

const SIZES = [10, 100, 1_000, 10_000];
const ROUNDS = 5;
const ROUND_MIN_SAMPLES = 100;
const ROUND_MIN_MS = 400;

/** The default policy's selection: the documented form, and a form the fast path does not model. */
const SELECTIONS = {
  fast: "contains(groups, '{{orgId}}')",
  generic: "contains(groups, '{{orgId}}') ? `true` : `false`",
} as const;
type Variant = keyof typeof SELECTIONS;

function setup(orgCount: number, variant: Variant) {
  const organizations = Array.from({ length: orgCount }, (_, i) => ({
    id: `org-${i}`,
    roles: ['owner', 'admin', 'viewer', 'member'],
    groups: ['developers', 'ops', 'compliance'],
  }));
  const config = parseConfig({
    server: { sessionSecret: 'bench-session-secret-0123456789' },
    organizations,
    provisioning: {
      defaultRole: 'viewer',
      static: [{ organization: 'org-0', groups: ['compliance'] }],
      groupsPattern: 'gh_{ORG_NAME}_{GROUP_NAME}',
      rules: {
        default: {
          organization: SELECTIONS[variant],
          roles: { expression: "contains(groups, 'admin') && 'admin' || 'member'" },
        },
        organizations: {
          'org-1': { roles: { fixed: ['viewer'] } },
          'org-2': { organization: "ends_with(lower(email), '@example.com')", roles: { claim: 'groups', map: { 'aad-guid-1': 'admin', 'aad-guid-2': 'member' } } },
          'org-3': { organization: "contains(groups, 'org-3') || department == 'R&D'", roles: { expression: "department == 'R&D' && ['member', 'viewer'] || 'viewer'" } },
          'org-4': { organization: "contains(realm_access.roles || `[]`, 'org-4')", roles: { claim: 'realm_access.roles', map: { 'org-4-admin': 'admin' } } },
          'org-5': { organization: "contains(groups, '{{orgId}}-users')", roles: { expression: "contains(groups, '{{orgId}}-admins') && 'admin' || 'member'" } },
        },
      },
    },
  });
  const start = process.hrtime.bigint();
  const engines = createMappingEngines(config, catalogFrom(config.organizations));
  const compileMs = Number(process.hrtime.bigint() - start) / 1e6;

  // A user in a handful of orgs, with pattern groups and the GUID noise an Azure token carries.
  const member = [0, 1, 2, 3, 7, Math.floor(orgCount / 2), orgCount - 1].map((i) => `org-${i}`);
  const groups = [
    ...member,
    'admin',
    'org-5-users',
    'aad-guid-1',
    'gh_org-0_developers',
    'gh_org-1_org-admin',
    `gh_org-${orgCount - 1}_ops`,
    'gh_unknown-org_developers',
    ...Array.from({ length: 20 }, (_, i) => `0000${i}-aaaa-bbbb-cccc-dddddddddddd`),
  ];
  const raw = { sub: 'bench-user', email: 'Ada@Example.com', department: 'R&D', groups, realm_access: { roles: ['org-4', 'org-4-admin'] } };
  const claims: Claims = {
    provider: 'bench',
    subject: 'bench-user',
    email: 'ada@example.com',
    emailOriginal: 'Ada@Example.com',
    emailVerified: true,
    name: 'Ada',
    givenName: null,
    familyName: null,
    groups,
    groupsOverage: false,
    raw,
  };
  const input: MappingInput = { claims, source: 'sso', current: [], email: 'ada@example.com' };
  return { engine: engines.global, input, compileMs };
}

interface Row {
  orgs: number;
  variant: Variant;
  compileMs: number;
  opsPerSec: number;
  meanUs: number;
  p99Us: number;
  perOrgNs: number;
  entitlements: number;
}

/** One round of timed evaluations: per-evaluation samples in microseconds. */
function round(run: () => number): { samples: number[]; entitlements: number } {
  const samples: number[] = [];
  let entitlements = 0;
  const began = process.hrtime.bigint();
  while (samples.length < ROUND_MIN_SAMPLES || Number(process.hrtime.bigint() - began) / 1e6 < ROUND_MIN_MS) {
    const t0 = process.hrtime.bigint();
    entitlements = run();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  return { samples, entitlements };
}

/**
 * Several rounds; the table shows the round with the lowest mean, so that noise from other
 * processes on the machine (which only ever adds time) weighs less.
 */
function measure(orgCount: number, variant: Variant): Row {
  const { engine, input, compileMs } = setup(orgCount, variant);
  for (let i = 0; i < 200; i++) engine.evaluate(input); // warm-up (JIT)
  let best: { mean: number; p99: number; entitlements: number } | null = null;
  for (let r = 0; r < ROUNDS; r++) {
    const { samples, entitlements } = round(() => engine.evaluate(input).entitlements.length);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    const sorted = samples.sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
    if (best === null || mean < best.mean) best = { mean, p99, entitlements };
  }
  const { mean, p99, entitlements } = best as { mean: number; p99: number; entitlements: number };
  return { orgs: orgCount, variant, compileMs, opsPerSec: 1e6 / mean, meanUs: mean, p99Us: p99, perOrgNs: (mean * 1000) / orgCount, entitlements };
}

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(rows: Row[]): string {
  const lines = [
    '| organizations | default selection | compile at start (ms) | evaluate ops/s | mean (µs) | p99 (µs) | mean per org (ns) | entitlements |',
    '| ---: | :--- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.orgs.toLocaleString('en-US')} | ${r.variant} | ${fmt(r.compileMs)} | ${fmt(r.opsPerSec, 0)} | ${fmt(r.meanUs)} | ${fmt(r.p99Us)} | ${fmt(r.perOrgNs, 0)} | ${r.entitlements} |`,
    ),
  ];
  return lines.join('\n');
}

function machine(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}, ${os.platform()} ${os.release()}, load average at start ${load}`;
}

const START = '<!-- bench:mapping:start -->';
const END = '<!-- bench:mapping:end -->';

function writeSection(markdown: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const file = path.join(here, '..', 'docs', 'benchmarks.md');
  mkdirSync(path.dirname(file), { recursive: true });
  const section = `${START}\n${markdown}\n${END}`;
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nNumbers written by the scripts under `bench/`; rerun them to refresh.\n';
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  if (from !== -1 && to > from) doc = doc.slice(0, from) + section + doc.slice(to + END.length);
  else doc = `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, doc);
  return file;
}

const MACHINE = machine();
const rows = SIZES.flatMap((size) => [measure(size, 'fast'), measure(size, 'generic')]);
const result = table(rows);
console.log(`Mapping engine, ${MACHINE}\n`);
console.log(result);
const markdown = [
  '## Mapping engine',
  '',
  '`npx tsx bench/mapping.ts`: `evaluate()` of the global engine for one login, with a default policy selecting',
  'orgs by `{{orgId}}` (compiled once per org at start), five per-org policies (fixed roles, mapping builder,',
  'list-returning and `{{orgId}}` role expressions), a groups pattern and a static entry. The token carries',
  '7 org groups, 5 pattern groups and 20 Azure-like GUIDs. Non-verbose trace (as on a login).',
  '',
  "- `fast`: default selection `contains(groups, '{{orgId}}')`, which the per-login fast path handles",
  '  (plugin/mapping/parametric.ts: `groups` is evaluated once per login, then one Set lookup per org).',
  "- `generic`: ``contains(groups, '{{orgId}}') ? `true` : `false` ``, same meaning, but the fast path does not",
  "  model the ternary: one interpreter call per org on the org's own compiled AST (what every org costs without it).",
  '',
  `Best of ${ROUNDS} rounds (each at least ${ROUND_MIN_MS} ms) per row; p99 is from that round.`,
  '',
  `Machine: ${MACHINE}. Run at ${new Date().toISOString()}.`,
  '',
  result,
  '',
  'Goal: under 1 ms per evaluation at 1,000 organizations, growing linearly (the "mean per org" column stays flat).',
].join('\n');
console.log(`\nwrote ${writeSection(markdown)}`);
