import { verifyArtifacts, type TufSourceOptions, type VerifyResult } from '../../app/verify.js';
import type { VerificationPolicy } from '../../core/verify/types.js';
import { UsageError } from '../../errors.js';
import { escapeUnprintable, stringifyJsonPrintable } from '../../core/text/unprintable.js';
import { booleanFlag, keyValueFlag, listFlag, stringFlag } from '../args.js';
import type { CommandModule, ParsedArgs } from '../command.js';

const s = (valueName: string, description: string) => ({ type: 'string', valueName, description }) as const;

export const command: CommandModule = {
  spec: {
    name: 'verify',
    summary: 'verify artifacts against provenance and a policy',
    usage:
      'verify [FILE…] [--digest ALG:HEX] (--provenance P --source-uri github.com/OWNER/REPO | --repo OWNER/REPO | --owner ORG | --vsa VSA) [options]',
    description:
      "Checks the signature (--key for key-signed provenance; Sigstore trust for certificate-signed), the payload and predicate types, the builder, the source, every artifact digest among the subjects, the ref, tag, inputs and commit asked for, and in an npm registry attestations document the registry's publish attestation and the package asked for (slsa-verifier semantics; the first failed check is the answer, exit 1). With several --provenance files or a directory, every artifact gets a verdict line and the exit code is 1 if any fails. With --repo or --owner it checks with `gh attestation verify` semantics, fetching the attestations from GitHub unless --provenance is given. With --vsa it checks a verification summary attestation as slsa-verifier verify-vsa does: key-signed with --key, keyless (what validate --record writes in GitHub Actions) under the trusted roots with its signer named by --repo/--owner and --signer-workflow (gh semantics) or by --cert-identity/--cert-identity-regex/--signer-workflow alone.",
    positionals: { name: 'FILE…', min: 0 },
    options: {
      provenance: { ...s('FILE', 'provenance file or directory of them'), multiple: true },
      digest: {
        ...s('ALG:HEX', 'an artifact by digest, without the file (sha256:…, sha512:…)'),
        multiple: true,
      },
      'source-uri': s('URI', 'expected source repository, github.com/OWNER/REPO'),
      'source-tag': s('TAG', 'expected tag, exactly'),
      'source-versioned-tag': s('TAG', 'expected semver tag: major must match, minor/patch if given'),
      'source-branch': s('BRANCH', 'expected branch'),
      // empty is absent, as slsa-verifier reads `--builder-id ""` (docs/verifying.md, deviations)
      'builder-id': { ...s('ID', 'expected builder id (name[@version])'), allowEmpty: true },
      'build-workflow-input': { ...s('K=V', 'expected workflow_dispatch input'), multiple: true },
      commit: s('SHA', 'expected source commit'),
      'package-name': s(
        'NAME',
        "npm: the package the provenance and npm's publish attestation must name (@scope/name)",
      ),
      'package-version': s('VERSION', 'npm: the version they must name'),
      'predicate-type': s(
        'URI',
        'predicate type to verify (default slsa provenance; https://in-toto.io/attestation/release/v0.1 for release attestations)',
      ),
      key: {
        ...s('PEM', 'public key (pem) for key-signed provenance; repeat for rotated keys'),
        multiple: true,
      },
      'trusted-root': s('FILE', 'sigstore trusted_root.json, or the output of gh attestation trusted-root'),
      offline: { type: 'boolean', description: 'never fetch trust material' },
      'tuf-mirror': s(
        'URL',
        "sigstore public good's tuf repository (default https://tuf-repo-cdn.sigstore.dev)",
      ),
      'tuf-root': s('FILE', 'the initial root.json of --tuf-mirror (needed for another mirror)'),
      'github-tuf-mirror': s('URL', "github's sigstore tuf repository (default https://tuf-repo.github.com)"),
      'github-tuf-root': s(
        'FILE',
        'the initial root.json of --github-tuf-mirror (default: the one gh embeds)',
      ),
      'tuf-cache': s('DIR', 'tuf cache (default $XDG_CACHE_HOME/slsa-ledger/sigstore-tuf)'),
      'print-provenance': { type: 'boolean', description: 'print the verified statement json on stdout' },
      repo: s('OWNER/REPO', 'gh mode: the repository the artifact belongs to (fetches attestations)'),
      owner: s('ORG', 'gh mode: the organisation the artifact belongs to (fetches attestations)'),
      'signer-workflow': s('[HOST/]OWNER/REPO/PATH', 'gh mode: workflow that signed (a reusable workflow)'),
      'signer-repo': s('OWNER/REPO', 'gh mode: repository of the workflow that signed'),
      'cert-identity': s('URI', 'gh mode: the certificate identity, exactly'),
      'cert-identity-regex': s('REGEX', 'gh mode: the certificate identity, as a regular expression'),
      'cert-oidc-issuer': s(
        'URI',
        'gh mode: oidc issuer (default https://token.actions.githubusercontent.com)',
      ),
      'deny-self-hosted-runners': { type: 'boolean', description: 'gh mode: refuse self-hosted runners' },
      'source-digest': s('SHA', 'gh mode: the source commit the certificate names'),
      'source-ref': s('REF', 'gh mode: the source ref the certificate names'),
      'signer-digest': s('SHA', 'gh mode: the signing workflow commit the certificate names'),
      limit: s('N', 'gh mode: attestations to fetch at most (1..1000, default 30)'),
      'digest-alg': s('ALG', 'gh mode: digest a file is looked up by, sha256 (default) or sha512'),
      vsa: s('FILE', 'a verification summary attestation to check (as slsa-verifier verify-vsa)'),
      'verifier-id': s('ID', '--vsa: the expected verifier.id'),
      'resource-uri': s('URI', '--vsa: the expected resourceUri'),
      'verified-level': {
        ...s('LEVEL', '--vsa: a level the vsa must state (SLSA_BUILD_LEVEL_3)'),
        multiple: true,
      },
      // an empty key id is one a signature may name (slsa-verifier's verify-vsa data has that case):
      // checked against the VSA, as slsa-verifier does, not refused as a missing value
      'public-key-id': { ...s('ID', '--vsa: the key id the signature must name'), allowEmpty: true },
    },
    examples: [
      'slsa-ledger verify app.tar.gz --provenance app.sigstore.json --key signing.pub --source-uri github.com/o/r --source-tag v1.2.3',
      'slsa-ledger verify dist/* --provenance provenance/ --source-uri github.com/o/r --trusted-root trusted_root.json --offline',
      'slsa-ledger verify sigstore-2.1.0.tgz --provenance attestations.json --source-uri github.com/sigstore/sigstore-js --builder-id https://github.com/actions/runner/github-hosted --package-name sigstore --package-version 2.1.0',
      'slsa-ledger verify app.zip --repo o/r --signer-workflow o/r/.github/workflows/release.yml',
      'slsa-ledger verify --digest sha256:… --vsa app.vsa.json --key verifier.pub --verifier-id https://example.com/verifier --resource-uri git+https://github.com/o/r',
      'slsa-ledger verify app.tar.gz --vsa app.vsa.json --repo o/r --signer-workflow o/r/.github/workflows/provenance-validate.yml --verifier-id https://github.com/o/r/.github/workflows/provenance-validate.yml --resource-uri git+https://github.com/o/r@refs/tags/v1.2.3',
    ],
  },
  async run(args, ctx) {
    const opt = (name: string): string | undefined => stringFlag(args, name);
    refuseOtherModesFlags(args);
    if (opt('vsa') !== undefined) {
      const { runVerifyVsa } = await import('./verify-vsa.js');
      return runVerifyVsa(args, ctx);
    }
    if (opt('repo') !== undefined || opt('owner') !== undefined) {
      const { runVerifyGithub } = await import('./verify-github.js');
      return runVerifyGithub(args, ctx);
    }
    if (opt('source-uri') === undefined) {
      throw new UsageError(
        'USAGE_MISSING_FLAG',
        'verify needs --source-uri github.com/OWNER/REPO (or --repo/--owner)',
        {
          details: { flag: 'source-uri' },
        },
      );
    }
    const inputs = keyValueFlag(args, 'build-workflow-input');
    const policy: VerificationPolicy = {
      sourceUri: opt('source-uri') ?? '',
      ...defined({
        sourceTag: opt('source-tag'),
        sourceVersionedTag: opt('source-versioned-tag'),
        sourceBranch: opt('source-branch'),
        builderId: opt('builder-id'),
        commit: opt('commit'),
        predicateType: opt('predicate-type'),
        packageName: opt('package-name'),
        packageVersion: opt('package-version'),
        buildWorkflowInputs: inputs,
      }),
    };
    const result = await verifyArtifacts({
      artifacts: args.positionals,
      digests: listFlag(args, 'digest'),
      provenance: listFlag(args, 'provenance'),
      policy,
      offline: booleanFlag(args, 'offline'),
      cwd: ctx.cwd,
      env: ctx.env,
      logger: ctx.logger,
      keys: listFlag(args, 'key'),
      tuf: tufFlags(args),
      ...defined({ trustedRoot: opt('trusted-root') }),
    });
    return renderResult(result, booleanFlag(args, 'print-provenance'));
  },
};

