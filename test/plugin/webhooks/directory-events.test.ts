/**
 * Directory events through the outbox, on every database: SCIM user and group writes, the admin
 * API and the waiting room each write exactly the events of what they changed (counted in the
 * outbox right after the request, which is written in the request's own transaction), nothing when
 * nothing changed or the change rolled back, and every delivery reaches a real receiver verified
 * with the `standardwebhooks` package. A receiver that is down gets its delivery once it is back;
 * one SCIM request that changes 1,000 memberships sends parts of 100, not 1,000 deliveries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnexWebhookStore } from '../../../adapters/store/webhook-store.ts';
import { parseConfig } from '../../../plugin/config/parse.ts';
import { DIRECTORY_EVENT_TYPES, emitDirectoryEvents } from '../../../plugin/directory-events.ts';
import { ConfigError } from '../../../plugin/errors.ts';
import { setPolicy } from '../../../plugin/login/gate.ts';
import { provisionLogin } from '../../../plugin/provisioning/login.ts';
import { mintToken } from '../../../plugin/tokens.ts';
import type { DirectoryBody } from '../../../plugin/webhooks/directory.ts';
import { DB_KINDS } from '../../support/db.ts';
import { GROUP_SCHEMA, inertIdp, oktaUser, patchOps, startScimServer, type ScimServer } from '../scim/helpers.ts';
import { claims, eventually, PROVIDER, startReceiver, webhookSecret, type Receiver } from './support.ts';

type Json = Record<string, any>;
const SECRET = webhookSecret();
const DOWN_SECRET = webhookSecret();

describe('directory event subscriptions', () => {
  it('an unknown event type in the config file stops the start with its key path', () => {
    const input = { database: { client: 'sqlite3' as const, connection: { filename: ':memory:' } }, webhooks: [{ url: 'https://h.example.com/x', secret: SECRET, events: ['user.created', 'user.exploded'] }] };
    expect(() => parseConfig(input)).toThrow(ConfigError);
    expect(() => parseConfig(input)).toThrow(/^webhooks\[0\]\.events\[1\]: /);
  });

  it('an endpoint with events and no trigger has the trigger none', () => {
    const [w] = parseConfig({ database: { client: 'sqlite3', connection: { filename: ':memory:' } }, webhooks: [{ url: 'https://h.example.com/x', secret: SECRET, events: ['user.created'] }] }).webhooks;
    expect(w).toMatchObject({ trigger: 'none', events: ['user.created'] });
  });
});

describe.each(DB_KINDS)('directory events on %s', (kind) => {
  let s: ScimServer;
  let receiver: Receiver;
  let down: Receiver;
  let outbox: KnexWebhookStore;
  let adminToken: string;
  /** Outbox rows of the `all` endpoint already looked at. */
  let seen = 0;

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${s.url}/admin/api${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  /** The bodies the last action wrote for the `all` endpoint, oldest first. */
  async function written(): Promise<DirectoryBody[]> {
    const page = await outbox.listEvents('all', { limit: 500 });
    const fresh = page.events.slice(0, page.events.length - seen).reverse();
    seen = page.events.length;
    return fresh.map((e) => JSON.parse(e.body) as DirectoryBody);
  }
  const types = (bodies: DirectoryBody[]) => bodies.map((b) => b.type);

  beforeAll(async () => {
    receiver = await startReceiver({ secrets: [SECRET] });
    down = await startReceiver({ secrets: [DOWN_SECRET], listen: false });
    s = await startScimServer(kind, {
      idps: new Map([[PROVIDER, inertIdp(PROVIDER)]]),
      config: (base) => ({
        ...base,
        providers: [{ id: PROVIDER, type: 'oidc', issuer: 'http://127.0.0.1:9/unused', clientId: 'gatehouse', firstLoginPolicy: 'allow' }],
        provisioning: { syncMode: 'ADDITIVE', defaultRole: 'viewer', groupsPattern: 'chainloop_{ORG_NAME}_{GROUP_NAME}' },
        webhooks: [
          { id: 'all', url: receiver.url, secret: SECRET, events: [...DIRECTORY_EVENT_TYPES], payload: { env: 'test' }, allowPrivateNetwork: true },
          { id: 'deletions', url: down.url, secret: DOWN_SECRET, events: ['user.deleted'], allowPrivateNetwork: true },
        ],
        webhookDelivery: { timeoutMs: 2000, backoffBaseMs: 50, backoffMaxMs: 200, pollIntervalMs: 100, maxAttempts: 50 },
      }),
    });
    outbox = new KnexWebhookStore(s.gateway.knex, 'gh_');
    adminToken = (await mintToken(s.gateway.store, { kind: 'admin', name: 'ops', actor: 'test' })).token;
  });
  afterAll(async () => {
    await s.close();
    await receiver.close();
    await down.close();
  });

  it('SCIM create fires user.created with the documented body; a pending user waits', async () => {
    const res = await s.scim.post<Json>('/Users', oktaUser('ada@example.com'));
    expect(res.status).toBe(201);
    const [created, ...rest] = await written();
    expect(rest).toEqual([]);
    expect(created).toEqual({
      type: 'user.created',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: {
        user: { id: res.body.id, email: 'ada@example.com', username: 'ada@example.com', first_name: 'Ada', last_name: 'Tester', name: 'ada Tester', status: 'pending_approval' },
        source: 'scim',
        actor: `scim:${s.tokenName}`,
        custom_payload: { env: 'test' },
      },
    });
  });

  it('SCIM patch fires user.updated naming the attributes, user.deactivated and user.reactivated; a no-op patch fires nothing', async () => {
    const id = (await s.scim.get<Json>('/Users?filter=userName eq "ada@example.com"')).body.Resources[0].id as string;
    await s.scim.patch(`/Users/${id}`, patchOps({ op: 'replace', path: 'displayName', value: 'Ada L.' }));
    expect(await written()).toMatchObject([{ type: 'user.updated', data: { user: { id, name: 'Ada L.' }, changed: ['displayName'] } }]);

    await s.scim.patch(`/Users/${id}`, patchOps({ op: 'replace', path: 'displayName', value: 'Ada L.' }));
    expect(await written()).toEqual([]);

    await s.scim.patch(`/Users/${id}`, patchOps({ op: 'replace', path: 'active', value: false }));
    expect(await written()).toMatchObject([{ type: 'user.deactivated', data: { user: { id, status: 'deprovisioned' } } }]);
    await s.scim.patch(`/Users/${id}`, patchOps({ op: 'replace', path: 'active', value: false }));
    expect(await written()).toEqual([]);

    await s.scim.patch(`/Users/${id}`, patchOps({ op: 'replace', value: { active: true, title: 'Engineer' } }));
    expect(types(await written())).toEqual(['user.reactivated', 'user.updated']);
  });

  it('SCIM groups: created, members added and removed with the memberships they moved, deleted', async () => {
    const ada = (await s.scim.get<Json>('/Users?filter=userName eq "ada@example.com"')).body.Resources[0].id as string;
    const group = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'chainloop_acme-corp_developers', members: [{ value: ada }] });
    const gid = group.body.id as string;
    const ref = { id: gid, displayName: 'chainloop_acme-corp_developers' };
    const made = await written();
    expect(types(made)).toEqual(['group.created', 'group.members_added', 'membership.changed']);
    expect(made[1]?.data).toMatchObject({ group: ref, members: [{ id: ada }], source: 'scim' });
    expect(made[2]?.data.changes).toEqual([
      {
        user: expect.objectContaining({ id: ada, status: 'active' }),
        added: expect.arrayContaining([{ organization: 'acme-corp', kind: 'group', name: 'developers', source: 'scim' }]),
        removed: [],
      },
    ]);

    // Adding a member who is one already changes nothing.
    await s.scim.patch(`/Groups/${gid}`, patchOps({ op: 'add', path: 'members', value: [{ value: ada }] }));
    expect(await written()).toEqual([]);

    await s.scim.patch(`/Groups/${gid}`, patchOps({ op: 'remove', path: `members[value eq "${ada}"]` }));
    // ADDITIVE keeps what the mapping granted: the member left, no membership row moved.
    expect(await written()).toMatchObject([{ type: 'group.members_removed', data: { group: ref, members: [{ id: ada }] } }]);

    expect((await s.scim.delete(`/Groups/${gid}`)).status).toBe(204);
    expect(await written()).toMatchObject([{ type: 'group.deleted', data: { group: ref } }]);
  });

  it('the admin API: pre-provisioning, overrides, deactivate, reactivate, delete', async () => {
    const res = await admin('POST', '/users', { email: 'otto@example.com', organization: 'acme-corp', roles: ['viewer'] });
    expect(res.status).toBe(201);
    const id = ((await res.json()) as Json).user.id as string;
    const made = await written();
    expect(types(made)).toEqual(['user.created', 'membership.changed']);
    expect(made[0]?.data).toMatchObject({ source: 'admin', actor: 'admin-token:ops', user: { id, status: 'active' } });
    expect(made[1]?.data.changes?.[0]?.added).toEqual([{ organization: 'acme-corp', kind: 'role', name: 'viewer', source: 'override' }]);

    expect((await admin('POST', `/users/${id}/overrides`, { organization: 'acme-corp', group: 'developers' })).status).toBe(201);
    expect(await written()).toMatchObject([{ type: 'membership.changed', data: { changes: [{ added: [{ kind: 'group', name: 'developers', source: 'override' }], removed: [] }] } }]);
    expect((await admin('POST', `/users/${id}/overrides`, { organization: 'acme-corp', group: 'developers' })).status).toBe(201);
    expect(await written()).toEqual([]);

    expect((await admin('POST', `/users/${id}/deactivate`)).status).toBe(200);
    expect(await written()).toMatchObject([{ type: 'user.deactivated', data: { source: 'admin', user: { id, status: 'deprovisioned' } } }]);
    expect((await admin('POST', `/users/${id}/deactivate`)).status).toBe(409);
    expect(await written()).toEqual([]);
    expect((await admin('POST', `/users/${id}/reactivate`)).status).toBe(200);
    expect(await written()).toMatchObject([{ type: 'user.reactivated', data: { user: { id, status: 'active' } } }]);
    expect((await admin('DELETE', `/users/${id}`)).status).toBe(204);
    expect(await written()).toMatchObject([{ type: 'user.deleted', data: { user: { id, email: 'otto@example.com' } } }]);
  });

  it('the admin API subscribes an endpoint to events and refuses an unknown one with a 400 naming the field', async () => {
    const bad = await admin('POST', '/webhooks', { url: 'https://h.example.com/x', events: ['user.created', 'user.exploded'] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('events');
    const made = await admin('POST', '/webhooks', { id: 'api-dir', url: 'https://h.example.com/x', events: ['user.created', 'user.created'] });
    expect(made.status).toBe(201);
    expect(await made.json()).toMatchObject({ id: 'api-dir', trigger: 'none', events: ['user.created'] });
    const changed = await admin('PATCH', '/webhooks/api-dir', { events: ['group.created', 'group.deleted'] });
    expect(await changed.json()).toMatchObject({ events: ['group.created', 'group.deleted'] });
    const example = (await (await admin('GET', '/webhooks/api-dir/example?event=group.created')).json()) as Json;
    expect(example).toMatchObject({ event: 'group.created', fires: true, body: { type: 'group.created', data: { group: { displayName: expect.any(String) }, source: 'scim' } } });
    expect(example.raw).toBe(JSON.stringify(example.body));
    expect((await (await admin('GET', '/webhooks/api-dir/example?event=user.deleted')).json()) as Json).toMatchObject({ fires: false });
    expect((await admin('DELETE', '/webhooks/api-dir')).status).toBe(204);
  });

  it('the waiting room: approve and reject fire once, with the source waiting_room', async () => {
    const a = (await s.scim.post<Json>('/Users', oktaUser('wait-a@example.com'))).body.id as string;
    const b = (await s.scim.post<Json>('/Users', oktaUser('wait-b@example.com'))).body.id as string;
    await written();
    expect((await admin('POST', `/users/${a}/approve`)).status).toBe(200);
    expect(await written()).toMatchObject([{ type: 'user.approved', data: { source: 'waiting_room', actor: 'admin-token:ops', user: { id: a, status: 'active' } } }]);
    expect((await admin('POST', `/users/${a}/approve`)).status).toBe(200);
    expect(await written()).toEqual([]);
    expect((await admin('POST', `/users/${b}/reject`)).status).toBe(200);
    expect(await written()).toMatchObject([{ type: 'user.rejected', data: { source: 'waiting_room', user: { id: b, status: 'rejected' } } }]);
  });

  it('SSO logins: the login that creates a user and the sync that moves memberships fire; a login that changes nothing does not', async () => {
    const ctx = s.gateway.gatehouse.context;
    const sso = claims('sso-user', { groups: ['chainloop_acme-corp_developers'] });
    const first = await provisionLogin(ctx, sso);
    const made = await written();
    expect(types(made)).toEqual(['user.created', 'membership.changed']);
    expect(made[0]?.data).toMatchObject({ source: 'sso', actor: `idp:${PROVIDER}`, user: { id: first.user.id, email: 'sso-user@example.com' } });
    expect(made[1]?.data.changes?.[0]?.added).toContainEqual({ organization: 'acme-corp', kind: 'group', name: 'developers', source: 'sso' });
    await provisionLogin(ctx, sso);
    expect(await written()).toEqual([]);
  });

  it('the waiting room: approving an SSO user applies their last claims and says which rows it added', async () => {
    await setPolicy(s.gateway.store, PROVIDER, 'pending_approval', 'test');
    try {
      const waiting = await provisionLogin(s.gateway.gatehouse.context, claims('sso-waiter', { groups: ['chainloop_acme-corp_developers'] }));
      expect(await written()).toMatchObject([{ type: 'user.created', data: { source: 'sso', user: { status: 'pending_approval' } } }]);
      expect((await admin('POST', `/users/${waiting.user.id}/approve`)).status).toBe(200);
      const approved = await written();
      expect(types(approved)).toEqual(['user.approved', 'membership.changed']);
      expect(approved[1]?.data).toMatchObject({ source: 'waiting_room', actor: 'admin-token:ops' });
      expect(approved[1]?.data.changes?.[0]?.added).toContainEqual({ organization: 'acme-corp', kind: 'group', name: 'developers', source: 'sso' });
    } finally {
      await setPolicy(s.gateway.store, PROVIDER, 'allow', 'test');
    }
  });

  it('a change that rolls back writes no event', async () => {
    const ctx = s.gateway.gatehouse.context;
    const user = (await s.gateway.store.findUserByEmail('wait-a@example.com'))!;
    await expect(
      ctx.store.transaction(async (tx) => {
        await emitDirectoryEvents(ctx, tx, [{ source: 'admin', actor: 'test', type: 'user.updated', user, changed: ['displayName'] }]);
        throw new Error('a later step failed');
      }),
    ).rejects.toThrow('a later step failed');
    expect(await written()).toEqual([]);
  });

  it('a receiver that is down gets the delivery once it is back (retries as login webhooks do)', async () => {
    const id = (await s.scim.post<Json>('/Users', oktaUser('gone@example.com'))).body.id as string;
    expect((await s.scim.delete(`/Users/${id}`)).status).toBe(204);
    expect(types(await written())).toEqual(['user.created', 'user.deleted']);
    // The newest row of the endpoint (the admin API's deletion above went there too).
    const [pending] = (await outbox.listEvents('deletions', { limit: 10 })).events;
    await eventually(async () => ((await outbox.getEvent(pending!.id))?.attempts ?? 0) >= 2);
    expect(down.received).toEqual([]);
    await down.reopen();
    const got = await eventually(async () => down.received.find((r) => r.id === pending!.id));
    expect(got.verified).toMatchObject({ type: 'user.deleted', data: { user: { id }, source: 'scim' } });
    await eventually(async () => (await outbox.getEvent(pending!.id))?.status === 'delivered');
  });

  it('one SCIM request that changes 1,000 memberships sends parts of 100 members', async () => {
    const ids = await s.gateway.store.transaction(async (tx) => {
      const out: string[] = [];
      for (let i = 0; i < 1000; i++) out.push((await tx.insertUser({ email: `bulk${i}@example.com`, emailOriginal: `bulk${i}@example.com`, userName: `bulk${i}@example.com`, status: 'active' })).id);
      return out;
    });
    const group = await s.scim.post<Json>('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'chainloop_acme-corp_compliance-team' });
    expect(types(await written())).toEqual(['group.created']);
    const res = await s.scim.patch(`/Groups/${group.body.id}`, patchOps({ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }));
    expect(res.status).toBe(200);
    const bodies = await written();
    const added = bodies.filter((b) => b.type === 'group.members_added');
    const changed = bodies.filter((b) => b.type === 'membership.changed');
    expect(bodies).toHaveLength(20);
    expect(added).toHaveLength(10);
    expect(changed).toHaveLength(10);
    for (const b of bodies) expect((b.data.members ?? b.data.changes ?? []).length).toBe(100);
    expect(new Set(added.flatMap((b) => b.data.members!.map((m) => m.id)))).toEqual(new Set(ids));
    expect(new Set(changed.flatMap((b) => b.data.changes!.map((c) => c.user.id)))).toEqual(new Set(ids));
  });

  it('every delivery reached the receiver, signed (Standard Webhooks)', async () => {
    const total = (await outbox.countEvents('all')).pending + (await outbox.countEvents('all')).delivered;
    expect(total).toBe(seen);
    await eventually(async () => (await outbox.countEvents('all')).delivered === seen, 30_000);
    const ids = new Set(receiver.received.filter((r) => r.verified !== null).map((r) => r.id));
    expect(ids.size).toBe(seen);
    expect(receiver.received.every((r) => r.verified !== null)).toBe(true);
  });
});
