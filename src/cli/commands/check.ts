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
    usage: 'check [--repo DIR] [--ref REF] [--require-signed]',
    description: `Audits the day files at REF and every commit that touched them; with a trust policy (trust: in your .slsa-ledger.yml, or --trust-key PUB), also who wrote what: every entry's signed transitions, their signers and chains (docs/trust.md). Exit 1 (CHECK_FINDINGS) when anything is found; --json lists the findings with code, path and commit. Finding codes:\n${Object.entries(
      { ...findingCodes, ...trustFindingCodes },
    )
      .map(([c, d]) => `  ${c}: ${d}`)
      .join('\n')}`,
    options: {
      repo: {
        type: 'string',
        valueName: 'DIR',
        description: 'a clone of the ledger repository (default: .)',
      },
      ref: {
        type: 'string',
        valueName: 'REF',
        description: 'commit to audit, e.g. origin/main',
        default: 'HEAD',
      },
      'reports-dir': {
        type: 'string',
        valueName: 'DIR',
        description: 'ledger folder in the repository',
        default: 'docs/reports',
      },
      'require-signed': { type: 'boolean', description: 'every ledger commit must pass git verify-commit' },
      ...trustFlags,
    },
    examples: [
      'slsa-ledger check',
      'slsa-ledger check --ref origin/main --json',
      'slsa-ledger check --require-signed',
      'slsa-ledger check --ref origin/slsa-ledger --trust-key ledger.pub',
    ],
  },
  async run(args, ctx) {
    const trust = await checkerTrustFrom(args, ctx);
    const result = await checkLedger({
      ...(trust === undefined ? {} : { trust }),
      repoDir: resolve(ctx.cwd, stringFlag(args, 'repo') ?? '.'),
      ref: stringFlag(args, 'ref') ?? 'HEAD',
      reportsDir: stringFlag(args, 'reports-dir') ?? 'docs/reports',
      requireSigned: booleanFlag(args, 'require-signed'),
      logger: ctx.logger,
    });
    const summary = `${result.files} files, ${result.entries} entries, ${result.commits} commits at ${result.commit.slice(0, 12)}`;
    if (!result.ok) {
      const lines = result.findings.map(
        (f) =>
          `  ${f.code}${f.path === undefined ? '' : ` ${f.path}`}${f.commit === undefined ? '' : ` @${f.commit.slice(0, 12)}`}: ${f.message}`,
      );
      throw new VerificationError(
        'CHECK_FINDINGS',
        `${result.findings.length} finding${result.findings.length === 1 ? '' : 's'} in the ledger (${summary}):\n${lines.join('\n')}`,
        { details: { ...result } },
      );
    }
    return { result, human: `ledger ok: ${summary}` };
  },
};
