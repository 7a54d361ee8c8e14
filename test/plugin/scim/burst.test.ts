/**
 * A field report: after 5,000 users created by 16 concurrent POSTs, a page of two users asked for
 * at once through Node's fetch with `Content-Type: application/scim+json` got its status line and
 * headers, then a closed connection and nothing in the log. The scenario as reported, against the
 * real gateway, pins that every answer arrives whole; the second part pins the rule behind it: an
 * answer that was sent whole is never cut off by a failure that comes after it, and a response that
 * is cut off is always logged with its reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs, type CapturedLogs } from '../../support/log-capture.ts';
import { LIST_RESPONSE, USER_SCHEMA, startScimServer, type ScimServer } from './helpers.ts';

const USERS = 5_000;
const CLIENTS = 16;

/** One GET as IdP clients send it: the SCIM content type on every request, body or not. */
async function page(s: ScimServer): Promise<{ status: number; declared: number; text: string }> {
  const res = await fetch(`${s.base}/Users?startIndex=1&count=2`, {
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/scim+json', accept: 'application/scim+json' },
  });
  return { status: res.status, declared: Number(res.headers.get('content-length')), text: await res.text() };
}

describe('SCIM answers after a burst of writes (SQLite, the gateway as shipped)', () => {
  let s: ScimServer;
  let logs: CapturedLogs;
  beforeAll(async () => {
    logs = captureLogs('warn');
    s = await startScimServer('sqlite', { logger: logs.logger });
  });
  afterAll(() => s.close());

  it(`creates ${USERS} users with ${CLIENTS} concurrent POSTs, then pages through them at once, every body whole`, async () => {
    let next = 0;
    const statuses = new Map<number, number>();
    const pagesDuring: Awaited<ReturnType<typeof page>>[] = [];
    const writer = async () => {
      while (next < USERS) {
        const i = next++;
        const res = await fetch(`${s.base}/Users`, {
          method: 'POST',
          headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/scim+json' },
          body: JSON.stringify({ schemas: [USER_SCHEMA], userName: `burst-${i}@example.com`, emails: [{ value: `burst-${i}@example.com`, primary: true }] }),
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        // A few reads among the writes, on the same pool of keep-alive connections.
        if (i % 1_000 === 999) pagesDuring.push(await page(s));
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, writer));
    expect(Object.fromEntries(statuses)).toEqual({ 201: USERS });

    const pagesAfter = [];
    for (let k = 0; k < 5; k++) pagesAfter.push(await page(s));
    for (const p of [...pagesDuring, ...pagesAfter]) {
      expect(p.status).toBe(200);
      expect(Buffer.byteLength(p.text)).toBe(p.declared);
      const body = JSON.parse(p.text) as { schemas: string[]; itemsPerPage: number; Resources: unknown[] };
      expect(body.schemas).toEqual([LIST_RESPONSE]);
      expect(body.Resources).toHaveLength(2);
    }
    const last = JSON.parse(pagesAfter.at(-1)!.text) as { totalResults: number };
    expect(last.totalResults).toBe(USERS);
    expect(logs.lines.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('a failure after the answer was sent leaves the answer whole and is logged', async () => {
    // The read's bookkeeping (metrics, then the batched audit row) runs after its answer is written.
    const counter = s.gateway.gatehouse.context.metrics.scimRequests;
    const inc = counter.inc.bind(counter);
    counter.inc = ((labels: { action?: string }) => {
      if (labels.action === 'scim.user.list') throw new Error('injected: metrics backend failed');
      inc(labels);
    }) as typeof counter.inc;
    try {
      const p = await page(s);
      expect(p.status).toBe(200);
      expect(Buffer.byteLength(p.text)).toBe(p.declared);
      expect((JSON.parse(p.text) as { schemas: string[] }).schemas).toEqual([LIST_RESPONSE]);
    } finally {
      counter.inc = inc as typeof counter.inc;
    }
    const line = logs.find('SCIM request failed after its answer was sent');
    expect(line).toHaveLength(1);
    expect(line[0]).toMatchObject({ path: '/Users', status: 200 });
  });
});
