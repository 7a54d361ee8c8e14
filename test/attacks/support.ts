/**
 * What every attack case asserts, once: the gateway answered 401, wrote exactly one audit row
 * (the refused login, with its reason), and wrote nothing else: no user, identity, membership or
 * signed-in session, neither in total nor for the watched identities (the victim the attack aims
 * at), and the attacker's browser is not signed in.
 */
import { expect } from 'vitest';
import type { Agent, AgentResponse } from '../support/agent.ts';
import { parseForm } from '../support/agent.ts';
import type { Harness } from '../support/harness.ts';

/** Row counts that a refused login must leave as they were. */
export type RowCounts = Record<string, number>;

async function count(h: Harness, table: string, where?: (q: ReturnType<Harness['gateway']['knex']>) => void): Promise<number> {
  const q = h.gateway.knex(table);
  where?.(q);
  const rows = (await q.count({ n: '*' })) as { n: number | string }[];
  return Number(rows[0]?.n ?? 0);
}

/**
 * Totals of the identity tables, plus, for each watched email, its user, the identities and
 * memberships of that user and its signed-in sessions. Pre-login sessions (no user yet) are not
 * counted: every browser that starts a login has one.
 */
export async function snapshot(h: Harness, watchedEmails: readonly string[]): Promise<RowCounts> {
  const out: RowCounts = {
    users: await count(h, 'gh_users'),
    identities: await count(h, 'gh_identities'),
    memberships: await count(h, 'gh_memberships'),
    signedInSessions: await count(h, 'gh_sessions', (q) => void q.whereNotNull('user_id')),
  };
  for (const email of watchedEmails) {
    const ids = h.gateway.knex('gh_users').select('id').where({ email });
    out[`users[${email}]`] = await count(h, 'gh_users', (q) => void q.where({ email }));
    out[`identities[${email}]`] = await count(h, 'gh_identities', (q) => void q.whereIn('user_id', ids.clone()));
    out[`identityEmail[${email}]`] = await count(h, 'gh_identities', (q) => void q.where({ email }));
    out[`memberships[${email}]`] = await count(h, 'gh_memberships', (q) => void q.whereIn('user_id', ids.clone()));
    out[`sessions[${email}]`] = await count(h, 'gh_sessions', (q) => void q.whereIn('user_id', ids.clone()));
  }
  return out;
}

export async function lastAuditId(h: Harness): Promise<number> {
  const row = (await h.gateway.knex('gh_audit').max({ id: 'id' }).first()) as { id: number | string | null } | undefined;
  return Number(row?.id ?? 0);
}

export interface AuditRow {
  action: string;
  outcome: string;
  provider: string;
  reason: string;
  details: Record<string, unknown>;
}

export async function auditSince(h: Harness, afterId: number): Promise<AuditRow[]> {
  const rows = (await h.gateway.knex('gh_audit').where('id', '>', afterId).orderBy('id')) as Record<string, unknown>[];
  return rows.map((r) => ({
    action: String(r.action),
    outcome: String(r.outcome),
    provider: String(r.provider),
    reason: String(r.reason ?? ''),
    details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, unknown>) : {},
  }));
}

/** Taken before an attack; `expectRefused` compares against it. */
export interface Before {
  counts: RowCounts;
  auditId: number;
  watched: readonly string[];
}

export async function before(h: Harness, watched: readonly string[]): Promise<Before> {
  return { counts: await snapshot(h, watched), auditId: await lastAuditId(h), watched };
}

export interface Refusal {
  provider: string;
  /** `invalid_assertion` (ERR_INVALID_ASSERTION) or `invalid_state` (ERR_STATE_MISMATCH). */
  outcome: 'invalid_assertion' | 'invalid_state';
  reason: string;
  /** When set, the audit row's human reason must match (two checks sharing one reason code). */
  message?: RegExp;
  /** The browser that made the attempt: it must not be signed in afterwards. */
  browser?: Agent;
}

/** 401, one audit row saying why, nothing else written, the browser not signed in. */
export async function expectRefused(h: Harness, res: AgentResponse, b: Before, r: Refusal): Promise<AuditRow> {
  const audit = await auditSince(h, b.auditId);
  expect({ status: res.status, audit: audit.map((a) => ({ action: a.action, outcome: a.outcome, provider: a.provider, reason: a.details.reason })) }).toEqual({
    status: 401,
    audit: [{ action: 'login', outcome: r.outcome, provider: r.provider, reason: r.reason }],
  });
  const row = audit[0]!;
  if (r.message) expect(row.reason).toMatch(r.message);
  expect(await snapshot(h, b.watched)).toEqual(b.counts);
  if (r.browser) expect((await h.me(r.browser)).status).toBe(401);
  return row;
}

/**
 * Starts an SP-initiated SAML login with any provider of the gateway (the harness's
 * `samlResponseFor` generalized beyond its one SAML provider) and stops at the IdP's auto-post
 * page: the ACS, the fields the browser would post, and the AuthnRequest ID they answer.
 */
export async function samlLoginUpToAcs(
  h: Harness,
  agent: Agent,
  providerId: string,
  username: string,
): Promise<{ acs: string; fields: Record<string, string>; inResponseTo: string }> {
  const start = await agent.get(`${h.url}/auth/${providerId}/login`);
  if (start.status !== 302 || !start.location) throw new Error(`login start answered ${start.status}`);
  const pageRes = await agent.get(start.location);
  const form = parseForm(pageRes.text, pageRes.url, (inner) => inner.includes('name="username"'));
  const posted = await agent.postForm(form.action, { ...form.fields, username, password: 'unused' });
  const auto = parseForm(posted.text, posted.url, (inner) => inner.includes('SAMLResponse'));
  const xml = Buffer.from(auto.fields.SAMLResponse ?? '', 'base64').toString('utf8');
  const inResponseTo = /InResponseTo="([^"]+)"/.exec(xml)?.[1];
  if (!inResponseTo) throw new Error('the IdP answered without InResponseTo');
  return { acs: auto.action, fields: auto.fields, inResponseTo };
}

/**
 * Starts an OIDC login with any provider of the gateway and signs in at its IdP, stopping at the
 * redirect to our callback (the harness's `oidcCallbackUrl` generalized to other providers).
 */
export async function oidcLoginUpToCallback(h: Harness, agent: Agent, providerId: string, username: string, password: string): Promise<string> {
  const start = await agent.get(`${h.url}/auth/${providerId}/login`);
  if (start.status !== 302 || !start.location) throw new Error(`login start answered ${start.status}`);
  let res = await agent.get(start.location);
  for (let i = 0; i < 10 && res.status >= 300 && res.status < 400 && res.location; i++) res = await agent.get(res.location);
  const form = parseForm(res.text, res.url, (inner) => inner.includes('name="password"'));
  res = await agent.postForm(form.action, { ...form.fields, username, password });
  const callback = `${h.url}/auth/${providerId}/callback`;
  for (let i = 0; i < 15 && res.location; i++) {
    if (res.location.startsWith(callback)) return res.location;
    res = await agent.get(res.location);
  }
  throw new Error(`never reached ${callback} (last status ${res.status})`);
}

/** A free loopback port (for a second IdP whose issuer URL must be in the config before it starts). */
export { freePort } from '../support/ports.ts';
