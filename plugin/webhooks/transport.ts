/**
 * Sends one signed delivery over HTTP(S). Built on node:http/https rather than fetch because the
 * private-network guard must run inside the socket's own DNS lookup (fetch offers no such hook
 * without an extra dependency); like `fetch(..., { redirect: 'manual' })` it never follows a
 * redirect, and an AbortSignal bounds the whole attempt. Tests inject their own transport.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, PRIVATE_ADDRESS_CODE, PrivateAddressError, privateAddressReason, type Resolver } from './ssrf.ts';

export interface TransportRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivateNetwork: boolean;
}

export interface TransportResponse {
  status: number;
  /** `Retry-After` as sent, if any. */
  retryAfter: string | null;
  /** First bytes of the response body. */
  excerpt: string;
}

/** Why an attempt got no HTTP answer. `refused` (private network, bad URL) is not retried. */
export class TransportError extends Error {
  readonly kind: 'timeout' | 'network' | 'refused';
  constructor(kind: TransportError['kind'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
    this.kind = kind;
  }
}

export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

const EXCERPT_BYTES = 1024;
export const USER_AGENT = 'Gatehouse-Webhooks/1';

function readExcerpt(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < EXCERPT_BYTES) chunks.push(c);
      size += c.length;
    });
    const done = () => resolve(Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8'));
    res.on('end', done);
    res.on('error', done);
    res.on('aborted', done);
  });
}

export interface HttpTransportOptions {
  /** DNS for the guard (tests simulate rebinding or IPv6 answers). */
  resolve?: Resolver | undefined;
}

/** The real transport. Keep-alive agents, one per guard mode, so a socket opened without the guard is never reused with it. */
export function createHttpTransport(opts: HttpTransportOptions = {}): Transport & { close(): void } {
  const lookup = guardedLookup(opts.resolve);
  const agents = {
    guarded: { http: new HttpAgent({ keepAlive: true, lookup } as never), https: new HttpsAgent({ keepAlive: true, lookup } as never) },
    open: { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) },
  };

  const send: Transport = (req) =>
    new Promise<TransportResponse>((resolve, reject) => {
      let url: URL;
      try {
        url = new URL(req.url);
      } catch {
        return reject(new TransportError('refused', `invalid URL ${req.url}`));
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return reject(new TransportError('refused', `unsupported scheme ${url.protocol}`));
      const host = url.hostname.replace(/^\[|\]$/g, '');
      // Node skips `lookup` for IP literals, so those are checked here.
      if (!req.allowPrivateNetwork && isIP(host) !== 0) {
        const why = privateAddressReason(host);
        if (why) return reject(new TransportError('refused', new PrivateAddressError(host, host, why).message));
      }
      const https = url.protocol === 'https:';
      const agent = (req.allowPrivateNetwork ? agents.open : agents.guarded)[https ? 'https' : 'http'];
      const body = Buffer.from(req.body, 'utf8');
      const signal = AbortSignal.timeout(req.timeoutMs);
      const r = (https ? httpsRequest : httpRequest)(
        url,
        {
          method: 'POST',
          agent,
          signal,
          headers: { ...req.headers, 'content-type': 'application/json', 'content-length': String(body.length), 'user-agent': USER_AGENT },
        },
        (res) => {
          readExcerpt(res).then((excerpt) => {
            const ra = res.headers['retry-after'];
            resolve({ status: res.statusCode ?? 0, retryAfter: typeof ra === 'string' ? ra : null, excerpt });
          }, reject);
        },
      );
      r.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === PRIVATE_ADDRESS_CODE || e instanceof PrivateAddressError) reject(new TransportError('refused', e.message, { cause: e }));
        else if (signal.aborted || e.name === 'AbortError') reject(new TransportError('timeout', `no answer within ${req.timeoutMs} ms`, { cause: e }));
        else reject(new TransportError('network', `${e.code ?? e.name}: ${e.message}`, { cause: e }));
      });
      r.end(body);
    });

  return Object.assign(send, {
    close() {
      for (const a of [agents.guarded.http, agents.guarded.https, agents.open.http, agents.open.https]) a.destroy();
    },
  });
}
