/** `gatehouse demo` (what `npm start` runs). */
import { InvalidArgumentError, type Command } from 'commander';

/** A TCP port for `--port`: a whole number from 1 to 65535, else commander's one-line error. */
export function parsePort(value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new InvalidArgumentError('expected a port number from 1 to 65535.');
  return port;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the gateway on the demo config with a built-in OIDC provider and SAML IdP on loopback')
    .option('--data-dir <dir>', 'where the demo keeps its SQLite file and keys', process.env.GATEHOUSE_DEMO_DATA_DIR ?? '.demo-data')
    .option('--port <port>', 'the gateway\'s port (default: GATEHOUSE_PORT, else 3000)', parsePort)
    .action(async (opts: { dataDir: string; port?: number }) => {
      // Loaded only here: the demo IdPs' packages are never loaded by the other commands or the library.
      const { DEMO_USERS, startDemo } = await import('../../demo/run.ts');
      const demo = await startDemo({ dataDir: opts.dataDir, gatewayPort: opts.port });
      const users = DEMO_USERS.map((u) => `    ${u.username} / ${u.password}  (${u.email}; groups: ${u.groups.join(', ') || 'none'})`).join('\n');
      process.stdout.write(
        `\nGatehouse demo gateway: ${demo.gateway.url}\n` +
          `  OIDC provider: ${demo.oidcIssuer}\n  SAML IdP:      ${demo.samlEntryPoint}\n` +
          `  SCIM 2.0:      ${demo.gateway.url}/scim/v2 (token: npx gatehouse scim-token mint --config docs/demo/gatehouse.yaml --name demo)\n` +
          `  Demo users (username / password):\n${users}\n\nOpen ${demo.gateway.url} and sign in. Ctrl-C stops.\n`,
      );
      const stop = () => {
        demo.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
