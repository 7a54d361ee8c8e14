/**
 * Key rotation of provider secrets from the terminal: with the new key first and the old one
 * kept, `gatehouse secrets rotate` seals every stored secret again under the new key, after
 * which the old key can go. Runs on SQLite (the provider store's SQL is covered on every
 * database by the admin API tests).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../adapters/backend.ts';
import { KnexProviderStore } from '../../../adapters/store/provider-store.ts';
import { parseConfig } from '../../../plugin/config/parse.ts';
import { createSecretBox } from '../../../plugin/runtime/secret-box.ts';
import { fromRow, toRow } from '../../../plugin/runtime/stored-providers.ts';
import { cliConfig, runCli } from '../../support/cli.ts';

const OLD = 'old-rotation-key-0123456789-0123456789';
const NEW = 'new-rotation-key-9876543210-9876543210';

describe('gatehouse secrets rotate', () => {
  let configFile: string;
  let input: Record<string, unknown>;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ configFile, input, close } = await cliConfig('sqlite', { secrets: { encryptionKey: OLD } }));
  });
  afterAll(() => close());

  it('re-encrypts stored secrets under the first key; the old key can then be removed', async () => {
    const store = await openStore(parseConfig(input));
    const providers = new KnexProviderStore(store.knex, 'gh_');
    try {
      const provider = parseConfig({ providers: [{ id: 'rot', type: 'oidc', issuer: 'https://idp.example.com', clientId: 'c', clientSecret: 'rotate-me' }] }).providers[0]!;
      await providers.insertProvider(toRow(provider, createSecretBox([OLD]), 1, null));

      writeFileSync(configFile, JSON.stringify({ ...input, secrets: { encryptionKey: [NEW, OLD] } }));
      const rotated = await runCli(['secrets', 'rotate', '--config', configFile]);
      expect(rotated.code, rotated.err).toBe(0);
      expect(rotated.out).toMatch(/^1 provider\(s\) re-encrypted with key [0-9a-f]{12}\n$/);
      const row = (await providers.getProvider('rot'))!;
      expect(fromRow(row, createSecretBox([NEW]))).toMatchObject({ clientSecret: 'rotate-me' });
      expect((await runCli(['secrets', 'rotate', '--config', configFile])).out).toMatch(/^0 provider/);

      writeFileSync(configFile, JSON.stringify({ ...input, secrets: {} }));
      const none = await runCli(['secrets', 'rotate', '--config', configFile]);
      expect(none.code).toBe(1);
      expect(none.err).toMatch(/^gatehouse: secrets\.encryptionKey: no key configured/);
    } finally {
      await store.close();
    }
  });
});
