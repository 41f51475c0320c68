import { resolve } from 'node:path';
import { loadCheckerTrust } from '../../app/check-trust.js';
import type { LedgerTrust } from '../../io/trust-policy-file.js';
import { booleanFlag, listFlag, stringFlag } from '../args.js';
import type { CommandContext, OptionSpec, ParsedArgs } from '../command.js';

/** The trust policy's flags, shared by `check`, `flush` and `ingest` (docs/trust.md "The trust policy"). */
export const trustFlags: Readonly<Record<string, OptionSpec>> = {
  'trust-key': {
    type: 'string',
    multiple: true,
    valueName: 'PUB',
    description:
      'a public key trusted to sign ledger changes (repeatable); with a trust: policy in .slsa-ledger.yml, the keys its key_id signers name',
  },
  'trust-config': {
    type: 'string',
    valueName: 'FILE',
    description:
      'the .slsa-ledger.yml holding the trust: policy (default: found from the working directory up)',
  },
  'trusted-root': {
    type: 'string',
    valueName: 'FILE',
    description: 'sigstore trusted_root.json for keyless signers (offline, like verify)',
  },
  offline: { type: 'boolean', description: 'keyless signers: use only the TUF cache' },
};

/** The checker's trust policy from the flags and its own `.slsa-ledger.yml`; undefined when there is none. */
export function checkerTrustFrom(args: ParsedArgs, ctx: CommandContext): Promise<LedgerTrust | undefined> {
  const config = stringFlag(args, 'trust-config');
  const root = stringFlag(args, 'trusted-root');
  return loadCheckerTrust({
    cwd: ctx.cwd,
    ...(config === undefined ? {} : { configPath: resolve(ctx.cwd, config) }),
    trustKeys: listFlag(args, 'trust-key').map((k) => resolve(ctx.cwd, k)),
    ...(root === undefined ? {} : { trustedRoot: resolve(ctx.cwd, root) }),
    offline: booleanFlag(args, 'offline'),
    env: ctx.env,
    logger: ctx.logger,
  });
}
