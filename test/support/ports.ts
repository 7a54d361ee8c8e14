/**
 * A loopback port for a server whose URL must be known before it starts (an OIDC client's
 * redirect URI, an issuer in the config). Chosen at random BELOW the kernel's ephemeral range, so
 * no `listen(0)` elsewhere in the parallel test run can be handed the same port between our check
 * and the real listen; checked free by binding it once.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

function ephemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && low > 12_000) return low;
  } catch {
    // not Linux: fall through
  }
  return 32_768;
}

const HIGH = ephemeralStart();
const LOW = Math.max(10_000, HIGH - 20_000);

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await tryListen(port)) return port;
  }
  throw new Error('no free loopback port found');
}
