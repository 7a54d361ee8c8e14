/**
 * The outbox rows a login writes, inside the login's own transaction, per trigger (seed 003):
 * provisionLogin runs on a real context with hand-made claims; nothing is sent here
 * (`webhookDelivery.dispatch: false`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatehouseFromConfig, type Backend } from '../../../adapters/backend.ts';
import { KnexWebhookStore } from '../../../adapters/store/webhook-store.ts';
import type { LoginHook } from '../../../plugin/context.ts';
import { createLogger } from '../../../plugin/logger.ts';
import { setPolicy } from '../../../plugin/login/gate.ts';
import { provisionLogin } from '../../../plugin/provisioning/login.ts';
import type { WebhookBody } from '../../../plugin/webhooks/payload.ts';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../../support/db.ts';
import { claims, PROVIDER, stubIdp, testConfig, webhookSecret } from './support.ts';

const TRIGGERS = ['none', 'user_created_without_groups', 'login_without_groups', 'every_login'] as const;

describe.each(DB_KINDS)('webhook outbox on %s', (kind) => {
  let db: TestDatabase;
  let backend: Backend;
  let outbox: KnexWebhookStore;
  const boom: LoginHook = async (_tx, event) => {
    if (event.claims.subject.startsWith('rollback')) throw new Error('a later hook failed');
  };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const config = testConfig(db, (c) => ({
      ...c,
      webhooks: TRIGGERS.map((trigger) => ({
        id: trigger,
        url: 'https://hooks.example.com/gatehouse',
        secret: webhookSecret(),
        trigger,
        fields: ['first_name', 'last_name', 'status', 'new_user'],
        payload: { key1: 'value1' },
      })),
      webhookDelivery: { dispatch: false },
    }));
    backend = await createGatehouseFromConfig(config, {
      logger: createLogger('silent'),
      idps: new Map([[PROVIDER, stubIdp(PROVIDER, new Map())]]),
      extra: { loginHooks: [boom] },
    });
    outbox = new KnexWebhookStore(backend.knex, 'gh_');
  });
  afterAll(async () => {
    await backend.close();
    await db.drop();
  });

  /** Events per endpoint written for one user. */
  async function eventsFor(userId: string): Promise<Record<string, WebhookBody[]>> {
    const out: Record<string, WebhookBody[]> = {};
    for (const t of TRIGGERS) {
      const page = await outbox.listEvents(t, { limit: 500 });
      out[t] = page.events.filter((e) => e.userId === userId).map((e) => JSON.parse(e.body) as WebhookBody);
    }
    return out;
  }
  const counts = (e: Record<string, WebhookBody[]>) => Object.fromEntries(TRIGGERS.map((t) => [t, e[t]?.length ?? 0]));

  it('first login without groups: user_created_without_groups, login_without_groups and every_login fire; none never', async () => {
    const r = await provisionLogin(backend.gatehouse.context, claims('nogroups'));
    expect(r.created).toBe(true);
    const ev = await eventsFor(r.user.id);
    expect(counts(ev)).toEqual({ none: 0, user_created_without_groups: 1, login_without_groups: 1, every_login: 1 });
    expect(ev.user_created_without_groups?.[0]).toEqual({
      type: 'user_created_without_groups',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: {
        user: { id: r.user.id, email: 'nogroups@example.com', username: 'nogroups@example.com', first_name: 'nogroups', last_name: 'Example', status: 'active', new_user: true },
        provider: PROVIDER,
        groups: [],
        custom_payload: { key1: 'value1' },
      },
    });
  });

  it('a later login without groups fires login_without_groups and every_login, not user_created_without_groups', async () => {
    const r = await provisionLogin(backend.gatehouse.context, claims('nogroups'));
    expect(r.created).toBe(false);
    expect(counts(await eventsFor(r.user.id))).toEqual({ none: 0, user_created_without_groups: 1, login_without_groups: 2, every_login: 2 });
  });

  it('a first login with groups fires every_login only, with the groups the IdP sent', async () => {
    const r = await provisionLogin(backend.gatehouse.context, claims('withgroups', { groups: ['chainloop_acme-corp_developers'] }));
    const ev = await eventsFor(r.user.id);
    expect(counts(ev)).toEqual({ none: 0, user_created_without_groups: 0, login_without_groups: 0, every_login: 1 });
    expect(ev.every_login?.[0]?.data.groups).toEqual(['chainloop_acme-corp_developers']);
  });

  it('a group overage (groups exist but were not sent) is not a login without groups', async () => {
    const r = await provisionLogin(backend.gatehouse.context, claims('overage', { groupsOverage: true }));
    expect(counts(await eventsFor(r.user.id))).toEqual({ none: 0, user_created_without_groups: 0, login_without_groups: 0, every_login: 1 });
  });

  it('a first login into the waiting room fires (the automation runs right after it)', async () => {
    await setPolicy(backend.store, PROVIDER, 'pending_approval', 'test');
    try {
      const r = await provisionLogin(backend.gatehouse.context, claims('waiting'));
      expect(r.pending).toBe(true);
      const ev = await eventsFor(r.user.id);
      expect(counts(ev)).toEqual({ none: 0, user_created_without_groups: 1, login_without_groups: 1, every_login: 1 });
      expect(ev.user_created_without_groups?.[0]?.data.user.status).toBe('pending_approval');
    } finally {
      await setPolicy(backend.store, PROVIDER, 'allow', 'test');
    }
  });

  it('a pre-provisioned user linking on first SSO login was not created by it', async () => {
    const pre = await backend.store.insertUser({ email: 'linked@example.com', emailOriginal: 'linked@example.com', status: 'active' });
    const r = await provisionLogin(backend.gatehouse.context, claims('linked'));
    expect(r.user.id).toBe(pre.id);
    expect(r.linked).toBe(true);
    expect(counts(await eventsFor(pre.id))).toEqual({ none: 0, user_created_without_groups: 0, login_without_groups: 1, every_login: 1 });
  });

  it('a rolled-back login writes nothing to the outbox', async () => {
    const before = await outbox.countEvents();
    await expect(provisionLogin(backend.gatehouse.context, claims('rollback-1'))).rejects.toThrow(/later hook failed/);
    expect(await backend.store.findUserByEmail('rollback-1@example.com')).toBeNull();
    expect(await outbox.countEvents()).toEqual(before);
  });

  it('a login refused by policy writes nothing to the outbox', async () => {
    await setPolicy(backend.store, PROVIDER, 'reject', 'test');
    const before = await outbox.countEvents();
    try {
      await expect(provisionLogin(backend.gatehouse.context, claims('refused'))).rejects.toMatchObject({ code: 'ERR_POLICY_REJECTED' });
    } finally {
      await setPolicy(backend.store, PROVIDER, 'allow', 'test');
    }
    expect(await outbox.countEvents()).toEqual(before);
  });

  it('a disabled endpoint gets no new rows', async () => {
    await outbox.updateEndpoint('every_login', { disabledAt: Date.now(), disabledReason: 'test' }, Date.now());
    try {
      const r = await provisionLogin(backend.gatehouse.context, claims('while-disabled'));
      expect(counts(await eventsFor(r.user.id))).toEqual({ none: 0, user_created_without_groups: 1, login_without_groups: 1, every_login: 0 });
    } finally {
      await outbox.updateEndpoint('every_login', { disabledAt: null, disabledReason: null }, Date.now());
    }
  });

  it('afterCommit runs after a commit and never after a rollback', async () => {
    const calls: string[] = [];
    await backend.store.transaction(async (tx) => {
      outbox.afterCommit(tx, () => calls.push('committed'));
      expect(calls).toEqual([]);
    });
    await backend.store
      .transaction(async (tx) => {
        outbox.afterCommit(tx, () => calls.push('rolled back'));
        throw new Error('rollback');
      })
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual(['committed']);
  });

  it('config endpoints keep their id across restarts and rotate a changed secret with an overlap', async () => {
    const { syncConfigEndpoints } = await import('../../../plugin/webhooks/endpoints.ts');
    const before = await outbox.getEndpoint('every_login');
    const next = webhookSecret();
    await syncConfigEndpoints(outbox, [{ ...before!, secret: next }], Date.now(), 60_000);
    const after = await outbox.getEndpoint('every_login');
    expect(after?.secret).toBe(next);
    expect(after?.previousSecret).toBe(before?.secret);
    expect(after?.previousSecretExpiresAt).toBeGreaterThan(Date.now());
    // Endpoints that left the file are disabled, not deleted (their log stays).
    expect((await outbox.getEndpoint('none'))?.disabledReason).toBe('removed from the config file');
  });
});
