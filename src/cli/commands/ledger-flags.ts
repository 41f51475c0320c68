import { resolve } from 'node:path';
import type { LedgerWriteOptions } from '../../app/record.js';
import { integerFlag, stringFlag } from '../args.js';
import type { CommandContext, OptionSpec, ParsedArgs } from '../command.js';

/** Flags `record` and `flush` share. */
export const ledgerWriteFlags: Readonly<Record<string, OptionSpec>> = {
  repo: { type: 'string', valueName: 'DIR', description: 'a clone of the ledger repository (default: .)' },
  remote: {
    type: 'string',
    valueName: 'NAME',
    description: 'remote to fetch and push (default: ledger.remote of .slsa-ledger.yml, else origin)',
  },
  branch: {
    type: 'string',
    valueName: 'BRANCH',
    description:
      "ledger branch (default: ledger.branch of .slsa-ledger.yml, else the remote's default branch)",
  },
  'reports-dir': {
    type: 'string',
    valueName: 'DIR',
    description: 'ledger folder in the repository (default: ledger.reports_dir, else docs/reports)',
  },
  queue: {
    type: 'string',
    valueName: 'FILE',
    description: 'local queue file, relative to --repo',
    default: 'out/provenance/queued-manifest.json',
  },
  'max-attempts': {
    type: 'string',
    valueName: 'N',
    description: 'push attempts before queueing',
    default: '5',
  },
};

/** Options for `recordEntry` / `flushQueue` from the shared flags; SLSA_LEDGER_LOCK_DIR moves the lock. */
export function ledgerWriteOptions(args: ParsedArgs, ctx: CommandContext): LedgerWriteOptions {
  const lockDir = ctx.env.SLSA_LEDGER_LOCK_DIR;
  return {
    repoDir: resolve(ctx.cwd, stringFlag(args, 'repo') ?? '.'),
    remote: stringFlag(args, 'remote'),
    branch: stringFlag(args, 'branch'),
    reportsDir: stringFlag(args, 'reports-dir'),
    cwd: ctx.cwd,
    queuePath: stringFlag(args, 'queue') ?? 'out/provenance/queued-manifest.json',
    maxAttempts: integerFlag(args, 'max-attempts', { min: 1, max: 100 }) ?? 5,
    logger: ctx.logger,
    ...(lockDir === undefined || lockDir === '' ? {} : { lockDir }),
  };
}