const COMMON_FLAGS = [
  'digest',
  'key',
  'trusted-root',
  'offline',
  'tuf-mirror',
  'tuf-root',
  'github-tuf-mirror',
  'github-tuf-root',
  'tuf-cache',
  'print-provenance',
  'json',
  'verbose',
  'help',
];
const IDENTITY_FLAGS = [
  'signer-workflow',
  'signer-repo',
  'cert-identity',
  'cert-identity-regex',
  'cert-oidc-issuer',
];
const GH_POLICY_FLAGS = [
  'repo',
  'owner',
  ...IDENTITY_FLAGS,
  'deny-self-hosted-runners',
  'source-digest',
  'source-ref',
  'signer-digest',
];
/** the flags each mode of `verify` reads; it reads no other */
const MODE_FLAGS = {
  'slsa-verifier': [
    'provenance',
    'source-uri',
    'source-tag',
    'source-versioned-tag',
    'source-branch',
    'builder-id',
    'build-workflow-input',
    'commit',
    'package-name',
    'package-version',
    'predicate-type',
  ],
  gh: ['provenance', ...GH_POLICY_FLAGS, 'limit', 'digest-alg', 'predicate-type'],
  vsa: ['vsa', 'verifier-id', 'resource-uri', 'verified-level', 'public-key-id', ...IDENTITY_FLAGS],
  'vsa-gh': ['vsa', 'verifier-id', 'resource-uri', 'verified-level', 'public-key-id', ...GH_POLICY_FLAGS],
} as const;
const MODE_NAMES: Record<keyof typeof MODE_FLAGS, string> = {
  'slsa-verifier': "slsa-verifier's policy (--provenance with --source-uri)",
  gh: "gh attestation verify's policy (--repo/--owner)",
  vsa: '--vsa (keyless: --cert-identity, --cert-identity-regex, --signer-workflow, --signer-repo)',
  'vsa-gh': '--vsa with --repo/--owner',
};

