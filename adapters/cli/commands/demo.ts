/** `gatehouse demo` (what `npm start` runs). */
import type { Command } from 'commander';
import { DEMO_USERS, startDemo } from '../../demo/run.ts';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the gateway on the demo config with a built-in OIDC provider and SAML IdP on loopback')
    .option('--data-dir <dir>', 'where the demo keeps its SQLite file and keys', process.env.GATEHOUSE_DEMO_DATA_DIR ?? '.demo-data')
    .action(async (opts: { dataDir: string }) => {
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
