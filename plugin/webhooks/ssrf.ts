/**
 * The private-network guard of webhook deliveries. A webhook URL is chosen by an admin (or a
 * config file), but a delivery must not become a way to reach the gateway's own network:
 * loopback, private, link-local, CGNAT, multicast and reserved ranges are refused, including
 * IPv4 addresses hidden in IPv6 (IPv4-mapped, IPv4-compatible, NAT64, 6to4). The check runs on
 * the addresses the name RESOLVES to, inside the connection's own lookup, so a DNS answer that
 * changes between check and connect (rebinding) cannot slip through.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';

type Range = readonly [bytes: readonly number[], bits: number, why: string];

const V4_BLOCKED: Range[] = [
  [[0, 0, 0, 0], 8, 'this network'],
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'carrier-grade NAT'],
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link-local'],
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'IETF protocol assignments'],
  [[192, 0, 2, 0], 24, 'documentation'],
  [[192, 88, 99, 0], 24, '6to4 relay anycast'],
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'benchmarking'],
  [[198, 51, 100, 0], 24, 'documentation'],
  [[203, 0, 113, 0], 24, 'documentation'],
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'],
];

const V6_BLOCKED: Range[] = [
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 128, 'unspecified'],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, 'loopback'],
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'discard-only'],
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'documentation'],
  [[0xfc], 7, 'unique local'],
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xfe, 0xc0], 10, 'site-local'],
  [[0xff], 8, 'multicast'],
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'local-use NAT64'],
];

function inRange(addr: readonly number[], range: Range): boolean {
  const [prefix, bits] = range;
  for (let i = 0; i < bits; i += 8) {
    const take = Math.min(8, bits - i);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((addr[i / 8] ?? 0) & mask) !== ((prefix[i / 8] ?? 0) & mask)) return false;
  }
  return true;
}

function parseV4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

/** 16 bytes of an IPv6 address (zone id dropped, embedded dotted quad allowed), or null. */
export function parseV6(input: string): number[] | null {
  let s = input.replace(/^\[|\]$/g, '');
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (isIP(s) !== 6) return null;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (!v4) return null;
    tail = v4;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = s.split('::') as [string, string | undefined];
  const groups = (x: string) => (x === '' ? [] : x.split(':').map((g) => Number.parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const fill = rest === undefined ? 0 : 8 - left.length - right.length;
  const words = [...left, ...new Array<number>(fill).fill(0), ...right];
  if (words.length !== 8) return null;
  const bytes = words.flatMap((w) => [(w >> 8) & 0xff, w & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** The IPv4 address carried inside an IPv6 one (mapped, compatible, NAT64, 6to4), if any. */
function embeddedV4(b: readonly number[]): number[] | null {
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12, 16); // ::ffff:a.b.c.d
  if (zeros(0, 12) && !(zeros(12, 15) && (b[15] ?? 0) <= 1)) return b.slice(12, 16); // ::a.b.c.d (deprecated)
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return b.slice(12, 16); // 64:ff9b::/96
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6); // 2002::/16 (6to4)
  return null;
}

/**
 * Why an address must not be reached without `allowPrivateNetwork` (e.g. "loopback"), or null
 * for a public address. Anything that does not parse as an IP is refused too.
 */
export function privateAddressReason(address: string): string | null {
  const kind = isIP(address.replace(/^\[|\]$/g, '').split('%')[0] ?? '');
  if (kind === 4) {
    const b = parseV4(address);
    if (!b) return 'unparsable address';
    return V4_BLOCKED.find((r) => inRange(b, r))?.[2] ?? null;
  }
  const b = parseV6(address);
  if (!b) return 'unparsable address';
  const v4 = embeddedV4(b);
  if (v4) {
    const why = V4_BLOCKED.find((r) => inRange(v4, r))?.[2];
    if (why) return `${why} (IPv4 embedded in IPv6)`;
  }
  return V6_BLOCKED.find((r) => inRange(b, r))?.[2] ?? null;
}

export const PRIVATE_ADDRESS_CODE = 'ERR_WEBHOOK_PRIVATE_ADDRESS';

export class PrivateAddressError extends Error {
  readonly code = PRIVATE_ADDRESS_CODE;
  constructor(host: string, address: string, why: string) {
    super(`refused: ${host} resolves to ${address} (${why}); set allowPrivateNetwork on the endpoint to allow it`);
    this.name = 'PrivateAddressError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type Resolver = (hostname: string, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const systemResolver: Resolver = (hostname, cb) => dnsLookup(hostname, { all: true, verbatim: true }, cb);

/**
 * A `lookup` for `http.request`/`net.connect` that resolves, refuses the whole name when ANY of
 * its addresses is private, and hands the checked addresses to the socket.
 */
export function guardedLookup(resolve: Resolver = systemResolver) {
  return (hostname: string, options: { all?: boolean; family?: number | string } | number, callback: LookupCallback): void => {
    resolve(hostname, (err, addresses) => {
      if (err) return callback(err, []);
      const family = typeof options === 'object' ? Number(options.family ?? 0) : Number(options);
      const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
      for (const a of addresses) {
        const why = privateAddressReason(a.address);
        if (why) return callback(new PrivateAddressError(hostname, a.address, why) as NodeJS.ErrnoException, []);
      }
      const first = usable[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      if (typeof options === 'object' && options.all) return callback(null, usable);
      callback(null, first.address, first.family);
    });
  };
}
