import { verifyVsa } from '../../app/verify.js';
import { UsageError } from '../../errors.js';
import { booleanFlag, listFlag, stringFlag } from '../args.js';
import type { CommandContext, CommandResult, ParsedArgs } from '../command.js';
import { githubPolicyFromFlags } from './verify-github.js';
import { defined, tufFlags } from './verify.js';

/**
 * `verify --vsa FILE`: slsa-verifier verify-vsa's check (app/verify.ts verifyVsa). Key-signed with
 * `--key`; keyless with `--repo`/`--owner` (gh's policy) or the certificate identity flags alone.
 */
export async function runVerifyVsa(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const opt = (name: string): string | undefined => stringFlag(args, name);
  const need = (name: string): string => {
    const v = opt(name);
    if (v === undefined || v === '') {
      throw new UsageError('USAGE_MISSING_FLAG', `verify --vsa needs --${name}`, { details: { flag: name } });
    }
    return v;
  };
  const levels = listFlag(args, 'verified-level');
  const scoped = opt('repo') !== undefined || opt('owner') !== undefined;
  const { statement, predicate, signer } = await verifyVsa({
    vsa: need('vsa'),
    keys: listFlag(args, 'key'),
    artifacts: args.positionals,
    subjectDigests: listFlag(args, 'digest'),
    verifierId: need('verifier-id'),
    resourceUri: need('resource-uri'),
    cwd: ctx.cwd,
    env: ctx.env,
    logger: ctx.logger,
    offline: booleanFlag(args, 'offline'),
    tuf: tufFlags(args),
    ...(scoped ? { githubPolicy: githubPolicyFromFlags(args) } : {}),
    identity: defined({
      certIdentity: opt('cert-identity'),
      certIdentityRegex: opt('cert-identity-regex'),
      signerRepo: opt('signer-repo'),
      signerWorkflow: opt('signer-workflow'),
      certOidcIssuer: opt('cert-oidc-issuer'),
    }),
    ...defined({
      trustedRoot: opt('trusted-root'),
      publicKeyId: opt('public-key-id'),
      verifiedLevels: levels.length === 0 ? undefined : levels,
    }),
  });
  return {
    result: { ok: true, predicate, signer },
    human: `PASSED vsa by ${predicate.verifier.id} for ${predicate.resourceUri} (${predicate.verifiedLevels.join(', ')}), signed by ${
      signer.kind === 'certificate' ? signer.subjectAlternativeName : `key ${signer.keyId}`
    }`,
    ...(args.values['print-provenance'] === true ? { stdout: JSON.stringify(statement) } : {}),
  };
}
