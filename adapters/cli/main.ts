/**
 * `gatehouse` command line (contract section 1). Every failure exits non-zero with one
 * human-readable line.
 */
import { Command, CommanderError } from 'commander';
import { registerCoreCommands } from './commands/core.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerAdminCommands } from './commands/admin.ts';
import { registerScimTokenCommand } from './commands/scim-token.ts';
import { registerSecretsCommand } from './commands/secrets.ts';

export type CommandRegistrar = (program: Command) => void;

/** One entry per command module; a new command is one file plus one line here. */
const REGISTRARS: CommandRegistrar[] = [registerCoreCommands, registerDemoCommand, registerAdminCommands, registerScimTokenCommand, registerSecretsCommand];

export function buildProgram(): Command {
  const program = new Command('gatehouse')
    .description('Gatehouse identity-provisioning gateway')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of REGISTRARS) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`gatehouse: ${message.split('\n')[0]}\n`);
    process.exitCode = 1;
  }
}