/**
 * A flag given on the command line that the chosen mode does not read is a usage error: it would
 * not be checked, and a verdict that passes without the check asked for is a wrong verdict
 * (`--repo o/r --source-tag v1` passed any tag, `--source-uri … --signer-workflow …` any workflow).
 * The config file's defaults are not refused (one `verify:` section serves every mode).
 */
export function refuseOtherModesFlags(args: ParsedArgs): void {
  const given = args.given;
  if (given === undefined) return;
  const has = (name: string): boolean => args.values[name] !== undefined && args.values[name] !== false;
  const mode: keyof typeof MODE_FLAGS = has('vsa')
    ? has('repo') || has('owner')
      ? 'vsa-gh'
      : 'vsa'
    : has('repo') || has('owner')
      ? 'gh'
      : 'slsa-verifier';
  const allowed = new Set<string>([...COMMON_FLAGS, ...MODE_FLAGS[mode]]);
  const refused = [...given].filter((f) => !allowed.has(f)).sort();
  const first = refused[0];
  if (first === undefined) return;
  const hint =
    mode === 'gh' && (first === 'source-tag' || first === 'source-branch')
      ? '; gh checks the ref with --source-ref refs/tags/TAG (or refs/heads/BRANCH)'
      : mode === 'gh' && first === 'commit'
        ? '; gh checks the commit with --source-digest SHA'
        : mode === 'vsa' && GH_POLICY_FLAGS.includes(first)
          ? '; with --repo/--owner (gh policy) it is checked'
          : '';
  throw new UsageError(
    'USAGE_INVALID_FLAG',
    `${refused.map((f) => `--${f}`).join(', ')} ${refused.length > 1 ? 'are' : 'is'} not read by ${MODE_NAMES[mode]}: it would not be checked${hint}`,
    { details: { flag: first, mode, flags: refused } },
  );
}

