/**
 * The users list in a useful order: newest first by default, or by email or status either way,
 * and cursor paging that stays correct under each order (ties included: many users share a
 * creation time and a status). Through the admin API over HTTP, and the console's sortable
 * column headers, on every database.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../plugin/tokens.ts';
import type { UserStatus } from '../../../plugin/types.ts';
import { DB_KINDS } from '../../support/db.ts';
import { Agent, startTestGateway, type TestGateway } from '../webhooks/support.ts';

interface Listed {
  id: string;
  email: string | null;
  status: string;
  createdAt: number;
}

const STATUSES: UserStatus[] = ['active', 'pending_approval', 'rejected', 'deprovisioned'];
const TOTAL = 250;
const BASE_MS = Date.UTC(2026, 0, 1);

/** Fixed-length local parts of [a-z0-9] compare the same under every database collation. */
function email(i: number): string | null {
  if (i % 25 === 7) return null;
  const letters = [...randomBytes(6)].map((b) => String.fromCharCode(97 + (b % 26))).join('');
  return `${letters}${String(i).padStart(4, '0')}@example.test`;
}

type Key = (u: Listed) => string | number;
const KEYS: Record<string, Key> = {
  created: (u) => u.createdAt,
  email: (u) => u.email ?? '',
  status: (u) => u.status,
};

/** -1, 0 or 1 for (key, id) pairs, the order a keyset cursor walks. */
function compare(key: Key, a: Listed, b: Listed): number {
  const ka = key(a);
  const kb = key(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.id === b.id ? 0 : a.id < b.id ? -1 : 1;
}

describe.each(DB_KINDS)('users list order and paging on %s', (kind) => {
  let t: TestGateway;
  let token: string;
  const client = new Agent();
  const get = (path: string) => client.request(`${t.url}/admin/api${path}`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    t = await startTestGateway(kind, (c) => ({ ...c, provisioning: { ...c.provisioning, instanceAdmins: ['boss@example.com'] } }));
    token = (await mintToken(t.gw.store, { kind: 'admin', name: 'sort-test', actor: 'test' })).token;
    for (let i = 0; i < TOTAL; i++) {
      const e = email(i);
      const u = await t.gw.store.insertUser({ email: e, emailOriginal: e, status: STATUSES[i % STATUSES.length]! });
      // 37 distinct creation times, so most users share theirs with others.
      await t.gw.knex('gh_users').where({ id: u.id }).update({ created_at: BASE_MS + ((i * 7) % 37) * 1000 });
    }
  }, 120_000);
  afterAll(() => t?.close());

  async function walk(query: string, limit: number): Promise<Listed[]> {
    const seen: Listed[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const res = await get(`/users?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, res.text).toBe(200);
      const page = res.json<{ users: Listed[]; nextCursor: string | null }>();
      seen.push(...page.users);
      cursor = page.nextCursor;
      if (!cursor) return seen;
    }
    throw new Error('paging did not end');
  }

  const ORDERS: { query: string; key: string; dir: 'asc' | 'desc' }[] = [
    { query: '', key: 'created', dir: 'desc' },
    ...(['created', 'email', 'status'] as const).flatMap((key) =>
      (['asc', 'desc'] as const).map((dir) => ({ query: `&sort=${key}&dir=${dir}`, key, dir })),
    ),
    { query: '&sort=email', key: 'email', dir: 'asc' },
  ];

  it.each(ORDERS)('sort "$query" pages through all 250 users once each, in order', async ({ query, key, dir }) => {
    const seen = await walk(query, 17);
    expect(seen).toHaveLength(TOTAL);
    expect(new Set(seen.map((u) => u.id)).size).toBe(TOTAL);
    const sign = dir === 'asc' ? 1 : -1;
    for (let i = 1; i < seen.length; i++) {
      expect(sign * compare(KEYS[key]!, seen[i - 1]!, seen[i]!), `${JSON.stringify(seen[i - 1])} then ${JSON.stringify(seen[i])}`).toBe(-1);
    }
  });

  it('keeps the order and the filter together: status filter, email sort', async () => {
    const seen = await walk('&status=rejected&sort=email&dir=desc', 9);
    expect(seen.length).toBeGreaterThan(50);
    expect(seen.every((u) => u.status === 'rejected')).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(compare(KEYS.email!, seen[i - 1]!, seen[i]!)).toBe(1);
  });

  it('refuses an unknown sort, direction or a forged cursor with 400 naming the field', async () => {
    for (const [query, field] of [
      ['sort=id', 'sort'],
      ['dir=up', 'dir'],
      ['cursor=not-a-cursor', 'cursor'],
      [`sort=email&cursor=${encodeURIComponent(Buffer.from('["x"]').toString('base64url'))}`, 'cursor'],
    ] as const) {
      const res = await get(`/users?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.json()).toMatchObject({ error: 'ERR_VALIDATION', field });
    }
  });

  it('the console\'s column headers link to the sort orders and the pager keeps the order (runs last: adds a user)', async () => {
    const admin = new Agent();
    t.users.set('boss', { sub: 'boss', email: 'boss@example.com', email_verified: true, groups: [] });
    await t.login(admin, 'boss');
    const page = (path: string) => admin.get(`${t.url}${path}`, { accept: 'text/html' });
    const res = await page('/admin/users?sort=email&dir=asc');
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    // The current column flips its direction; the others start at their natural one.
    expect(res.text).toContain('href="/admin/users?sort=email&amp;dir=desc"');
    expect(res.text).toContain('href="/admin/users?sort=created&amp;dir=desc"');
    expect(res.text).toContain('href="/admin/users?sort=status&amp;dir=asc"');
    expect(res.text).toMatch(/<th scope="col" aria-sort="ascending"><a [^>]*>Email/);
    expect(res.text).toMatch(/<a href="\/admin\/users\?sort=email&amp;dir=asc&amp;cursor=[^"]+">Next page/);
    // Users without an email (listed by id) come first; the rest by email.
    const first = [...res.text.matchAll(/<td><a href="\/admin\/users\/[^"]+">([^<]+)<\/a><\/td>/g)].map((m) => m[1]!).filter((e) => e.includes('@'));
    expect(first.length).toBeGreaterThan(10);
    expect([...first].sort()).toEqual(first);
    expect((await page('/admin/users?sort=nonsense')).status).toBe(400);
    expect((await page('/admin/users?dir=sideways')).status).toBe(400);
  });
});
