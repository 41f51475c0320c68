// `record`'s runner: the same runner as every command (run.ts) with `record` imported statically.
// scripts/build-cli.mjs bundles it on its own, so a record (run on every release) loads ~12 files
// where the CLI's code splitting spreads it over ~30 chunks, each resolved, read, compiled and linked
// by Node's ESM loader (issue 14 performance, docs/ledger.md "Twenty-fifth session").
import { command as record } from './commands/record.js';
import { type CliIo, runCliWith } from './run.js';

const table = {
  record: { summary: record.spec.summary, load: () => Promise.resolve({ command: record }) },
};

/** Runs `slsa-ledger record …` as runCli would (same parsing, output, errors and exit codes). */
export function runRecord(argv: readonly string[], io: CliIo = {}): Promise<number> {
  return runCliWith(table, argv, io);
}
