import { resolve } from 'node:path';
import { recordEntry } from '../../app/record.js';
import { recordEntryViaPullRequest } from '../../app/record-via-pr.js';
import type { VerdictRecorder } from '../../app/validate.js';
import { UsageError } from '../../errors.js';
import { booleanFlag, stringFlag } from '../args.js';
import type { CommandContext, OptionSpec, ParsedArgs } from '../command.js';
import { ledgerSigningFrom, ledgerWriteFlags, ledgerWriteOptions, signingFlags } from './ledger-flags.js';
import { signLedgerVsa } from '../../app/ledger-signing.js';
import { writeFileAtomic } from '../../io/files.js';
import { checkOutputFileTarget } from '../../io/output-target.js';

// `validate --record`: the verdict goes through the ledger's record use case (the same merge rule,
// commit, push, PR and queue as `record`), into the clone given with --repo.
export const recordFlags: Readonly<Record<string, OptionSpec>> = {
  record: { type: 'boolean', description: 'write the verdict back to the ledger (merge rule; needs --repo)' },
  'via-pr': { type: 'boolean', description: 'with --record: a pull request instead of a direct push' },
  remote: ledgerWriteFlags.remote!,
  branch: ledgerWriteFlags.branch!,
  queue: ledgerWriteFlags.queue!,
  'max-attempts': ledgerWriteFlags['max-attempts']!,
  'clock-skew': ledgerWriteFlags['clock-skew']!,
  ...signingFlags,
  'vsa-out': {
    type: 'string',
    valueName: 'FILE',
    isOutputPath: true,
    description:
      "with --record: write the verdict's signed SLSA VSA (a Sigstore bundle) here; verify it with verify --vsa",
  },
};

export async function buildVerdictRecorder(args: ParsedArgs, ctx: CommandContext): Promise<VerdictRecorder> {
  const repo = stringFlag(args, 'repo');
  if (repo === undefined) {
    throw new UsageError('USAGE_MISSING_FLAG', '--record writes into a clone: pass --repo DIR', {
      details: { flag: 'repo' },
    });
  }
  const common = ledgerWriteOptions(args, ctx);
  const viaPr = booleanFlag(args, 'via-pr');
  const env = ctx.env;
  // decided now, so a missing sign mode or a bad key fails before the verdict is computed
  const signing = await ledgerSigningFrom(args, ctx, 'validate');
  const vsaOutFlag = stringFlag(args, 'vsa-out');
  const vsaOut = vsaOutFlag === undefined ? undefined : resolve(ctx.cwd, vsaOutFlag);
  // the VSA is written last (below): a target that cannot take it is refused now, before anything
  // is verified or pushed
  if (vsaOut !== undefined) await checkOutputFileTarget(vsaOut, 'vsa-out');
  return async (entry, statement) => {
    // the VSA is signed once with the writer's signer; the verdict's transition binds it
    const vsa = await signLedgerVsa(signing, statement);
    // --vsa-out is written once the ledger took the verdict (landed, or safe in the queue): a
    // refused verdict (LEDGER_CONFLICT, an invalid entry) leaves no signed VSA behind
    const writeVsa = async (): Promise<void> => {
      if (vsa !== undefined && vsaOut !== undefined)
        await writeFileAtomic(vsaOut, `${JSON.stringify(vsa.bundle)}\n`);
    };
    const vsaInfo = vsa === undefined ? null : { sha256: vsa.payloadSha256, file: vsaOut ?? null };
    if (viaPr) {
      const r = await recordEntryViaPullRequest({
        ...common,
        entry,
        urlsFromLedger: true,
        signing,
        ...(vsa === undefined ? {} : { vsa }),
        token: env.GITHUB_TOKEN || env.GH_TOKEN || undefined,
        ...(env.GITHUB_REPOSITORY ? { repository: env.GITHUB_REPOSITORY } : {}),
        ...(env.GITHUB_API_URL ? { apiUrl: env.GITHUB_API_URL } : {}),
      });
      await writeVsa();
      return {
        outcome: r.outcome,
        queued: r.outcome === 'queued',
        commit: r.commit,
        pr_url: r.pull_request?.url ?? null,
        vsa: vsaInfo,
      };
    }
    const r = await recordEntry({
      ...common,
      entry,
      urlsFromLedger: true,
      signing,
      ...(vsa === undefined ? {} : { vsa }),
    });
    await writeVsa();
    return {
      outcome: r.outcome,
      queued: r.outcome === 'queued',
      commit: r.commit,
      pr_url: null,
      vsa: vsaInfo,
    };
  };
}
