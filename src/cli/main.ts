import { commands } from './commands/index.js';
import { type CliIo, runCliWith } from './run.js';

export { type CliIo, packageVersion } from './run.js';

/** Runs the CLI in-process with every command and returns the exit code (run.ts, `runCliWith`). */
export function runCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  return runCliWith(commands, argv, io);
}
