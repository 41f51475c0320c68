import { verifyWithGithub } from '../../app/verify.js';
import type { GithubPolicy } from '../../core/verify/github-policy.js';
import { UsageError } from '../../errors.js';
import { booleanFlag, listFlag, stringFlag } from '../args.js';
import type { CommandContext, CommandResult, ParsedArgs } from '../command.js';
import { defined, renderResult, tufFlags } from './verify.js';

/** gh's policy from the flags (`--repo`/`--owner`, the identity and certificate flags). */
export function githubPolicyFromFlags(args: ParsedArgs): GithubPolicy {
  const opt = (name: string): string | undefined => stringFlag(args, name);
  const repo = opt('repo');
  const ownerFlag = opt('owner');
  if (repo !== undefined && ownerFlag !== undefined) {
    throw new UsageError('USAGE_INVALID_FLAG', '--repo and --owner exclude each other', {
      details: { flag: 'owner' },
    });
  }
  return {
    owner: repo === undefined ? (ownerFlag ?? '') : (repo.split('/')[0] ?? ''),
    denySelfHostedRunners: booleanFlag(args, 'deny-self-hosted-runners'),
    ...defined({
      repo,
      certIdentity: opt('cert-identity'),
      certIdentityRegex: opt('cert-identity-regex'),
      signerRepo: opt('signer-repo'),
      signerWorkflow: opt('signer-workflow'),
      certOidcIssuer: opt('cert-oidc-issuer'),
      signerDigest: opt('signer-digest'),
      sourceDigest: opt('source-digest'),
      sourceRef: opt('source-ref'),
      predicateType: opt('predicate-type'),
    }),
  };
}

/** `verify --repo OWNER/REPO | --owner ORG`: gh attestation verify's policy (app/verify.ts). */
export async function runVerifyGithub(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult> {
  const opt = (name: string): string | undefined => stringFlag(args, name);
  const limitText = opt('limit');
  const limit = limitText === undefined ? undefined : Number(limitText);
  if (limit !== undefined && !Number.isInteger(limit)) {
    throw new UsageError('USAGE_INVALID_FLAG', `--limit takes a number, got '${limitText}'`, {
      details: { flag: 'limit' },
    });
  }
  const digestAlg = opt('digest-alg');
  const digestAlgorithm = digestAlg === 'sha256' || digestAlg === 'sha512' ? digestAlg : undefined;
  if (digestAlg !== undefined && digestAlgorithm === undefined) {
    throw new UsageError('USAGE_INVALID_FLAG', `--digest-alg is sha256 or sha512, got '${digestAlg}'`, {
      details: { flag: 'digest-alg' },
    });
  }
  const githubPolicy = githubPolicyFromFlags(args);
  const result = await verifyWithGithub({
    githubPolicy,
    artifacts: args.positionals,
    digests: listFlag(args, 'digest'),
    provenance: listFlag(args, 'provenance'),
    keys: listFlag(args, 'key'),
    offline: booleanFlag(args, 'offline'),
    tuf: tufFlags(args),
    cwd: ctx.cwd,
    env: ctx.env,
    logger: ctx.logger,
    ...(digestAlgorithm === undefined ? {} : { digestAlgorithm }),
    ...defined({
      trustedRoot: opt('trusted-root'),
      limit,
      apiUrl: ctx.env.GITHUB_API_URL,
      token: ctx.env.GITHUB_TOKEN ?? ctx.env.GH_TOKEN,
    }),
  });
  return renderResult(result, booleanFlag(args, 'print-provenance'));
}
