import { verifyArtifacts, type VerifyResult } from '../../app/verify.js';
import type { VerificationPolicy } from '../../core/verify/types.js';
import { booleanFlag, keyValueFlag, listFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';

const s = (valueName: string, description: string) => ({ type: 'string', valueName, description }) as const;

export const command: CommandModule = {
  spec: {
    name: 'verify',
    summary: 'verify artifacts against provenance and a policy',
    usage: 'verify FILE… --provenance P --source-uri github.com/OWNER/REPO [options]',
    description:
      'Checks the signature (--key for key-signed provenance; Sigstore trust for certificate-signed), the payload and predicate types, the builder, the source, every artifact digest among the subjects, and the ref, tag, inputs and commit asked for (slsa-verifier semantics; the first failed check is the answer, exit 1). With several --provenance files or a directory, every artifact gets a verdict line and the exit code is 1 if any fails.',
    positionals: { name: 'FILE…', min: 1 },
    options: {
      provenance: { ...s('FILE', 'provenance file or directory of them'), multiple: true, required: true },
      'source-uri': { ...s('URI', 'expected source repository, github.com/OWNER/REPO'), required: true },
      'source-tag': s('TAG', 'expected tag, exactly'),
      'source-versioned-tag': s('TAG', 'expected semver tag: major must match, minor/patch if given'),
      'source-branch': s('BRANCH', 'expected branch'),
      'builder-id': s('ID', 'expected builder id (name[@version])'),
      'build-workflow-input': { ...s('K=V', 'expected workflow_dispatch input'), multiple: true },
      commit: s('SHA', 'expected source commit'),
      key: s('PEM', 'public key (pem) for key-signed provenance'),
      'trusted-root': s('FILE', 'sigstore trusted_root.json for certificate-signed provenance'),
      offline: { type: 'boolean', description: 'never fetch trust material' },
      'print-provenance': { type: 'boolean', description: 'print the verified statement json on stdout' },
    },
    examples: [
      'slsa-ledger verify app.tar.gz --provenance app.sigstore.json --key signing.pub --source-uri github.com/o/r --source-tag v1.2.3',
      'slsa-ledger verify dist/* --provenance provenance/ --source-uri github.com/o/r --trusted-root trusted_root.json --offline',
    ],
  },
  async run(args, ctx) {
    const opt = (name: string): string | undefined => stringFlag(args, name);
    const inputs = keyValueFlag(args, 'build-workflow-input');
    const policy: VerificationPolicy = {
      sourceUri: opt('source-uri') ?? '',
      ...defined({
        sourceTag: opt('source-tag'),
        sourceVersionedTag: opt('source-versioned-tag'),
        sourceBranch: opt('source-branch'),
        builderId: opt('builder-id'),
        commit: opt('commit'),
        buildWorkflowInputs: inputs,
      }),
    };
    const result = await verifyArtifacts({
      artifacts: args.positionals,
      provenance: listFlag(args, 'provenance'),
      policy,
      offline: booleanFlag(args, 'offline'),
      cwd: ctx.cwd,
      env: ctx.env,
      logger: ctx.logger,
      ...defined({ key: opt('key'), trustedRoot: opt('trusted-root') }),
    });
    const { statements, ...summary } = result;
    return {
      result: summary,
      human: renderVerdicts(result),
      ...(booleanFlag(args, 'print-provenance')
        ? { stdout: statements.map((st) => JSON.stringify(st)).join('\n') }
        : {}),
      ...(result.ok ? {} : { exitCode: 1 }),
    };
  },
};

function renderVerdicts(result: VerifyResult): string {
  const lines = result.verdicts.map((v) =>
    v.ok
      ? `PASSED ${v.artifact}  (${v.provenance ?? ''}, builder ${v.builderId ?? ''})`
      : `FAILED ${v.artifact}  ${v.code ?? ''}: ${v.message ?? ''}`,
  );
  const failed = result.verdicts.filter((v) => !v.ok).length;
  lines.push(
    failed === 0
      ? `verified ${result.verdicts.length} artifact(s)`
      : `${failed} of ${result.verdicts.length} artifact(s) failed verification`,
  );
  return lines.join('\n');
}

/** Drops undefined fields, so absent flags stay absent (exactOptionalPropertyTypes). */
function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
