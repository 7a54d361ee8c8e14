/**
 * The standalone gateway: an Express app with Gatehouse mounted and a small landing page that
 * shows who you are. Listens first, so that `port: 0` yields a real base URL for callbacks.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { ResolvedConfig } from '../../plugin/config/schema.ts';
import { ConfigError } from '../../plugin/errors.ts';
import { summarizeMemberships } from '../../plugin/http/current-user.ts';
import { escapeHtml, page } from '../../plugin/http/pages.ts';
import { createGatehouseFromConfig, type Backend, type BackendOptions } from '../backend.ts';

export interface Gateway extends Backend {
  url: string;
  server: Server;
  app: express.Express;
}

function landing(backend: Backend): express.RequestHandler {
  const { config } = backend.gatehouse.context;
  return async (req, res, next) => {
    try {
      const u = req.gatehouseUser;
      const links = config.providers
        .map((p) => `<li><a href="/auth/${encodeURIComponent(p.id)}/login">Sign in with ${escapeHtml(p.displayName ?? p.id)}</a> (${p.type.toUpperCase()})</li>`)
        .join('');
      if (!u) {
        res.type('html').send(page('Gatehouse', `<h1>Gatehouse</h1><p>You are not signed in.</p><ul>${links}</ul>`));
        return;
      }
      const user = await backend.store.getUser(u.id);
      const rows = summarizeMemberships(await backend.store.listMemberships(u.id))
        .map((m) => `<tr><td>${escapeHtml(m.organization)}</td><td>${escapeHtml(m.roles.join(', '))}</td><td>${escapeHtml(m.groups.join(', '))}</td></tr>`)
        .join('');
      res.type('html').send(
        page(
          'Gatehouse',
          `<h1>Signed in</h1><p>You are <strong>${escapeHtml(user?.email ?? u.id)}</strong> (${escapeHtml(u.status)}${u.instanceAdmin ? ', instance admin' : ''}) via ${escapeHtml(u.provider ?? '')}.</p>` +
            `<table><thead><tr><th>Organization</th><th>Roles</th><th>Groups</th></tr></thead><tbody>${rows || '<tr><td colspan="3">No memberships</td></tr>'}</tbody></table>` +
            `<p><a href="/auth/me">/auth/me</a>${u.instanceAdmin && u.status === 'active' ? ' · <a href="/admin">Admin console</a>' : ''}</p><form method="post" action="/auth/logout"><button type="submit">Sign out</button></form>`,
        ),
      );
    } catch (e) {
      next(e);
    }
  };
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
  app.use(backend.gatehouse.router);
  app.get('/', landing(backend));
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
