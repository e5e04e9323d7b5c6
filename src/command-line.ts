import { nearestName } from './config/nearest-name.js';

/** Exit code for a command line tailship does not understand (sysexits EX_USAGE). */
export const EXIT_USAGE = 64;

export const USAGE = 'Usage: tailship [--check-config | --version | --help]';

/** What the command line asks for. */
export type Command = 'run' | 'check-config' | 'version' | 'help';

const FLAGS: Readonly<Record<string, Command>> = {
  '--check-config': 'check-config',
  '--version': 'version',
  '-v': 'version',
  '--help': 'help',
  '-h': 'help',
};

/**
 * Reads the arguments after the script. Pure. Every argument must be a known flag: a
 * misspelt one (`--chek-config`) would otherwise start the shipper instead of checking
 * its configuration. `--version` and `--help` win over `--check-config`.
 * Returns the command, or the one-line reason the arguments are refused.
 */
export function parseCommandLine(argv: readonly string[]): { command: Command } | { error: string } {
  const given = new Set<Command>();
  for (const arg of argv) {
    const command = Object.hasOwn(FLAGS, arg) ? FLAGS[arg] : undefined;
    if (command === undefined) {
      if (!arg.startsWith('-')) return { error: `unexpected argument ${JSON.stringify(arg)}: tailship takes only flags` };
      const near = nearestName(arg, Object.keys(FLAGS).filter((f) => f.startsWith('--')));
      return { error: `unknown option ${arg}${near ? `; did you mean ${near}?` : ''}` };
    }
    given.add(command);
  }
  for (const command of ['version', 'help', 'check-config'] as const) if (given.has(command)) return { command };
  return { command: 'run' };
}
