import { describe, expect, it } from 'vitest';
import { buildBody, exampleFacts, serializeBody, shouldFire } from '../../../plugin/webhooks/payload.ts';
import { backoffMs, nominalSchedule, parseRetryAfter } from '../../../plugin/webhooks/retry.ts';
import { defaultDeliverySettings } from '../../../plugin/webhooks/settings.ts';
import type { WebhookTrigger } from '../../../plugin/webhooks/ports.ts';
import { claims } from './support.ts';

describe('trigger decisions (seed 003)', () => {
  const cases: [string, { created: boolean; groups: string[]; overage?: boolean }, Record<WebhookTrigger, boolean>][] = [
    ['first login, no groups', { created: true, groups: [] }, { none: false, user_created_without_groups: true, login_without_groups: true, every_login: true }],
    ['later login, no groups', { created: false, groups: [] }, { none: false, user_created_without_groups: false, login_without_groups: true, every_login: true }],
    ['first login with groups', { created: true, groups: ['g'] }, { none: false, user_created_without_groups: false, login_without_groups: false, every_login: true }],
    ['later login with groups', { created: false, groups: ['g'] }, { none: false, user_created_without_groups: false, login_without_groups: false, every_login: true }],
    ['first login, group overage', { created: true, groups: [], overage: true }, { none: false, user_created_without_groups: false, login_without_groups: false, every_login: true }],
  ];
  it.each(cases)('%s', (_name, c, expected) => {
    const event = { created: c.created, claims: claims('u', { groups: c.groups, groupsOverage: c.overage ?? false }) };
    for (const [trigger, fires] of Object.entries(expected)) expect(shouldFire(trigger as WebhookTrigger, event), trigger).toBe(fires);
  });
});

describe('webhook body (contract section 7)', () => {
  it('has type, ISO timestamp and data{user{id,email,username,...fields}, provider, groups, custom_payload} in that order', () => {
    const facts = exampleFacts('every_login', 'corp-saml');
    const body = buildBody('every_login', { fields: ['first_name', 'email_verified', 'unknown'], payload: { a: 'b' } }, facts, Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(serializeBody(body)).toBe(
      '{"type":"every_login","timestamp":"2026-01-02T03:04:05.000Z","data":{"user":{"id":"00000000-0000-4000-8000-000000000000",' +
        '"email":"jane.doe@example.com","username":"jane.doe@example.com","first_name":"Jane","email_verified":true},' +
        '"provider":"corp-saml","groups":["developers"],"custom_payload":{"a":"b"}}}',
    );
  });
});

describe('retry schedule', () => {
  const s = defaultDeliverySettings({ backoffBaseMs: 1000, backoffMaxMs: 10_000, maxAttempts: 6 });
  it('doubles per failure, capped, with jitter between half and all of it', () => {
    expect([1, 2, 3, 4, 5].map((f) => backoffMs(f, s, () => 1))).toEqual([1000, 2000, 4000, 8000, 10_000]);
    expect([1, 2, 3, 4, 5].map((f) => backoffMs(f, s, () => 0))).toEqual([500, 1000, 2000, 4000, 5000]);
    expect(nominalSchedule(s)).toEqual([1000, 2000, 4000, 8000, 10_000]);
  });
  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
  it('defaults to about 10 hours (nominal, before jitter) over 20 attempts', () => {
    const d = defaultDeliverySettings();
    const total = nominalSchedule(d).reduce((a, b) => a + b, 0);
    expect(d.maxAttempts).toBe(20);
    expect(Math.round(total / 3_600_000)).toBe(10);
  });
});
