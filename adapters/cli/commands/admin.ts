/** admin-token mint|list|revoke, overrides add|list|remove: the admin API's operator tasks from the terminal. */
import type { Command } from 'commander';
import { addOverride, removeOverride } from '../../../plugin/admin/overrides.ts';
import { mintToken, publicToken } from '../../../plugin/tokens.ts';
import { findUserByEmailOrId, withBackend, withStore } from '../context.ts';

const ACTOR = 'cli';

export function registerAdminCommands(program: Command): void {
  const token = program.command('admin-token').description('admin API bearer tokens (stored hashed)');
  token
    .command('mint')
    .description('print a new admin API token once')
    .requiredOption('--config <file>', 'config file')
    .requiredOption('--name <name>', 'a name to recognize the token by (shown in the audit log as admin-token:<name>)')
    .action(async (opts: { config: string; name: string }) => {
      await withStore(opts.config, async (store) => {
        const minted = await mintToken(store, { kind: 'admin', name: opts.name, actor: ACTOR });
        process.stdout.write(`${minted.token}\n`);
        process.stderr.write(`admin token "${minted.name}" (id ${minted.id}) minted; it is shown only this once\n`);
      });
    });
  token
    .command('list')
    .description('list admin API tokens (never the token itself)')
    .requiredOption('--config <file>', 'config file')
    .action(async (opts: { config: string }) => {
      await withStore(opts.config, async (store) => {
        for (const t of (await store.listApiTokens('admin')).map(publicToken)) {
          process.stdout.write(`${t.id}\t${t.name}\t${t.hint}\t${t.revokedAt ? `revoked ${t.revokedAt}` : 'active'}\n`);
        }
      });
    });
  token
    .command('revoke')
    .description('revoke an admin API token')
    .argument('<id>', 'token id (from list)')
    .requiredOption('--config <file>', 'config file')
    .action(async (id: string, opts: { config: string }) => {
      await withStore(opts.config, async (store) => {
        if (!(await store.revokeApiToken('admin', id, Date.now()))) throw new Error(`no active admin token "${id}"`);
        await store.audit({ action: 'admin_token.revoke', actor: ACTOR, details: { tokenId: id } });
        process.stdout.write(`revoked ${id}\n`);
      });
    });

  const overrides = program.command('overrides').description('group/role overrides for IdP users (kept by MANAGED sync)');
  overrides
    .command('add')
    .description('add a role and/or group override')
    .argument('<user>', 'email or user id')
    .requiredOption('--config <file>', 'config file')
    .requiredOption('--organization <org>', 'organization id')
    .option('--role <role>', 'a role of that organization')
    .option('--group <group>', 'a group of that organization')
    .action(async (user: string, opts: { config: string; organization: string; role?: string; group?: string }) => {
      if (opts.role === undefined && opts.group === undefined) throw new Error('give --role, --group or both');
      await withBackend(opts.config, async (b) => {
        const u = await findUserByEmailOrId(b.store, user);
        const rows = await addOverride(b.gatehouse.context, u.id, { organization: opts.organization, role: opts.role, group: opts.group }, ACTOR);
        for (const m of rows) process.stdout.write(`${m.id}\t${m.organization}\t${m.kind}\t${m.name}\n`);
      });
    });
  overrides
    .command('list')
    .description("list a user's overrides")
    .argument('<user>', 'email or user id')
    .requiredOption('--config <file>', 'config file')
    .action(async (user: string, opts: { config: string }) => {
      await withStore(opts.config, async (store) => {
        const u = await findUserByEmailOrId(store, user);
        for (const m of (await store.listMemberships(u.id)).filter((x) => x.source === 'override')) {
          process.stdout.write(`${m.id}\t${m.organization}\t${m.kind}\t${m.name}\n`);
        }
      });
    });
  overrides
    .command('remove')
    .description('remove an override')
    .argument('<user>', 'email or user id')
    .argument('<overrideId>', 'override id (from list)')
    .requiredOption('--config <file>', 'config file')
    .action(async (user: string, overrideId: string, opts: { config: string }) => {
      await withBackend(opts.config, async (b) => {
        const u = await findUserByEmailOrId(b.store, user);
        const row = await removeOverride(b.gatehouse.context, u.id, overrideId, ACTOR);
        process.stdout.write(`removed ${row.organization} ${row.kind} ${row.name}\n`);
      });
    });
}
