/** `gatehouse demo` (what `npm start` runs). */
import type { Command } from 'commander';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the gateway on the demo config with a built-in OIDC provider and SAML IdP on loopback')
    .option('--data-dir <dir>', 'where the demo keeps its SQLite file and keys', process.env.GATEHOUSE_DEMO_DATA_DIR ?? '.demo-data')
    .action(async (opts: { dataDir: string }) => {
      // Loaded only here: the demo IdPs' packages are never loaded by the other commands or the library.
      const { DEMO_USERS, startDemo } = await import('../../demo/run.ts');
      const demo = await startDemo({ dataDir: opts.dataDir });
      const users = DEMO_USERS.map((u) => `    ${u.username} / ${u.password}  (${u.email}; groups: ${u.groups.join(', ') || 'none'})`).join('\n');
      process.stdout.write(
        `\nGatehouse demo gateway: ${demo.gateway.url}\n` +
          `  OIDC provider: ${demo.oidcIssuer}\n  SAML IdP:      ${demo.samlEntryPoint}\n` +
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
