import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedLookup, privateAddressReason } from '../../../plugin/webhooks/ssrf.ts';
import { createHttpTransport, TransportError } from '../../../plugin/webhooks/transport.ts';
import { startReceiver, type Receiver } from './support.ts';

describe('private-network guard: address classes', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'this network'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1%eth0', 'link-local'],
    ['fd12:3456::1', 'unique local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback (IPv4 embedded in IPv6)'],
    ['::ffff:7f00:1', 'loopback (IPv4 embedded in IPv6)'],
    ['::ffff:169.254.169.254', 'link-local (IPv4 embedded in IPv6)'],
    ['64:ff9b::a00:1', 'private (IPv4 embedded in IPv6)'],
    ['2002:c0a8:0101::1', 'private (IPv4 embedded in IPv6)'],
    ['[::1]', 'loopback'],
  ])('refuses %s (%s)', (addr, why) => {
    expect(privateAddressReason(addr)).toBe(why);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '172.32.0.1', '192.169.0.1'])('allows public %s', (addr) => {
    expect(privateAddressReason(addr)).toBeNull();
  });

  it('refuses a name when ANY of its resolved addresses is private (IPv6 answers included)', async () => {
    const lookup = guardedLookup((_host, cb) =>
      cb(null, [
        { address: '93.184.216.34', family: 4 },
        { address: '::ffff:10.0.0.1', family: 6 },
      ]),
    );
    const err = await new Promise<Error | null>((resolve) => lookup('rebind.example', { all: true }, (e) => resolve(e)));
    expect(err?.message).toMatch(/rebind\.example resolves to ::ffff:10\.0\.0\.1 \(private/);
  });

  it('hands checked public addresses to the socket', async () => {
    const lookup = guardedLookup((_host, cb) => cb(null, [{ address: '93.184.216.34', family: 4 }]));
    const got = await new Promise<unknown>((resolve) => lookup('ok.example', {}, (_e, address, family) => resolve([address, family])));
    expect(got).toEqual(['93.184.216.34', 4]);
  });
});

describe('HTTP transport', () => {
  let receiver: Receiver;
  const transport = createHttpTransport();
  beforeAll(async () => {
    receiver = await startReceiver({ secrets: [] });
  });
  afterAll(async () => {
    transport.close();
    await receiver.close();
  });

  const send = (url: string, allowPrivateNetwork: boolean, timeoutMs = 2000) =>
    transport({ url, headers: { 'webhook-id': 'msg_t' }, body: '{}', timeoutMs, allowPrivateNetwork });

  it('refuses loopback targets (literal and by name) unless allowPrivateNetwork is set; nothing reaches the receiver', async () => {
    const before = receiver.received.length;
    const port = receiver.port;
    for (const url of [`http://127.0.0.1:${port}/hook`, `http://localhost:${port}/hook`, `http://[::1]:${port}/hook`, `http://[::ffff:127.0.0.1]:${port}/hook`]) {
      const err = await send(url, false).catch((e: unknown) => e);
      expect(err, url).toBeInstanceOf(TransportError);
      expect((err as TransportError).kind, url).toBe('refused');
    }
    expect(receiver.received.length).toBe(before);
    const ok = await send(receiver.url, true);
    expect(ok.status).toBe(200);
    expect(receiver.received.length).toBe(before + 1);
  });

  it('does not follow redirects: a 302 is the answer', async () => {
    receiver.reply = () => ({ status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data' } });
    const res = await send(receiver.url, true);
    expect(res.status).toBe(302);
    receiver.reply = () => ({ status: 200 });
  });

  it('gives up after the timeout', async () => {
    receiver.reply = () => ({ status: 200, delayMs: 1500 });
    const err = await send(receiver.url, true, 200).catch((e: unknown) => e);
    expect((err as TransportError).kind).toBe('timeout');
    receiver.reply = () => ({ status: 200 });
  });

  it('reports Retry-After and a body excerpt', async () => {
    receiver.reply = () => ({ status: 503, headers: { 'retry-after': '7' }, body: 'busy' });
    const res = await send(receiver.url, true);
    expect(res).toEqual({ status: 503, retryAfter: '7', excerpt: 'busy' });
    receiver.reply = () => ({ status: 200 });
  });
});