/** The command's answer for a VerifyResult (shared with gh mode). */
export function renderResult(
  result: VerifyResult,
  printProvenance: boolean,
): { result: unknown; human: string; stdout?: string; exitCode?: number } {
  const { statements, ...summary } = result;
  return {
    result: summary,
    human: renderVerdicts(result),
    ...(printProvenance ? { stdout: statements.map((st) => stringifyJsonPrintable(st)).join('\n') } : {}),
    ...(result.ok ? {} : { exitCode: 1 }),
  };
}

function renderVerdicts(result: VerifyResult): string {
  // one verdict a line: a file name, builder id or message holding a line break (quoting what a
  // provenance says) is escaped, so it cannot start a line of its own (a forged PASSED line)
  const e = escapeUnprintable;
  const lines = result.unreadable.map((u) => `UNREADABLE ${e(u.provenance)}  ${u.code}: ${e(u.message)}`);
  lines.push(
    ...result.verdicts.map((v) =>
      v.ok
        ? `PASSED ${e(v.artifact)}  (${e(v.provenance ?? '')}, builder ${e(v.builderId ?? '')}${(v.matched?.length ?? 0) > 1 ? `, ${v.matched?.length} attestations matched` : ''})`
        : `FAILED ${e(v.artifact)}  ${v.code ?? ''}: ${e(v.message ?? '')}`,
    ),
  );
  const failed = result.verdicts.filter((v) => !v.ok).length;
  lines.push(
    failed === 0 && result.unreadable.length === 0
      ? `verified ${result.verdicts.length} artifact(s)`
      : `${failed} of ${result.verdicts.length} artifact(s) failed verification${result.unreadable.length > 0 ? `, ${result.unreadable.length} provenance file(s) unreadable` : ''}`,
  );
  return lines.join('\n');
}

/** `--tuf-mirror`, `--tuf-root`, `--github-tuf-mirror`, `--github-tuf-root`, `--tuf-cache`. */
export function tufFlags(args: ParsedArgs): TufSourceOptions {
  const opt = (name: string): string | undefined => stringFlag(args, name);
  return defined({
    mirrorUrl: opt('tuf-mirror'),
    rootPath: opt('tuf-root'),
    githubMirrorUrl: opt('github-tuf-mirror'),
    githubRootPath: opt('github-tuf-root'),
    cacheDir: opt('tuf-cache'),
  });
}

/** Drops undefined fields, so absent flags stay absent (exactOptionalPropertyTypes). */
export function defined<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
