/**
 * The client address a request came from, honouring `server.trustProxy` exactly as Express's
 * `trust proxy` does (true: every hop; a number: that many hops; a string: comma-separated
 * addresses, subnets or `loopback`/`linklocal`/`uniquelocal`). Works on a bare node:http request
 * too (SCIM is answered before Express).
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

type Trust = (addr: string, i: number) => boolean;
type TrustProxy = boolean | number | string;

const compiled = new Map<TrustProxy, Trust>();

function trustOf(setting: TrustProxy): Trust {
  let fn = compiled.get(setting);
  if (fn) return fn;
  if (setting === true) fn = () => true;
  else if (setting === false) fn = () => false;
  else if (typeof setting === 'number') fn = (_addr, i) => i < setting;
  else fn = proxyaddr.compile(setting.split(',').map((s) => s.trim()).filter((s) => s !== ''));
  compiled.set(setting, fn);
  return fn;
}

/** The client's IP address (`unknown` when the socket is already gone). */
export function clientIp(req: IncomingMessage, trustProxy: TrustProxy): string {
  if (!req.socket?.remoteAddress) return 'unknown';
  return proxyaddr(req, trustOf(trustProxy));
}
