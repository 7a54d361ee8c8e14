/**
 * A SAML provider configured by its IdP's metadata URL alone follows a signing-key rollover with
 * no config change: the test IdP lists old and new certificates, switches keys, then lists only
 * the new one, and every login goes through; a metadata URL that starts failing keeps the last
 * good copy, and the admin API's metadataStatus, /metrics and the logs say so (once per outage).
 * A short refresh interval (1 s) stands in for the hour. SQLite only: nothing here is SQL.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairAndCert, type KeyPairAndCert } from '../../adapters/demo/certs.ts';
import type { ConfigInput } from '../../plugin/config/schema.ts';
import { mintToken } from '../../plugin/tokens.ts';
import { Agent } from '../support/agent.ts';
import { startHarness, SAML_ID, type Harness } from '../support/harness.ts';
import { captureLogs, type CapturedLogs } from '../support/log-capture.ts';

interface MetadataStatus {
  url: string;
  lastRefreshedAt: string | null;
  lastError: string | null;
  certificates: { subject: string; notAfter: string }[];
}

const OUTAGE = 'SAML IdP metadata cannot be read; the last good copy stays in force';
const RECOVERED = 'SAML IdP metadata read again';

/** The SAML provider with entryPoint, idpIssuer and idpCert taken out: the metadata gives them. */
function fromMetadata(refreshMs: number, keep: { fallback?: boolean; url?: string } = {}) {
  return (c: ConfigInput): ConfigInput => ({
    ...c,
    providers: c.providers!.map((p) => {
      if (p.id !== SAML_ID || p.type !== 'saml') return p;
      const { entryPoint, idpIssuer, idpCert, ...rest } = p;
      const metadataUrl = keep.url ?? `${entryPoint!.replace(/\/sso$/, '')}/metadata`;
      return { ...rest, ...(keep.fallback ? { entryPoint, idpIssuer, idpCert } : {}), metadataUrl, allowPrivateNetwork: true, metadataRefreshMs: refreshMs };
    }),
  });
}

