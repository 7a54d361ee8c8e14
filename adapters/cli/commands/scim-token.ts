/** scim-token mint|list|revoke: SCIM bearer tokens from the terminal (stored hashed, shown once). */
import type { Command } from 'commander';
import { GatehouseError } from '../../../plugin/errors.ts';
import { mintToken, publicToken } from '../../../plugin/tokens.ts';
import { checkProvider, withStore } from '../context.ts';

const ACTOR = 'cli';

export function registerScimTokenCommand(program: Command): void {
  const token = program.command('scim-token').description('SCIM bearer tokens for identity providers (stored hashed)');
  token
    .command('mint')
    .description('print a new SCIM token once (stdout: the token alone)')
    .requiredOption('--config <file>', 'config file')
    .requiredOption('--name <name>', 'a name to recognize the token by, e.g. okta-prod (audit actor scim:<name>)')
    .option('--provider <id>', 'scope the token to a provider: its SCIM pushes use that provider\'s mapping rules')
    .action(async (opts: { config: string; name: string; provider?: string }) => {
      await withStore(opts.config, async (store, config) => {
        if (opts.provider !== undefined) await checkProvider(config, store, opts.provider);
        const minted = await mintToken(store, { kind: 'scim', name: opts.name, provider: opts.provider ?? null, actor: ACTOR });
        process.stdout.write(`${minted.token}\n`);
        const scope = minted.provider ? ` for provider "${minted.provider}"` : '';
        process.stderr.write(`SCIM token "${minted.name}" (id ${minted.id})${scope} minted; it is shown only this once: store it in your IdP now\n`);
      });
    });
  token
    .command('list')
    .description('list SCIM tokens (never the token itself)')
    .requiredOption('--config <file>', 'config file')
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      await withStore(opts.config, async (store) => {
        const tokens = (await store.listApiTokens('scim')).map(publicToken);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`);
          return;
        }
        for (const t of tokens) {
          const state = t.revokedAt ? `revoked ${t.revokedAt}` : 'active';
          process.stdout.write(`${t.id}\t${t.name}\t${t.hint}\t${t.provider ?? '-'}\tlast used ${t.lastUsedAt ?? 'never'}\t${state}\n`);
        }
      });
    });
  token
    .command('revoke')
    .description('revoke a SCIM token: refused at once by every instance; the row stays for the audit trail')
    .argument('<id>', 'token id (from list)')
    .requiredOption('--config <file>', 'config file')
    .action(async (id: string, opts: { config: string }) => {
      await withStore(opts.config, async (store) => {
        if (!(await store.revokeApiToken('scim', id, Date.now()))) throw new GatehouseError('ERR_NOT_FOUND', `no active SCIM token "${id}"`);
        await store.audit({ action: 'scim_token.revoke', actor: ACTOR, details: { tokenId: id } });
        process.stdout.write(`revoked ${id}\n`);
      });
    });
}
