/**
 * Full OIDC logins over HTTP on loopback through the test harness: the real `oidc-provider`, the
 * standalone gateway, a fresh cookie jar per login (a new browser). The gateway is configured as
 * in the end-to-end tests, plus the benchmark's `every_login` webhook with the dispatcher off, so
 * the callback writes the outbox row as in bench/login.ts. Rate limits are off: every login comes
 * from the same client.
 */
import { randomBytes } from 'node:crypto';
import type { ConfigInput } from '../../plugin/config/schema.ts';
import { Agent } from '../../test/support/agent.ts';
import type { DbKind } from '../../test/support/db.ts';
import { startHarness, type Harness, type HarnessUser } from '../../test/support/harness.ts';

/** `count` users that each map to 3 memberships (acme-corp: viewer + developers; home-lab: Member). */
export function benchUsers(count: number, prefix = 'bench'): HarnessUser[] {
  return Array.from({ length: count }, (_, i) => ({
    username: `${prefix}-${i}`,
    email: `${prefix}-${i}@bench.example.com`,
    givenName: 'Bench',
    familyName: `User ${i}`,
    groups: ['chainloop_acme-corp_developers', 'home-lab'],
  }));
}

function withOutbox(base: ConfigInput): ConfigInput {
  return {
    ...base,
    webhooks: [{ id: 'bench-hook', url: 'http://127.0.0.1:9/bench-hook', secret: `whsec_${randomBytes(32).toString('base64')}`, trigger: 'every_login', allowPrivateNetwork: true }],
    webhookDelivery: { dispatch: false },
    // One client makes every login here: the per-client budget of login starts would measure itself.
    rateLimits: { enabled: false },
  };
}

export function startBenchHarness(db: DbKind, users: HarnessUser[]): Promise<Harness> {
  return startHarness({ db, users, config: withOutbox });
}

export interface TimedLogin {
  /** Whole round trip: gateway login start, IdP authorization and login form, back to our callback. */
  totalMs: number;
  /** The callback request alone: code exchange with the IdP, provisioning transaction, session. */
  callbackMs: number;
}

/** One full login with a new browser; throws unless the gateway signs the user in (302 to `/`). */
export async function timedOidcLogin(h: Harness, username: string): Promise<TimedLogin> {
  const agent = new Agent();
  const t0 = process.hrtime.bigint();
  const callbackUrl = await h.oidcCallbackUrl(agent, username);
  const t1 = process.hrtime.bigint();
  const res = await agent.get(callbackUrl);
  const t2 = process.hrtime.bigint();
  if (res.status !== 302 || res.location !== `${h.url}/`) {
    throw new Error(`login of ${username} answered ${res.status} -> ${res.location ?? '(no location)'}: ${res.text.slice(0, 200)}`);
  }
  return { totalMs: Number(t2 - t0) / 1e6, callbackMs: Number(t2 - t1) / 1e6 };
}
