/**
 * The login pipeline as the benchmarks drive it: a real backend (knex store, migrations, mapping
 * engines, the webhooks feature's outbox hook) on a fresh SQLite file or PostgreSQL schema, with
 * one `every_login` webhook whose dispatcher does not run in this process, so every login writes
 * its outbox row and nothing is sent. The IdP adapters are built but never called (OIDC
 * discovery is lazy): claims go straight into `provisionLogin`, as after a verified assertion.
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createGatehouseFromConfig, type Backend } from '../../adapters/backend.ts';
import { dialectOf } from '../../adapters/store/dialect.ts';
import { createLogger } from '../../plugin/logger.ts';
import { parseConfig } from '../../plugin/config/parse.ts';
import type { ConfigInput } from '../../plugin/config/schema.ts';
import type { GatehouseContext } from '../../plugin/context.ts';
import { provisionLogin, type LoginResult } from '../../plugin/provisioning/login.ts';
import type { Claims } from '../../plugin/types.ts';
import { createTestDatabase, type DbKind, type TestDatabase } from '../../test/support/db.ts';

export const PROVIDER_ID = 'bench-oidc';
export const WEBHOOK_ID = 'bench-hook';

/**
 * Three organizations, a `{{orgId}}` default policy with an expression for the role, and a
 * groups pattern: the token below yields 5 memberships (2 roles, 3 groups) per user.
 */
export function pipelineConfig(db: TestDatabase, opts: { webhook: boolean }): ConfigInput {
  return {
    server: { sessionSecret: randomBytes(24).toString('hex') },
    database: db.config,
    organizations: [
      { id: 'acme', groups: ['developers', 'ops', 'compliance'] },
      { id: 'globex', groups: ['developers'] },
      { id: 'initech' },
    ],
    providers: [
      { id: PROVIDER_ID, type: 'oidc', issuer: 'http://127.0.0.1:9/never-contacted', clientId: 'bench', clientSecret: 'bench-secret', firstLoginPolicy: 'allow' },
    ],
    provisioning: {
      syncMode: 'ADDITIVE',
      defaultRole: 'viewer',
      groupsPattern: 'gh_{ORG_NAME}_{GROUP_NAME}',
      rules: {
        default: {
          organization: "contains(groups, '{{orgId}}')",
          roles: { expression: "contains(groups, 'admin') && 'admin' || 'member'" },
        },
      },
    },
    webhooks: opts.webhook
      ? [{ id: WEBHOOK_ID, url: 'http://127.0.0.1:9/bench-hook', secret: `whsec_${randomBytes(32).toString('base64')}`, trigger: 'every_login', allowPrivateNetwork: true }]
      : [],
    // The outbox is written in the login transaction; nobody sends it during the benchmark.
    webhookDelivery: { dispatch: false },
    log: { level: 'silent' },
  };
}

/** The normalized claims of one login, as the OIDC normalizer would produce them. */
export function claimsFor(subject: string): Claims {
  const email = `${subject}@bench.example.com`;
  const groups = ['acme', 'globex', 'gh_acme_developers', 'gh_acme_ops', 'gh_globex_developers'];
  const now = Math.floor(Date.now() / 1000);
  return {
    provider: PROVIDER_ID,
    subject,
    email,
    emailOriginal: email,
    emailVerified: true,
    name: `User ${subject}`,
    givenName: 'User',
    familyName: subject,
    groups,
    groupsOverage: false,
    raw: {
      iss: 'http://127.0.0.1:9/never-contacted',
      aud: 'bench',
      sub: subject,
      iat: now,
      exp: now + 600,
      email,
      email_verified: true,
      name: `User ${subject}`,
      given_name: 'User',
      family_name: subject,
      groups,
    },
  };
}

export interface Pipeline {
  kind: DbKind;
  backend: Backend;
  ctx: GatehouseContext;
  knex: Knex;
  prefix: string;
  login(claims: Claims): Promise<LoginResult>;
  close(): Promise<void>;
}

/** A migrated, seeded backend on a fresh database; `close` drops the database. */
export async function openPipeline(kind: DbKind, opts: { webhook: boolean; pool?: Record<string, unknown> }): Promise<Pipeline> {
  const db = await createTestDatabase(kind);
  if (opts.pool) db.config = { ...db.config, pool: opts.pool };
  let backend: Backend;
  try {
    backend = await createGatehouseFromConfig(parseConfig(pipelineConfig(db, opts)), { logger: createLogger('silent') });
  } catch (e) {
    await db.drop();
    throw e;
  }
  const ctx = backend.gatehouse.context;
  return {
    kind,
    backend,
    ctx,
    knex: backend.knex,
    prefix: ctx.config.database.tablePrefix,
    login: (claims) => provisionLogin(ctx, claims),
    async close() {
      await backend.close();
      await db.drop();
    },
  };
}

/** Row counts of the tables a login writes. */
export async function rowCounts(knex: Knex, prefix: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['users', 'identities', 'memberships', 'audit', 'webhook_events']) {
    const r = (await knex(`${prefix}${t}`).count({ n: '*' }).first()) as { n: number | string } | undefined;
    out[t] = Number(r?.n ?? 0);
  }
  return out;
}

/**
 * Refreshes the planner statistics of the login tables. A benchmark fills fresh tables faster than
 * autovacuum analyzes them; on stale statistics PostgreSQL planned bare knex's identity+user join as
 * a scan of every user (a production database has statistics).
 */
export async function analyzeTables(knex: Knex, prefix: string): Promise<void> {
  const tables = ['users', 'identities', 'memberships', 'audit', 'webhook_endpoints', 'webhook_events', 'settings'].map((t) => `${prefix}${t}`);
  const dialect = dialectOf(knex);
  if (dialect === 'pg') await knex.raw(`analyze ${tables.map((t) => `"${t}"`).join(', ')}`);
  else if (dialect === 'sqlite') await knex.raw('analyze');
  else for (const t of tables) await knex.raw('analyze table ??', [t]);
}
