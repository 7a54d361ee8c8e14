/**
 * secrets rotate: seals every run-time provider's secrets again under the first key of
 * `secrets.encryptionKey`, the step between adding a new key (first) and removing the old one.
 */
import type { Command } from 'commander';
import { resealed } from '../../../plugin/runtime/stored-providers.ts';
import { createSecretBox } from '../../../plugin/runtime/secret-box.ts';
import { ConfigError } from '../../../plugin/errors.ts';
import { encryptionKeys } from '../../backend.ts';
import { KnexProviderStore } from '../../store/provider-store.ts';
import { withStore } from '../context.ts';

export function registerSecretsCommand(program: Command): void {
  const secrets = program.command('secrets').description('provider secrets stored encrypted at rest (secrets.encryptionKey)');
  secrets
    .command('rotate')
    .description('re-encrypt every stored provider secret with the first key of secrets.encryptionKey')
    .requiredOption('--config <file>', 'config file')
    .action(async (opts: { config: string }) => {
      await withStore(opts.config, async (db, config) => {
        const box = createSecretBox(encryptionKeys(config));
        if (!box.enabled) throw new ConfigError('secrets.encryptionKey', 'no key configured: nothing to rotate to');
        const store = new KnexProviderStore(db.knex, config.database.tablePrefix);
        let moved = 0;
        for (const row of await store.listProviders()) {
          if (Object.values(row.secrets).every((s) => box.keyIdOf(s) === box.currentKeyId)) continue;
          await store.updateProvider(resealed(row, box));
          await db.audit({ action: 'provider.secrets.rotate', actor: 'cli', provider: row.id, details: { keyId: box.currentKeyId } });
          moved++;
        }
        process.stdout.write(`${moved} provider(s) re-encrypted with key ${box.currentKeyId ?? ''}\n`);
      });
    });
}
