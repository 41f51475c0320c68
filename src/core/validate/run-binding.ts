import { VerificationError } from '../../errors.js';
import type { InTotoStatement, SignerIdentity } from '../verify/types.js';

/** The workflow run a verified provenance says built it, and where that was read. */
export interface NamedRun {
  /** decimal run id, exactly as signed */
  readonly runId: string;
  readonly attempt?: string;
  /** `HOST/OWNER/REPO` (lower case) when the signed value is a run URL */
  readonly repository?: string;
  readonly from: 'certificate' | 'predicate';
  /** the signed value, e.g. `https://github.com/o/r/actions/runs/123/attempts/1` or `123-1` */
  readonly value: string;
}

function record(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Reads a run out of a signed value: the run URL GitHub's Fulcio writes in the Run Invocation URI
 * extension (1.3.6.1.4.1.57264.1.21) and slsa-github-generator / actions/attest-build-provenance
 * write as `runDetails.metadata.invocationId` (`https://HOST/OWNER/REPO/actions/runs/RUN/attempts/N`),
 * or slsa-github-generator's SLSA v0.2 `buildInvocationID` (`RUN-ATTEMPT`, e.g. `13530999509-1`).
 * Anything else names no run we can read. Host, owner and repository are held to the characters
 * GitHub allows, so a value quoted in a message or a log line is plain text.
 */
export function parseRunReference(
  value: string,
): { runId: string; attempt?: string; repository?: string } | undefined {
  const url =
    /^https:\/\/([A-Za-z0-9.-]+(?::[0-9]+)?)\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/actions\/runs\/([1-9][0-9]*)(?:\/attempts\/([1-9][0-9]*))?\/?$/.exec(
      value,
    );
  if (url !== null) {
    return {
      runId: url[4]!,
      ...(url[5] === undefined ? {} : { attempt: url[5] }),
      repository: `${url[1]}/${url[2]}/${url[3]}`.toLowerCase(),
    };
  }
  const pair = /^([1-9][0-9]*)-([1-9][0-9]*)$/.exec(value);
  if (pair !== null) return { runId: pair[1]!, attempt: pair[2]! };
  return undefined;
}

/**
 * The run a verified provenance names: the certificate's Run Invocation URI when the signer is a
 * Fulcio certificate that carries one (GitHub's own statement about the job that signed), else the
 * predicate's invocation id (SLSA v1 `runDetails.metadata.invocationId`; SLSA v0.2
 * `metadata.buildInvocationID` as slsa-github-generator writes it through in-toto-golang, or
 * `buildInvocationId` as the v0.2 spec and the npm CLI spell it; failing those, v0.2's
 * `invocation.environment` run id). Undefined: it names no run.
 */
export function runNamedBy(statement: InTotoStatement, signer: SignerIdentity): NamedRun | undefined {
  if (signer.kind === 'certificate' && signer.runInvocationUri !== undefined) {
    const run = parseRunReference(signer.runInvocationUri);
    if (run !== undefined) return { ...run, from: 'certificate', value: signer.runInvocationUri };
  }
  const predicate = record(statement.predicate);
  const candidates = [
    record(record(predicate?.runDetails)?.metadata)?.invocationId,
    record(predicate?.metadata)?.buildInvocationID,
    record(predicate?.metadata)?.buildInvocationId,
  ];
  for (const candidate of candidates) {
    if (typeof candidate !== 'string') continue;
    const run = parseRunReference(candidate);
    if (run !== undefined) return { ...run, from: 'predicate', value: candidate };
  }
  // SLSA v0.2 without an invocation id: the run in the recorded environment (slsa-github-generator's
  // `github_run_id`, the npm CLI's `GITHUB_RUN_ID`)
  const environment = record(record(predicate?.invocation)?.environment);
  for (const name of ['github_run_id', 'GITHUB_RUN_ID']) {
    const value = environment?.[name];
    if (typeof value === 'string' && /^[1-9][0-9]*$/.test(value)) {
      return { runId: value, from: 'predicate', value: `invocation.environment.${name} ${value}` };
    }
  }
  return undefined;
}

export interface RunBindingInput {
  readonly tag: string;
  /** the entry's run_id */
  readonly entryRunId: number;
  /** `--provenance-run`: the run that built the provenance, when it is not the entry's */
  readonly provenanceRun?: number;
  /** the entry's source repository, `HOST/OWNER/REPO` (the policy's sourceUri) */
  readonly sourceUri: string;
  /** `--require-run-binding`: provenance that names no run fails instead of passing with a note */
  readonly requireRun?: boolean;
  readonly provenance: readonly {
    readonly source: string;
    readonly statement: InTotoStatement;
    readonly signer: SignerIdentity;
  }[];
}

export interface RunBindingResult {
  /** the runs the provenance names, one per document */
  readonly runs: readonly (NamedRun & { readonly source: string })[];
  /** documents that name no run (accepted unless requireRun) */
  readonly unbound: readonly string[];
}

/**
 * Ties the verified provenance to the ledger entry's run: every document that names a run must
 * name the entry's `run_id` (or `--provenance-run`), in the entry's repository when the signed
 * value is a URL. A genuine provenance of another run of the same tag, planted under a run that
 * built nothing, is VALIDATE_RUN_MISMATCH; a document naming no run is VALIDATE_RUN_UNBOUND only
 * with requireRun.
 */
export function checkRunBinding(input: RunBindingInput): RunBindingResult {
  const expected = String(input.provenanceRun ?? input.entryRunId);
  const expectedRepository = input.sourceUri.toLowerCase();
  const whose =
    input.provenanceRun === undefined
      ? `the ledger entry's run ${input.entryRunId} of ${input.tag}`
      : `run ${input.provenanceRun} given with --provenance-run for ${input.tag} run ${input.entryRunId}`;
  const runs: (NamedRun & { source: string })[] = [];
  const unbound: string[] = [];
  for (const p of input.provenance) {
    const run = runNamedBy(p.statement, p.signer);
    if (run === undefined) {
      unbound.push(p.source);
      continue;
    }
    const where = run.from === 'certificate' ? 'its certificate' : 'its predicate';
    if (run.runId !== expected) {
      throw new VerificationError(
        'VALIDATE_RUN_MISMATCH',
        `the provenance was built by run ${run.runId}${run.repository === undefined ? '' : ` of ${run.repository}`} (${where} names ${run.value}), not by ${whose}: a provenance of another run cannot vouch for this one (if a separate workflow run built it, name that run with --provenance-run ${run.runId})`,
        {
          details: {
            expected_run_id: expected,
            actual_run_id: run.runId,
            from: run.from,
            value: run.value,
            provenance: p.source,
          },
        },
      );
    }
    if (run.repository !== undefined && run.repository !== expectedRepository) {
      throw new VerificationError(
        'VALIDATE_RUN_MISMATCH',
        `the provenance was built by run ${run.runId} of ${run.repository} (${where} names ${run.value}), not in ${expectedRepository}, the repository of ${whose}`,
        {
          details: {
            expected_run_id: expected,
            actual_run_id: run.runId,
            expected_repository: expectedRepository,
            actual_repository: run.repository,
            from: run.from,
            value: run.value,
            provenance: p.source,
          },
        },
      );
    }
    runs.push({ ...run, source: p.source });
  }
  if (input.requireRun === true && unbound.length > 0) {
    throw new VerificationError(
      'VALIDATE_RUN_UNBOUND',
      `the provenance names no workflow run (no certificate run invocation URI, no invocation id), so it cannot be tied to ${whose} (--require-run-binding)`,
      { details: { expected_run_id: expected, provenance: unbound } },
    );
  }
  return { runs, unbound };
}