async function within(ms: number, ok: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (!(await ok())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const subjectOf = (k: KeyPairAndCert) => new X509Certificate(k.certPem).subject;

function adminClient(h: Harness, token: string) {
  return {
    async status(): Promise<MetadataStatus | null> {
      const res = await new Agent().get(`${h.url}/admin/api/providers/${SAML_ID}`, { authorization: `Bearer ${token}` });
      expect(res.status, res.text).toBe(200);
      return res.json<{ metadataStatus: MetadataStatus | null }>().metadataStatus;
    },
    async metric(name: string): Promise<number | null> {
      const text = (await new Agent().get(`${h.url}/metrics`)).text;
      const line = text.split('\n').find((l) => l.startsWith(`${name}{provider="${SAML_ID}"}`));
      return line === undefined ? null : Number(line.split(' ').pop());
    },
  };
}

const loginStatus = async (h: Harness, username = 'carol') => (await h.loginSaml(new Agent(), username)).status;

describe('SAML IdP metadata refresh and certificate rollover', () => {
  const oldKey = generateKeyPairAndCert('rollover old key');
  const newKey = generateKeyPairAndCert('rollover new key');
  let h: Harness;
  let logs: CapturedLogs;
  let api: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    logs = captureLogs('info');
    h = await startHarness({ db: 'sqlite', samlKeyPair: oldKey, config: fromMetadata(1000), gateway: { logger: logs.logger, metadataTickMs: 100 } });
    api = adminClient(h, (await mintToken(h.gateway.store, { kind: 'admin', name: 'metadata', actor: 'test' })).token);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('starts from the metadata alone and logs in; the status names the certificate trusted', async () => {
    expect(await loginStatus(h)).toBe(302);
    const status = await api.status();
    expect(status).toMatchObject({ url: h.saml.metadataUrl, lastError: null, certificates: [{ subject: subjectOf(oldKey) }] });
    expect(Date.parse(status!.lastRefreshedAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(Object.keys(status!).sort()).toEqual(['certificates', 'lastError', 'lastRefreshedAt', 'url']);
    expect(Object.keys(status!.certificates[0]!).sort()).toEqual(['notAfter', 'subject']);
  });

  it('rollover: old and new listed, then signing with the new key, then only the new listed; logins go on with no config change', async () => {
    h.saml.publishCertificates([oldKey.certPem, newKey.certPem]);
    await within(5_000, async () => (await api.status())?.certificates.length === 2);
    expect(await loginStatus(h)).toBe(302);

    h.saml.useSigningKey(newKey);
    expect(await loginStatus(h)).toBe(302);

    h.saml.publishCertificates(null);
    await within(5_000, async () => (await api.status())?.certificates.length === 1);
    expect((await api.status())?.certificates.map((c) => c.subject)).toEqual([subjectOf(newKey)]);
    expect(await loginStatus(h)).toBe(302);

    // The old key is trusted no more: a response it signs is refused.
    h.saml.useSigningKey(oldKey);
    expect(await loginStatus(h)).toBe(401);
    h.saml.useSigningKey(newKey);
  });

  it('a failing metadata URL keeps the last good copy: logins go on; status, metrics and one log line say so, and one more on recovery', async () => {
    const before = (await api.status())!.lastRefreshedAt;
    h.saml.failMetadata(503);
    await within(5_000, async () => (await api.status())?.lastError !== null);
    // Several failed reads, one log line.
    await within(5_000, async () => ((await api.metric('gatehouse_saml_metadata_refresh_failures_total')) ?? 0) >= 3);
    const failing = (await api.status())!;
    expect(failing.lastError).toContain('503');
    expect(failing.lastRefreshedAt).toBe(before);
    expect(failing.certificates.map((c) => c.subject)).toEqual([subjectOf(newKey)]);
    expect(await loginStatus(h)).toBe(302);
    expect(await api.metric('gatehouse_saml_metadata_age_seconds')).toBeGreaterThanOrEqual(1);
    expect(logs.find(OUTAGE, { provider: SAML_ID })).toHaveLength(1);

    h.saml.failMetadata(null);
    await within(5_000, async () => (await api.status())?.lastError === null);
    await within(2_000, async () => logs.find(RECOVERED, { provider: SAML_ID }).length === 1);
    expect(await api.metric('gatehouse_saml_metadata_age_seconds')).toBeLessThan(2);
    expect(logs.find(OUTAGE, { provider: SAML_ID })).toHaveLength(1);
    expect(await loginStatus(h)).toBe(302);
  });

  it('a run-time provider saved from its metadata URL is refreshed the same way', async () => {
    const token = (await mintToken(h.gateway.store, { kind: 'admin', name: 'metadata-rt', actor: 'test' })).token;
    const auth = { authorization: `Bearer ${token}` };
    const body = { id: 'rt-saml', type: 'saml', issuer: 'urn:gatehouse:rt-sp', metadataUrl: h.saml.metadataUrl, allowPrivateNetwork: true, metadataRefreshMs: 1000 };
    const created = await new Agent().request(`${h.url}/admin/api/providers`, { method: 'POST', headers: auth, json: body });
    expect(created.status, created.text).toBe(201);
    const rtStatus = async () => (await new Agent().get(`${h.url}/admin/api/providers/rt-saml`, auth)).json<{ metadataStatus: MetadataStatus }>().metadataStatus;
    await within(5_000, async () => (await rtStatus()).lastRefreshedAt !== null);
    h.saml.publishCertificates([newKey.certPem, oldKey.certPem]);
    await within(5_000, async () => (await rtStatus()).certificates.length === 2);
    h.saml.publishCertificates(null);
    await within(5_000, async () => (await rtStatus()).certificates.length === 1);
    expect((await new Agent().request(`${h.url}/admin/api/providers/rt-saml`, { method: 'DELETE', headers: auth })).status).toBe(204);
  });

  it('a trusted certificate that expires within 30 days is warned about once, and the expiry gauge shows it', async () => {
    const shortLived = generateKeyPairAndCert('rollover short-lived key', 10);
    h.saml.publishCertificates([newKey.certPem, shortLived.certPem]);
    const warning = 'a trusted SAML IdP certificate expires within 30 days';
    await within(5_000, async () => logs.find(warning, { provider: SAML_ID, subject: subjectOf(shortLived) }).length === 1);
    const seconds = (await api.metric('gatehouse_saml_idp_certificate_expiry_seconds'))!;
    expect(seconds).toBeGreaterThan(8 * 86_400);
    expect(seconds).toBeLessThan(10 * 86_400);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(logs.find(warning, { provider: SAML_ID, subject: subjectOf(shortLived) })).toHaveLength(1);
    h.saml.publishCertificates(null);
  });
});

describe('SAML IdP metadata read again at once when a login meets an unknown key', () => {
  let h: Harness;
  let offsetMs = 0;

  beforeAll(async () => {
    // An hour between scheduled reads: only the unknown key can cause one. The clock is moved past
    // the one-minute gap between such reads instead of waiting for it.
    h = await startHarness({ db: 'sqlite', config: fromMetadata(3_600_000), gateway: { now: () => Date.now() + offsetMs, metadataTickMs: 100 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('an abrupt rollover (new key signs, only it listed) costs no login; a forger causes one read a minute at most', async () => {
    const rolled = generateKeyPairAndCert('abrupt rollover key');
    h.saml.useSigningKey(rolled);
    offsetMs = 61_000;
    const reads = h.saml.metadataRequests;
    expect(await loginStatus(h)).toBe(302);
    expect(h.saml.metadataRequests).toBe(reads + 1);

    h.saml.useSigningKey(generateKeyPairAndCert('forger key'));
    expect(await loginStatus(h)).toBe(401);
    expect(await loginStatus(h)).toBe(401);
    expect(h.saml.metadataRequests).toBe(reads + 1);
  });
});

describe('SAML metadataUrl that cannot be read at start, with fallback values', () => {
  let h: Harness;
  let api: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    h = await startHarness({ db: 'sqlite', config: fromMetadata(1000, { fallback: true, url: 'http://127.0.0.1:9/metadata' }), gateway: { metadataTickMs: 100 } });
    api = adminClient(h, (await mintToken(h.gateway.store, { kind: 'admin', name: 'metadata', actor: 'test' })).token);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('starts on entryPoint, idpIssuer and idpCert, logs in, and shows the failing URL', async () => {
    expect(await loginStatus(h)).toBe(302);
    const status = (await api.status())!;
    expect(status.lastRefreshedAt).toBeNull();
    expect(status.lastError).toMatch(/ECONNREFUSED|connect/);
    expect(status.certificates).toHaveLength(1);
  });
});
