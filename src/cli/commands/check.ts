import { checkLedger } from '../../app/check.js';
import { findingCodes } from '../../core/ledger/check.js';
import { trustFindingCodes } from '../../core/ledger-trust/audit.js';
import { checkerTrustFrom, trustFlags } from './trust-flags.js';
import { VerificationError } from '../../errors.js';
import { booleanFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';
import { resolve } from 'node:path';

export const command: CommandModule = {
  spec: {
    name: 'check',
    summary: 'audit the ledger: schema, order, bytes, history',
    usage:
      'check [--repo DIR] [--ref REF] [--remote NAME] [--branch BRANCH] [--witness FILE] [--require-signed]',
    description: `Audits the day files of the ledger and every commit that touched them: by default the remote's ledger branch, fetched now (what record just pushed); --ref REF audits a commit-ish of the clone instead (--ref HEAD: the clone as it is). Keeps the last head it verified (per clone under .git/slsa-ledger/, or in --witness FILE) and reports CHECK_HISTORY_REWRITTEN when the new head does not descend from it. Hostile blobs (symlinks, over a limit, too deep, not JSON) are findings, never read past their limit. With a trust policy (trust: in your .slsa-ledger.yml, or --trust-key PUB), also who wrote what: every entry's signed transitions, their signers and chains (docs/trust.md). Exit 1 (CHECK_FINDINGS) when anything is found; --json lists the findings with code, path and commit. Finding codes:\n${Object.entries(
      { ...findingCodes, ...trustFindingCodes },
    )
      .map(([c, d]) => `  ${c}: ${d}`)
      .join('\n')}`,
    options: {
      repo: {
        type: 'string',
        valueName: 'DIR',
        description: 'a clone of the ledger repository, or any folder inside it (default: .)',
      },
      ref: {
        type: 'string',
        valueName: 'REF',
        description:
          "commit-ish of the clone to audit, e.g. HEAD (default: the remote's ledger branch, fetched now)",
      },
      remote: {
        type: 'string',
        valueName: 'NAME',
        description:
          'remote to fetch the ledger from (default: ledger.remote of .slsa-ledger.yml, else origin); with --ref and --branch, the remote of the ledger REF is audited as',
      },
      branch: {
        type: 'string',
        valueName: 'BRANCH',
        description:
          "ledger branch (default: ledger.branch of .slsa-ledger.yml, else the remote's default branch); with --ref, the ledger REF is audited as: every signed statement must name this remote's branch (default: the branch REF tracks, if any)",
      },
      'reports-dir': {
        isRepositoryPath: true,
        type: 'string',
        valueName: 'DIR',
        description: 'ledger folder in the repository (default: ledger.reports_dir, else docs/reports)',
      },
      witness: {
        type: 'string',
        valueName: 'FILE',
        description: 'keep the last verified head in FILE (default: .git/slsa-ledger/check-witness.json)',
      },
      'require-signed': { type: 'boolean', description: 'every ledger commit must pass git verify-commit' },
      ...trustFlags,
    },
    examples: [
      'slsa-ledger check',
      'slsa-ledger check --ref HEAD --json',
      'slsa-ledger check --branch ledger --witness /var/lib/audit/witness.json',
      'slsa-ledger check --require-signed',
      'slsa-ledger check --ref origin/slsa-ledger --trust-key ledger.pub',
      'slsa-ledger check --ref "$GITHUB_SHA" --branch slsa-ledger --trust-key ledger.pub',
    ],
  },
  async run(args, ctx) {
    const given = (name: string, key: string): Record<string, string> => {
      const v = stringFlag(args, name);
      return v === undefined ? {} : { [key]: v };
    };
    const witness = stringFlag(args, 'witness');
    const trust = await checkerTrustFrom(args, ctx);
    const result = await checkLedger({
      ...(trust === undefined ? {} : { trust }),
      repoDir: resolve(ctx.cwd, stringFlag(args, 'repo') ?? '.'),
      ...given('ref', 'ref'),
      ...given('remote', 'remote'),
      ...given('branch', 'branch'),
      ...given('reports-dir', 'reportsDir'),
      ...(witness === undefined ? {} : { witnessFile: resolve(ctx.cwd, witness) }),
      cwd: ctx.cwd,
      requireSigned: booleanFlag(args, 'require-signed'),
      logger: ctx.logger,
    });
    const summary = `${result.files} files, ${result.entries} entries, ${result.commits} commits at ${result.source} ${result.commit.slice(0, 12)}`;
    if (!result.ok) {
      // one finding a line (the CLI escapes line breaks in each: a planted path holding one cannot
      // start a line of its own, a forged finding or a forged "ledger ok")
      throw new VerificationError(
        'CHECK_FINDINGS',
        `${result.findings.length} finding${result.findings.length === 1 ? '' : 's'} in the ledger (${summary}):`,
        {
          details: { ...result },
          lines: result.findings.map(
            (f) =>
              `  ${f.code}${f.path === undefined ? '' : ` ${f.path}`}${f.commit === undefined ? '' : ` @${f.commit.slice(0, 12)}`}: ${f.message}`,
          ),
        },
      );
    }
    // an auditor must see when "ok" says nothing about who wrote the entries
    const signatures = result.signaturesChecked
      ? 'every change signed by a signer of the trust policy'
      : 'signatures not checked: no trust policy (trust: in .slsa-ledger.yml, or --trust-key PUB)';
    return { result, human: `ledger ok: ${summary}; ${signatures}` };
  },
};
