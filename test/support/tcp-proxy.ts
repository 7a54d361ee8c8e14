/**
 * A TCP proxy on loopback that a test starts in front of a real server (PostgreSQL, Redis) to
 * stage an outage: `stop()` closes the listening port and kills every open connection (clients
 * see ECONNRESET, then ECONNREFUSED), `start()` listens again on the same port, `dropConnections()`
 * kills the open connections but keeps accepting new ones.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './ports.ts';

export interface TcpProxy {
  /** The proxy's port on 127.0.0.1 (stable across stop/start). */
  readonly port: number;
  /** Number of client connections open right now. */
  readonly openConnections: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  dropConnections(): void;
  close(): Promise<void>;
}

/** Starts a proxy from a free loopback port to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await freePort();
  const open = new Set<Socket>();
  let server: Server | null = null;

  const accept = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const dropConnections = () => {
    // resetAndDestroy sends RST: the peer sees the connection die at once, as when a server crashes.
    for (const s of open) (s.resetAndDestroy ? s.resetAndDestroy() : s.destroy());
    open.clear();
  };

  const proxy: TcpProxy = {
    port,
    get openConnections() {
      return open.size / 2;
    },
    async start() {
      if (server) return;
      const s = createServer(accept);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
      server = s;
    },
    async stop() {
      const s = server;
      server = null;
      dropConnections();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    dropConnections,
    async close() {
      await proxy.stop();
    },
  };
  await proxy.start();
  return proxy;
}
