import { resolve } from 'node:path';
import type { LedgerAlert, LedgerWriteOptions } from '../../app/ledger-engine.js';
import { prepareLedgerSigning, type LedgerSigning } from '../../app/ledger-signing.js';
import { booleanFlag, integerFlag, stringFlag } from '../args.js';
import type { CommandContext, OptionSpec, ParsedArgs } from '../command.js';

/** How `record`, `flush` and `validate --record` sign their changes (docs/trust.md "Signing"). */
export const signingFlags: Readonly<Record<string, OptionSpec>> = {
  sign: {
    type: 'string',
    valueName: 'sigstore',
    description: 'sign changes keylessly with the workflow identity (default in GitHub Actions)',
  },
  'sign-key': {
    type: 'string',
    valueName: 'FILE',
    description:
      'sign changes with an ed25519 or P-256 PEM private key (slsa-ledger keygen; passphrase: SLSA_LEDGER_KEY_PASSPHRASE)',
  },
  'no-sign': {
    type: 'boolean',
    description: 'write changes unsigned (check with a trust policy reports them: CHECK_ENTRY_UNSIGNED)',
  },
  'fulcio-url': {
    type: 'string',
    valueName: 'URL',
    description: 'with --sign sigstore: the Fulcio url (default: SLSA_LEDGER_FULCIO_URL, else public good)',
    receivesCredential: 'the OIDC identity token',
  },
  'rekor-url': {
    type: 'string',
    valueName: 'URL',
    description: 'with --sign sigstore: the Rekor url (default: SLSA_LEDGER_REKOR_URL, else public good)',
  },
};

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
    isRepositoryPath: true,
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
  'clock-skew': {
    type: 'string',
    valueName: 'SECONDS',
    description: 'how far ahead of the clock a timestamp may be (default: ledger.clock_skew, else 300)',
  },
  ...signingFlags,
};

/**
 * The alert path of the writers (issue 14 item 5): `ledger-history-rewritten` goes through
 * `notify` (Slack, and the notifications log) when SLACK_WEBHOOK_URL is set; it is always in the
 * result and on stderr.
 */
export function ledgerAlertOf(ctx: CommandContext): ((alert: LedgerAlert) => Promise<void>) | undefined {
  const webhookUrl = ctx.env.SLACK_WEBHOOK_URL;
  if (webhookUrl === undefined || webhookUrl === '') return undefined;
  return async (alert) => {
    const { notifyEvent } = await import('../../app/notify.js');
    await notifyEvent({
      event: alert.event,
      subject: {
        tag: alert.tag ?? `${alert.remote}/${alert.branch}`,
        ...(alert.run_id === undefined ? {} : { run_id: alert.run_id }),
        failure_reason: `${alert.code}: ${alert.message}`.slice(0, 1000),
      },
      webhookUrl,
      logger: ctx.logger,
    });
  };
}

export function clockSkewOption(args: ParsedArgs): { clockSkewS?: number } {
  const skew = integerFlag(args, 'clock-skew', { min: 0, max: 86_400 });
  return skew === undefined ? {} : { clockSkewS: skew };
}

export function alertOption(ctx: CommandContext): { alert?: (alert: LedgerAlert) => Promise<void> } {
  const alert = ledgerAlertOf(ctx);
  return alert === undefined ? {} : { alert };
}

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
    ...clockSkewOption(args),
    ...alertOption(ctx),
    logger: ctx.logger,
    ...(lockDir === undefined || lockDir === '' ? {} : { lockDir }),
  };
}

/**
 * The signer from the signing flags, loaded before anything is written.
 * @throws `TRUST_SIGN_MODE_REQUIRED` outside GitHub Actions without a flag, `INPUT_KEY_INVALID`
 */
export function ledgerSigningFrom(
  args: ParsedArgs,
  ctx: CommandContext,
  writer: 'record' | 'validate',
): Promise<LedgerSigning> {
  const signKey = stringFlag(args, 'sign-key');
  const sign = stringFlag(args, 'sign');
  // a private Sigstore instance can be named once for every step (SLSA_LEDGER_FULCIO_URL/_REKOR_URL)
  const fulcioUrl = stringFlag(args, 'fulcio-url') ?? (ctx.env.SLSA_LEDGER_FULCIO_URL || undefined);
  const rekorUrl = stringFlag(args, 'rekor-url') ?? (ctx.env.SLSA_LEDGER_REKOR_URL || undefined);
  return prepareLedgerSigning({
    writer,
    env: ctx.env,
    ...(sign === undefined ? {} : { sign }),
    ...(signKey === undefined ? {} : { signKey: resolve(ctx.cwd, signKey) }),
    ...(booleanFlag(args, 'no-sign') ? { noSign: true } : {}),
    ...(fulcioUrl === undefined ? {} : { fulcioUrl }),
    ...(rekorUrl === undefined ? {} : { rekorUrl }),
  });
}
