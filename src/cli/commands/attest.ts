import { attestArtifacts, resolveBuildContext } from '../../app/attest.js';
import { SlsaLedgerError } from '../../errors.js';
import { booleanFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';

const s = (valueName: string, description: string) => ({ type: 'string', valueName, description }) as const;

export const command: CommandModule = {
  spec: {
    name: 'attest',
    summary: 'hash artifacts and write signed SLSA provenance',
    usage: 'attest FILE… (--key PEM | --sigstore) [options]',
    description:
      'Hashes the artifacts (streamed SHA-256, in parallel), builds an in-toto Statement v1 with the SLSA Provenance v1 predicate shaped as actions/attest-build-provenance shapes it, signs it as DSSE and writes it atomically. The build context comes from the GitHub Actions environment or the flags below. The key passphrase comes from SLSA_LEDGER_KEY_PASSPHRASE.',
    positionals: { name: 'FILE…', min: 0 },
    options: {
      key: s('PEM', 'ed25519 or ecdsa p-256 private key (pem)'),
      sigstore: { type: 'boolean', description: 'keyless signing: fulcio certificate + rekor entry' },
      'fulcio-url': {
        ...s('URL', 'fulcio url (default: sigstore public good)'),
        receivesCredential: 'the OIDC identity token',
      },
      'rekor-url': s('URL', 'rekor url (default: sigstore public good)'),
      'tsa-url': s('URL', 'rfc 3161 timestamp authority url (optional)'),
      'subjects-from': s('FILE', 'more subjects, in sha256sum format'),
      out: {
        ...s(
          'FILE',
          'output (default: provenance.sigstore.json, or provenance.intoto.jsonl with --format dsse)',
        ),
        isOutputPath: true,
      },
      format: {
        ...s('FORMAT', 'bundle (sigstore bundle v0.3) or dsse (one envelope per line)'),
        default: 'bundle',
      },
      repository: s('URL', 'repository, https://github.com/OWNER/REPO (GITHUB_REPOSITORY)'),
      ref: s('REF', 'git ref built, e.g. refs/tags/v1.2.3 (GITHUB_REF)'),
      sha: s('SHA', 'commit built (GITHUB_SHA)'),
      'workflow-path': s('PATH', 'workflow file, e.g. .github/workflows/release.yml (GITHUB_WORKFLOW_REF)'),
      'run-id': s('N', 'workflow run id (GITHUB_RUN_ID)'),
      'run-attempt': s('N', 'run attempt (GITHUB_RUN_ATTEMPT, default 1)'),
      'event-name': s('E', 'triggering event, e.g. push (GITHUB_EVENT_NAME)'),
      'builder-id': s('ID', 'builder id (default: <server>/<workflow ref>)'),
    },
    examples: [
      'slsa-ledger attest dist/*.tar.gz --key signing.pem --out release.sigstore.json',
      'slsa-ledger attest --subjects-from SHA256SUMS --sigstore',
      'slsa-ledger attest app.bin --key k.pem --repository https://github.com/o/r --ref refs/tags/v1.0.0 --sha <40 hex> --workflow-path .github/workflows/release.yml --run-id 42 --event-name push',
    ],
  },
  async run(args, ctx) {
    const format = stringFlag(args, 'format');
    const key = stringFlag(args, 'key');
    const sigstore = booleanFlag(args, 'sigstore');
    if (format !== 'bundle' && format !== 'dsse') {
      throw new SlsaLedgerError(
        'USAGE_INVALID_FLAG',
        `--format takes bundle or dsse, got '${String(format)}'`,
      );
    }
    if ((key === undefined) === !sigstore) {
      throw new SlsaLedgerError('USAGE_MISSING_FLAG', 'pass exactly one of --key PEM or --sigstore');
    }
    const opt = (name: string): string | undefined => stringFlag(args, name);
    const context = resolveBuildContext(
      defined({
        repository: opt('repository'),
        ref: opt('ref'),
        sha: opt('sha'),
        workflowPath: opt('workflow-path'),
        runId: opt('run-id'),
        runAttempt: opt('run-attempt'),
        eventName: opt('event-name'),
        builderId: opt('builder-id'),
      }),
      ctx.env,
    );
    const result = await attestArtifacts({
      files: args.positionals,
      context,
      signing:
        key !== undefined
          ? { kind: 'key', keyPath: key, ...defined({ passphrase: ctx.env.SLSA_LEDGER_KEY_PASSPHRASE }) }
          : {
              kind: 'sigstore',
              env: ctx.env,
              ...defined({
                fulcioUrl: opt('fulcio-url'),
                rekorUrl: opt('rekor-url'),
                tsaUrl: opt('tsa-url'),
              }),
            },
      format,
      cwd: ctx.cwd,
      logger: ctx.logger,
      ...defined({ subjectsFrom: opt('subjects-from'), out: opt('out') }),
    });
    const { statement: _statement, ...summary } = result;
    return {
      result: summary,
      human: [
        `attested ${result.subjects.length} subject(s) → ${result.out} (${result.format})`,
        ...result.subjects.map((x) => `  ${x.sha256}  ${x.name}`),
        `builder ${result.builderId}`,
      ].join('\n'),
    };
  },
};

/** Drops undefined fields, so absent flags stay absent (exactOptionalPropertyTypes). */
function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
