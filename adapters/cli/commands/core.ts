/** serve, migrate, explain, policy set, users approve|reject. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createClaimsNormalizer } from '../../../plugin/login/claims.ts';
import { setPolicy } from '../../../plugin/login/gate.ts';
import { catalogFrom, createMappingEngines } from '../../../plugin/mapping/index.ts';
import { approveUser, rejectUser } from '../../../plugin/provisioning/approval.ts';
import { explainLogin } from '../../../plugin/provisioning/explain.ts';
import { FIRST_LOGIN_POLICIES, type FirstLoginPolicy } from '../../../plugin/types.ts';
import { loadConfigFile } from '../../config/load.ts';
import { startGateway } from '../../gateway/server.ts';
import { migrate, openDatabase } from '../../store/database.ts';
import { KnexStore } from '../../store/knex-store.ts';
import { checkProvider, describeStartError, findUserByEmailOrId, withBackend, withStore } from '../context.ts';


export function registerCoreCommands(program: Command): void {
  program
    .command('serve')
    .description('run the standalone gateway')
    .requiredOption('--config <file>', 'config file (YAML or JSON)')
    .action(async (opts: { config: string }) => {
      const config = loadConfigFile(opts.config);
      const gw = await startGateway(config).catch((e: unknown) => {
        throw describeStartError(e);
      });
      process.stdout.write(`Gatehouse listening on ${gw.url}\n`);
      const stop = () => {
        gw.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  program
    .command('migrate')
    .description('create or upgrade the schema, then exit')
    .requiredOption('--config <file>', 'config file')
    .action(async (opts: { config: string }) => {
      const config = loadConfigFile(opts.config);
      // Fail on a bad mapping config before touching the database.
      createMappingEngines(config, catalogFrom(config.organizations));
      config.providers.forEach((p, i) => createClaimsNormalizer(p, i));
      const knex = openDatabase(config.database);
      try {
        const applied = await migrate(knex, config.database.tablePrefix).catch((e: unknown) => {
          throw describeStartError(e);
        });
        await new KnexStore(knex, config.database.tablePrefix).seedOrganizations(config.organizations);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema up to date\n');
      } finally {
        await knex.destroy();
      }
    });

  program
    .command('explain')
    .description('dry run: what a login with these claims would do, rule by rule (writes nothing)')
    .requiredOption('--config <file>', 'config file')
    .requiredOption('--provider <id>', 'provider id')
    .requiredOption('--claims <file>', 'JSON file with the raw claims (ID token claims or SAML attributes)')
    .action(async (opts: { config: string; provider: string; claims: string }) => {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(opts.claims, 'utf8'));
      } catch (e) {
        throw new Error(`cannot read claims from ${opts.claims}: ${(e as Error).message}`);
      }
      await withBackend(opts.config, async (b) => {
        const result = await explainLogin(b.gatehouse.context, opts.provider, raw);
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      });
    });

  const policy = program.command('policy').description('FirstLoginPolicy at run time');
  policy
    .command('set')
    .description('set a provider\'s FirstLoginPolicy (persisted; overrides the file; no restart)')
    .requiredOption('--config <file>', 'config file')
    .requiredOption('--provider <id>', 'provider id')
    .argument('<policy>', FIRST_LOGIN_POLICIES.join(' | '))
    .action(async (value: string, opts: { config: string; provider: string }) => {
      if (!(FIRST_LOGIN_POLICIES as readonly string[]).includes(value)) throw new Error(`unknown policy "${value}" (expected ${FIRST_LOGIN_POLICIES.join(', ')})`);
      await withStore(opts.config, async (store, config) => {
        await checkProvider(config, store, opts.provider);
        await setPolicy(store, opts.provider, value as FirstLoginPolicy, 'cli');
        process.stdout.write(`${opts.provider}: firstLoginPolicy = ${value}\n`);
      });
    });

  const users = program.command('users').description('the waiting room, from the terminal');
  for (const action of ['approve', 'reject'] as const) {
    users
      .command(action)
      .description(`${action} a pending user`)
      .argument('<email>', 'email (or user id)')
      .requiredOption('--config <file>', 'config file')
      .action(async (email: string, opts: { config: string }) => {
        await withBackend(opts.config, async (b) => {
          const user = await findUserByEmailOrId(b.store, email);
          const fn = action === 'approve' ? approveUser : rejectUser;
          const updated = await fn(b.gatehouse.context, user.id, 'cli');
          process.stdout.write(`${updated.email ?? updated.id}: ${updated.status}\n`);
        });
      });
  }
}
