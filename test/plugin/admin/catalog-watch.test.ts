/**
 * Several instances on one database: an organization, role or group created through one
 * instance's admin API reaches the mapping engines of the others within their catalog poll,
 * without a restart.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatehouseFromConfig, type Backend } from '../../../adapters/backend.ts';
import { KnexCatalogWriter } from '../../../adapters/store/catalog-writer.ts';
import { addCatalogName, createOrganization } from '../../../plugin/admin/catalog.ts';
import { parseConfig } from '../../../plugin/config/parse.ts';
import { createLogger } from '../../../plugin/logger.ts';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/db.ts';

async function eventually<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, ms = 5_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(DB_KINDS)('catalog changes reach every instance on %s', (kind) => {
  let db: TestDatabase;
  let a: Backend;
  let b: Backend;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const config = parseConfig({
      server: { port: 0, host: '127.0.0.1', baseUrl: 'http://127.0.0.1:1', sessionSecret: randomBytes(24).toString('hex') },
      database: db.config,
      organizations: [{ id: 'acme-corp', groups: ['developers'] }],
      provisioning: { defaultRole: 'viewer', groupsPattern: 'chainloop_{ORG_NAME}_{GROUP_NAME}' },
      log: { level: 'silent' },
    });
    a = await createGatehouseFromConfig(config, { logger: createLogger('silent'), catalogPollMs: 50 });
    b = await createGatehouseFromConfig(config, { logger: createLogger('silent'), catalogPollMs: 50 });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  const groupsOf = (backend: Backend, groups: string[]) =>
    backend.gatehouse.context.runtime.current().engines.global
      .evaluate({
        claims: { provider: 'corp', subject: 's', email: 'w@example.com', emailOriginal: null, emailVerified: true, name: null, givenName: null, familyName: null, groups, groupsOverage: false, raw: {} },
        source: 'sso',
        current: [],
        email: 'w@example.com',
      })
      .entitlements.map((e) => `${e.organization}:${e.groups.join(',')}`);

  it("an organization and a group created on one instance map on the other after its poll", async () => {
    const writer = new KnexCatalogWriter(a.store, 'gh_');
    // Before: neither instance knows the organization, so the pattern maps nothing into it.
    expect(groupsOf(b, ['chainloop_new-org_ops'])).toEqual([]);
    await createOrganization(a.gatehouse.context, writer, { id: 'new-org', roles: ['viewer'], groups: ['ops'] }, 'test');
    expect(groupsOf(a, ['chainloop_new-org_ops'])).toEqual(['new-org:ops']);
    expect(await eventually(() => groupsOf(b, ['chainloop_new-org_ops']), (v) => v[0] === 'new-org:ops')).toEqual(['new-org:ops']);

    await addCatalogName(a.gatehouse.context, writer, 'new-org', 'group', 'sre', 'test');
    // The group arrives with B's next poll (until then B joins new-org with no group).
    expect(await eventually(() => groupsOf(b, ['chainloop_new-org_sre']), (v) => v[0] === 'new-org:sre')).toEqual(['new-org:sre']);
  });
});
