/**
 * Seed 003's "turnkey automation", end to end with real logins: a user whose IdP sends no groups
 * signs in through the real OIDC provider; the webhook fires; a receiver verifies it with the
 * `standardwebhooks` package and calls the admin API with an admin token to add a group
 * override; the user's next request shows the group. The second test is the waiting-room
 * variant: the automation also approves the user.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { mintToken } from '../../../plugin/tokens.ts';
import type { WebhookBody } from '../../../plugin/webhooks/payload.ts';
import { Agent } from '../../support/agent.ts';
import { DB_KINDS } from '../../support/db.ts';
import { startHarness, type Harness, OIDC_ID } from '../../support/harness.ts';
import { startReceiver, webhookSecret, type Receiver } from '../webhooks/support.ts';

interface Automation {
  receiver: Receiver;
  done: Promise<WebhookBody>;
}

/** The "custom app" of the seed: verify, then call the admin API. */
async function startAutomation(secret: string, adminCalls: (body: WebhookBody) => Promise<void>): Promise<Automation> {
  const receiver = await startReceiver({ secrets: [] });
  let finish!: (b: WebhookBody) => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<WebhookBody>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  receiver.reply = async (_n, r) => {
    let body: WebhookBody;
    try {
      body = new Webhook(secret).verify(r.body, {
        'webhook-id': r.id,
        'webhook-timestamp': r.timestamp,
        'webhook-signature': r.signature,
      }) as WebhookBody;
    } catch {
      return { status: 401 };
    }
    try {
      await adminCalls(body);
      finish(body);
      return { status: 204 };
    } catch (e) {
      fail(e);
      return { status: 500 };
    }
  };
  return { receiver, done };
}

describe.each(DB_KINDS)('webhook -> admin API automation on %s', (kind) => {
  let harness: Harness | null = null;
  let automation: Automation | null = null;
  afterEach(async () => {
    await harness?.close();
    await automation?.receiver.close();
    harness = null;
    automation = null;
  });

  async function start(secret: string, policy: 'allow' | 'pending_approval', calls: (h: () => Harness, token: () => string, body: WebhookBody) => Promise<void>) {
    let token = '';
    automation = await startAutomation(secret, (body) => calls(() => harness!, () => token, body));
    const url = automation.receiver.url;
    harness = await startHarness({
      db: kind,
      config: (base) => ({
        ...base,
        providers: base.providers!.map((p) => (p.id === OIDC_ID ? { ...p, firstLoginPolicy: policy } : p)),
        webhooks: [{ url, secret, trigger: 'user_created_without_groups', fields: ['first_name', 'last_name'], payload: { team: 'it' }, allowPrivateNetwork: true }],
        webhookDelivery: { backoffBaseMs: 50, backoffMaxMs: 500, pollIntervalMs: 200 },
      }),
    });
    token = (await mintToken(harness.gateway.store, { kind: 'admin', name: 'group-sync-app', actor: 'test' })).token;
    return harness;
  }

  const admin = (h: Harness, token: string, method: string, path: string, json?: unknown) =>
    new Agent().request(`${h.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${token}` }, ...(json === undefined ? {} : { json }) });

  it('a user without IdP groups gets a group override from the automation and sees it on the next request', async () => {
    const secret = webhookSecret();
    const h = await start(secret, 'allow', async (hh, token, body) => {
      const res = await admin(hh(), token(), 'POST', `/users/${body.data.user.id}/overrides`, { organization: 'acme-corp', role: 'viewer', group: 'developers' });
      if (res.status !== 201) throw new Error(`override: ${res.status} ${res.text}`);
    });
    const agent = new Agent();
    const login = await h.loginOidc(agent, 'bob');
    expect(login.status).toBe(302);
    const body = await automation!.done;
    expect(body).toMatchObject({
      type: 'user_created_without_groups',
      data: { user: { email: 'bob@example.org', username: 'bob@example.org' }, provider: OIDC_ID, groups: [], custom_payload: { team: 'it' } },
    });
    const me = await h.me(agent);
    expect(me.status).toBe(200);
    expect(me.json()).toMatchObject({
      user: { email: 'bob@example.org', status: 'active' },
      memberships: [{ organization: 'acme-corp', roles: ['viewer'], groups: ['developers'] }],
    });
    // The override is recorded as the app's doing.
    const audit = h.gateway.store.listAudit({ action: 'override.add', actor: 'admin-token:group-sync-app' });
    expect((await audit).entries).toHaveLength(1);
    // A user whose IdP sends groups does not trigger it.
    await h.loginOidc(new Agent(), 'alice');
    await new Promise((r) => setTimeout(r, 300));
    expect(automation!.receiver.received).toHaveLength(1);
  });

  it('waiting-room variant: the automation adds the override and approves the user', async () => {
    const secret = webhookSecret();
    const h = await start(secret, 'pending_approval', async (hh, token, body) => {
      const o = await admin(hh(), token(), 'POST', `/users/${body.data.user.id}/overrides`, { organization: 'acme-corp', role: 'member' });
      if (o.status !== 201) throw new Error(`override: ${o.status} ${o.text}`);
      const a = await admin(hh(), token(), 'POST', `/users/${body.data.user.id}/approve`);
      if (a.status !== 200) throw new Error(`approve: ${a.status} ${a.text}`);
    });
    const agent = new Agent();
    const login = await h.loginOidc(agent, 'dave');
    expect(login.location).toMatch(/\/auth\/waiting-room$/);
    await automation!.done;
    expect((await h.me(agent)).json()).toMatchObject({
      user: { email: 'dave@other.test', status: 'active' },
      memberships: [{ organization: 'acme-corp', roles: ['member'], groups: [] }],
    });
  });
});
