/**
 * The standalone gateway: an Express app with Gatehouse mounted and a small landing page that
 * shows who you are (plugin/console/pages/landing.ts). Listens first, so that `port: 0` yields a real base URL for callbacks.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { ResolvedConfig } from '../../plugin/config/schema.ts';
import { FAVICON_PATH, sendFavicon } from '../../plugin/console/favicon.ts';
import { landingPage } from '../../plugin/console/pages/landing.ts';
import { ConfigError } from '../../plugin/errors.ts';
import { providerListings } from '../../plugin/http/discovery.ts';
import { isHttps } from '../../plugin/http/https.ts';
import { createGatehouseFromConfig, type Backend, type BackendOptions } from '../backend.ts';

export interface Gateway extends Backend {
  url: string;
  server: Server;
  app: express.Express;
}

export async function startGateway(config: ResolvedConfig, opts: BackendOptions = {}): Promise<Gateway> {
  // The gateway's own session cookie is signed with it; rotation is a list (docs/deployment.md).
  if (config.server.sessionSecret === undefined) throw new ConfigError('server.sessionSecret', 'required to run the gateway (16 characters or more)');
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.server.trustProxy);
  // Stateless APIs (SCIM) are answered before Express; everything else goes to the app.
  let backend: Backend | undefined;
  const server = createServer((req, res) => {
    if (backend?.gatehouse.handle(req, res)) return;
    app(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.server.host}:${port}`;
  try {
    backend = await createGatehouseFromConfig(config, { ...opts, baseUrl: opts.baseUrl ?? config.server.baseUrl ?? url });
  } catch (e) {
    server.close();
    throw e;
  }
  // Ahead of the session check: a pending user's browser asks for the icon too.
  app.get(FAVICON_PATH, sendFavicon);
  app.use(backend.gatehouse.router);
  const ctx = backend.gatehouse.context;
  app.get('/', landingPage({ providers: () => providerListings(ctx), store: backend.store, https: isHttps(ctx) }));
  return {
    ...backend,
    url,
    server,
    app,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await backend.close();
    },
  };
}
