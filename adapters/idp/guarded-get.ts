/**
 * One GET of an admin-chosen URL (OIDC discovery, SAML metadata) for "test connection", under the
 * webhooks' private-network guard (plugin/webhooks/ssrf.ts): the check runs inside the socket's
 * DNS lookup, so rebinding cannot slip past it; no redirect is followed; time and size are bounded.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, PrivateAddressError, privateAddressReason } from '../../plugin/webhooks/ssrf.ts';

const MAX_BYTES = 1024 * 1024;
const TIMEOUT_MS = 5_000;

export interface GetResult {
  status: number;
  contentType: string;
  body: string;
}

/** Throws an Error whose message says why (refused address, timeout, too large, network). */
export function guardedGet(target: string, allowPrivateNetwork: boolean): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const url = new URL(target);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return reject(new Error(`unsupported scheme ${url.protocol}`));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // Node skips `lookup` for IP literals, so those are checked here.
    if (!allowPrivateNetwork && isIP(host) !== 0) {
      const why = privateAddressReason(host);
      if (why) return reject(new PrivateAddressError(host, host, why));
    }
    const https = url.protocol === 'https:';
    const options = allowPrivateNetwork ? {} : { lookup: guardedLookup() };
    const agent = https ? new HttpsAgent(options as never) : new HttpAgent(options as never);
    const signal = AbortSignal.timeout(TIMEOUT_MS);
    const req = (https ? httpsRequest : httpRequest)(url, { method: 'GET', agent, signal, headers: { accept: 'application/json, application/samlmetadata+xml, application/xml, text/xml' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BYTES) req.destroy(new Error(`answer larger than ${MAX_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (e) => reject(signal.aborted ? new Error(`no answer within ${TIMEOUT_MS} ms`) : e));
    req.on('close', () => agent.destroy());
    req.end();
  });
}
