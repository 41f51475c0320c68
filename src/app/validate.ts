import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve as resolvePath } from 'node:path';
import { toRfc3339 } from '../core/dispatch/token-audit.js';
import { parseManifest, type LedgerEntry } from '../core/ledger/entry.js';
import type { NotifyEvent } from '../core/notify/events.js';
import type { Clock, Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { decideSignoff, defaultSignoffLabel, parseJiraKey } from '../core/validate/signoff.js';
import {
  buildVerdictEntry,
  checkEntryStatus,
  derivePolicy,
  selectEntry,
  type PolicyFlags,
} from '../core/validate/validate-plan.js';
import { checkRunBinding, type RunBindingResult } from '../core/validate/run-binding.js';
import type { InTotoStatement, VerificationPolicy } from '../core/verify/types.js';
import { buildVerdictVsa } from '../core/vsa/verdict.js';
import { hashFiles } from '../io/hash.js';
import {
  SlsaLedgerError,
  UsageError,
  VerificationError,
  isSlsaLedgerError,
  type ErrorCode,
} from '../errors.js';
import { describeUrl, downloadProvenance, fetchBytes } from '../io/artifact-download.js';
import { defaultGithubApiUrl, isAllowedScheme, normaliseApiUrl } from '../io/github.js';
import { readInputFile } from '../io/files.js';
import { fetchJiraIssue, type JiraCredentials } from '../io/jira.js';
import { readLedgerForRead } from '../io/ledger-source.js';
import { notifyEvent, type NotifyOptions, type NotifyResult } from './notify.js';
import { verifyArtifacts, type VerifyResult } from './verify.js';

/**
 * Writes the verdict entry back through the ledger's merge rule (record, or record --via-pr), with
 * the verdict's SLSA VSA (signed by the recorder's signer, docs/trust.md).
 */
export type VerdictRecorder = (entry: LedgerEntry, vsa: InTotoStatement) => Promise<RecordedVerdict>;

export interface RecordedVerdict {
  /** inserted / updated / unchanged / stale, or queued */
  readonly outcome: string;
  /** the push was refused: the verdict is safe in the queue (exit 75) */
  readonly queued: boolean;
  readonly commit?: string | null;
  readonly pr_url?: string | null;
  /** the signed VSA's payload digest (and where it was written, `--vsa-out`), when signed */
  readonly vsa?: { readonly sha256: string; readonly file: string | null } | null;
}

export interface ValidateOptions {
  readonly tag: string;
  readonly runId?: number;
  /**
   * `--provenance-run`: the workflow run that built the provenance, when it is not the entry's own
   * run (a release workflow that records, dispatching a separate provenance workflow); default: the
   * entry's `run_id`
   */
  readonly provenanceRun?: number;
  /** `--require-run-binding`: provenance that names no workflow run fails (VALIDATE_RUN_UNBOUND) */
  readonly requireRunBinding?: boolean;
  /** a clone of the ledger repository */
  readonly repo?: string;
  /** or one day file over HTTPS (e.g. a raw file URL) */
  readonly manifestUrl?: string;
  readonly reportsDir?: string;
  /** where `repo`'s ledger is read (flags; else `.slsa-ledger.yml` `ledger:`, else the remote's default branch) */
  readonly ledgerRemote?: string;
  readonly ledgerBranch?: string;
  /** read this commit-ish of the clone (e.g. `HEAD`) instead of fetching the ledger branch */
  readonly ref?: string;
  readonly artifacts: readonly string[];
  /** provenance files; else downloaded from the entry's artifact_url */
  readonly provenance?: readonly string[];
  readonly policy?: PolicyFlags;
  readonly key?: string;
  readonly trustedRoot?: string;
  readonly offline?: boolean;
  /** resolves relative artifact, provenance and key paths (default: the process's) */
  readonly cwd?: string;
  /** GITHUB_TOKEN: for the artifacts API and a private --manifest-url */
  readonly token?: string;
  /** GITHUB_API_URL */
  readonly apiUrl?: string;
  /** artifact name when artifact_url names a whole run */
  readonly artifactName?: string;
  /** write the verdict back (`--record`) */
  readonly record?: VerdictRecorder;
  /** the security CI run (GITHUB_RUN_ID) */
  readonly validatorRunId?: number;
  /** `--require-signoff KEY` */
  readonly signoff?: { readonly key: string; readonly label?: string; readonly credentials: JiraCredentials };
  /** alert on artifact-unavailable / validation-failed when a channel is configured */
  readonly escalate?: Pick<NotifyOptions, 'webhookUrl' | 'githubIssue' | 'logPath' | 'retry' | 'context'>;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export interface ValidateResult {
  readonly tag: string;
  readonly run_id: number;
  readonly status: 'passed' | 'failed';
  readonly code: ErrorCode | null;
  readonly reason: string | null;
  readonly policy: VerificationPolicy;
  readonly provenance_source: 'file' | 'downloaded';
  readonly verdicts: VerifyResult['verdicts'];
  /**
   * the run the verified provenance names, checked against the entry's run (or --provenance-run);
   * null when verification failed before the check
   */
  readonly run_binding: {
    readonly expected_run_id: number;
    readonly runs: readonly { readonly run_id: string; readonly from: string; readonly value: string }[];
    /** provenance documents that name no run (accepted unless --require-run-binding) */
    readonly unbound: number;
  } | null;
  readonly signoff: { readonly key: string; readonly approved_by: 'status' | 'label' } | null;
  readonly validation: LedgerEntry['validation'] | null;
  readonly recorded: RecordedVerdict | null;
  readonly escalation: {
    readonly event: NotifyEvent;
    readonly delivered: boolean;
    readonly error?: string;
  } | null;
}

/**
 * Security CI: loads the tag's entry, refuses unless its status is success, verifies the artifacts
 * against its provenance with a policy derived from the entry, optionally checks a Jira sign-off and
 * writes the verdict back. A negative verdict throws its VerificationError (exit 1) after recording.
 * @throws VALIDATE_STATUS_NOT_SUCCESS, LEDGER_ENTRY_NOT_FOUND, ARTIFACT_UNAVAILABLE (exit 5, escalated),
 *   VALIDATE_PROVENANCE_DIGEST_MISMATCH, VALIDATE_RUN_MISMATCH, VALIDATE_RUN_UNBOUND,
 *   VALIDATE_SIGNOFF_MISSING, any VERIFY_* code
 */
export async function validateRelease(options: ValidateOptions): Promise<ValidateResult> {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? { now: () => new Date() };
  if ((options.repo === undefined) === (options.manifestUrl === undefined)) {
    throw new UsageError(
      'USAGE_MISSING_FLAG',
      'validate reads the ledger from --repo DIR or --manifest-url URL (one of them)',
      {
        details: { flag: 'repo' },
      },
    );
  }
  if (options.artifacts.length === 0) {
    throw new UsageError(
      'USAGE_MISSING_ARGUMENT',
      'validate needs the artifacts to check: --artifact FILE…',
      { details: { flag: 'artifact' } },
    );
  }
  if (
    options.provenanceRun !== undefined &&
    (!Number.isSafeInteger(options.provenanceRun) || options.provenanceRun < 1)
  ) {
    throw new UsageError(
      'USAGE_INVALID_FLAG',
      `--provenance-run takes a workflow run id (a whole number from 1 to ${Number.MAX_SAFE_INTEGER}), got '${String(options.provenanceRun)}'`,
      { details: { flag: 'provenance-run' } },
    );
  }
  const signoffKey = options.signoff === undefined ? undefined : parseJiraKey(options.signoff.key);
  const apiUrl = normaliseApiUrl(options.apiUrl ?? defaultGithubApiUrl);

  const entries = await loadEntries(options, apiUrl);
  const entry = selectEntry(entries, options.tag, options.runId);
  logger.info(`validating ${entry.tag} run ${entry.run_id} (${entry.sha.slice(0, 12)})`);
  checkEntryStatus(entry);
  const policy = derivePolicy(entry, options.policy);
  logger.debug(`policy: ${JSON.stringify(policy)}`);

  const escalate = async (event: NotifyEvent, reason: string): Promise<ValidateResult['escalation']> => {
    const e = options.escalate;
    if (e === undefined || (!e.webhookUrl && e.githubIssue === undefined)) return null;
    try {
      const r: NotifyResult = await notifyEvent({
        ...e,
        event,
        subject: {
          tag: entry.tag,
          run_id: entry.run_id,
          status: entry.status,
          sha: entry.sha,
          ...(entry.release_url ? { release_url: entry.release_url } : {}),
          ...(entry.artifact_url ? { artifact_url: entry.artifact_url } : {}),
        },
        context: { ...e.context, reason },
        logger,
        clock,
      });
      return { event, delivered: r.metrics.notify.delivered > 0 };
    } catch (error) {
      const message = isSlsaLedgerError(error) ? `${error.code}: ${error.message}` : String(error);
      logger.warn(`escalation failed: ${message}`);
      return { event, delivered: false, error: message };
    }
  };

  const work = await mkdtemp(join(tmpdir(), 'slsa-ledger-validate-'));
  try {
    let provenance: string[];
    let source: 'file' | 'downloaded';
    if (options.provenance !== undefined && options.provenance.length > 0) {
      provenance = [...options.provenance];
      source = 'file';
    } else {
      if (entry.artifact_url === null) {
        const error = new SlsaLedgerError(
          'ARTIFACT_UNAVAILABLE',
          `${entry.tag} run ${entry.run_id} has no artifact_url: pass --provenance`,
          {
            details: { tag: entry.tag, run_id: entry.run_id },
          },
        );
        throw withEscalation(error, await escalate('artifact-unavailable', error.message));
      }
      let files;
      try {
        logger.info('downloading the provenance from the entry');
        files = await downloadProvenance({
          artifactUrl: entry.artifact_url,
          apiUrl,
          ...(options.token === undefined ? {} : { token: options.token }),
          ...(options.artifactName === undefined ? {} : { artifactName: options.artifactName }),
        });
      } catch (error) {
        if (isSlsaLedgerError(error) && error.code === 'ARTIFACT_UNAVAILABLE') {
          throw withEscalation(
            error,
            await escalate('artifact-unavailable', `${error.code}: ${error.message}`),
          );
        }
        throw error;
      }
      provenance = [];
      for (const [i, f] of files.entries()) {
        const path = join(work, `${i}-${basename(f.name).replace(/[^A-Za-z0-9._-]/g, '_')}`);
        await writeFile(path, f.bytes);
        provenance.push(path);
      }
      source = 'downloaded';
    }

    let code: ErrorCode | null = null;
    let reason: string | null = null;
    let verdicts: VerifyResult['verdicts'] = [];
    let keySigned = false;
    let binding: RunBindingResult | null = null;
    try {
      await checkRecordedDigest(entry, provenance);
      const verified = await verifyArtifacts({
        artifacts: options.artifacts,
        provenance,
        policy,
        ...(options.key === undefined ? {} : { key: options.key }),
        ...(options.trustedRoot === undefined ? {} : { trustedRoot: options.trustedRoot }),
        ...(options.offline === undefined ? {} : { offline: options.offline }),
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        logger,
      });
      // every provenance file given must be read: verify's batch mode sets an unreadable one aside
      // as that file's verdict, but a verdict on a run may not rest on part of what was handed in
      const unreadable = verified.unreadable[0];
      if (unreadable !== undefined) {
        throw new SlsaLedgerError(unreadable.code, unreadable.message, {
          details: {
            provenance: basename(unreadable.provenance),
            unreadable: verified.unreadable.length,
          },
        });
      }
      verdicts = verified.verdicts;
      keySigned = verified.provenance.some((p) => p.signer.kind === 'key');
      const failed = verified.verdicts.find((v) => !v.ok);
      if (failed !== undefined) {
        code = failed.code ?? 'VERIFY_BATCH_FAILED';
        reason = `${code}: ${failed.artifact}: ${failed.message ?? 'failed'}`;
      } else {
        // the provenance verified: it must also be the entry's run's own (docs/integrations.md)
        binding = checkRunBinding({
          tag: entry.tag,
          entryRunId: entry.run_id,
          ...(options.provenanceRun === undefined ? {} : { provenanceRun: options.provenanceRun }),
          sourceUri: policy.sourceUri,
          ...(options.requireRunBinding === undefined ? {} : { requireRun: options.requireRunBinding }),
          provenance: verified.provenance.map((p, i) => ({
            source: basename(p.source),
            statement: verified.statements[i]!,
            signer: p.signer,
          })),
        });
        for (const run of binding.runs) {
          logger.info(
            `run binding: ${run.source} names run ${run.runId} (${run.from}: ${run.value})${options.provenanceRun === undefined ? '' : `, the run given with --provenance-run for entry run ${entry.run_id}`}`,
          );
        }
        if (binding.unbound.length > 0) {
          logger.info(
            `run binding: ${binding.unbound.join(', ')} names no workflow run (no certificate run invocation URI, no invocation id): it could not be tied to run ${options.provenanceRun ?? entry.run_id} (pass --require-run-binding to refuse such provenance)`,
          );
        }
      }
    } catch (error) {
      if (!isSlsaLedgerError(error) || error.category !== 'verification') throw error;
      code = error.code;
      reason = `${error.code}: ${error.message}`;
    }

    let signoff: ValidateResult['signoff'] = null;
    if (code === null && options.signoff !== undefined && signoffKey !== undefined) {
      const label = options.signoff.label ?? defaultSignoffLabel;
      const issue = await fetchJiraIssue(options.signoff.credentials, signoffKey);
      try {
        if (issue === undefined) {
          throw new VerificationError(
            'VALIDATE_SIGNOFF_MISSING',
            `release sign-off missing: jira ${signoffKey} does not exist or is not visible`,
            {
              details: { key: signoffKey, status: 404 },
            },
          );
        }
        signoff = { key: signoffKey, approved_by: decideSignoff(issue, label).approvedBy };
        logger.info(`sign-off: ${signoffKey} approved by ${signoff.approved_by}`);
      } catch (error) {
        if (!isSlsaLedgerError(error)) throw error;
        code = error.code;
        reason = `${error.code}: ${error.message}`;
      }
    }

    const passed = code === null;
    const verdictEntry = buildVerdictEntry(entry, {
      passed,
      validatedAt: toRfc3339(clock.now()),
      ...(options.validatorRunId === undefined ? {} : { validatorRunId: options.validatorRunId }),
      ...(reason === null ? {} : { reason }),
    });
    let recorded: RecordedVerdict | null = null;
    if (options.record !== undefined) {
      const artifactDigests =
        verdicts.length > 0
          ? verdicts.map((v) => ({ name: basename(v.artifact), sha256: v.sha256 }))
          : (await hashFiles(options.artifacts.map((a) => resolvePath(options.cwd ?? process.cwd(), a)))).map(
              (d, i) => ({ name: basename(options.artifacts[i]!), sha256: d.sha256 }),
            );
      const provenanceDigests = (
        await hashFiles(provenance.map((p) => resolvePath(options.cwd ?? process.cwd(), p)))
      ).map((d, i) => ({
        name: source === 'file' ? basename(provenance[i]!) : (entry.artifact_url ?? ''),
        sha256: d.sha256,
      }));
      const vsa = buildVerdictVsa({
        entry,
        passed,
        artifacts: artifactDigests,
        provenance: provenanceDigests,
        policy,
        timeVerified: clock.now(),
        builderIds: verdicts.flatMap((v) => (v.ok && v.builderId !== undefined ? [v.builderId] : [])),
        keySigned,
      });
      recorded = await options.record(verdictEntry, vsa);
      if (recorded.queued) logger.warn('the verdict is queued: the ledger push was refused');
    }
    const escalation = passed ? null : await escalate('validation-failed', reason ?? 'validation failed');
    const result: ValidateResult = {
      tag: entry.tag,
      run_id: entry.run_id,
      status: passed ? 'passed' : 'failed',
      code,
      reason,
      policy,
      provenance_source: source,
      verdicts,
      run_binding:
        binding === null
          ? null
          : {
              expected_run_id: options.provenanceRun ?? entry.run_id,
              runs: binding.runs.map((r) => ({ run_id: r.runId, from: r.from, value: r.value })),
              unbound: binding.unbound.length,
            },
      signoff,
      validation: verdictEntry.validation ?? null,
      recorded,
      escalation,
    };
    if (!passed) {
      // `reason` is stored as `CODE: message` (the entry's validation.reason); the error carries the
      // code apart, so its message leaves the prefix out ("CODE: CODE: …" on the terminal)
      const failedCode = code ?? 'VERIFY_BATCH_FAILED';
      const message =
        reason === null
          ? 'validation failed'
          : reason.startsWith(`${failedCode}: `)
            ? reason.slice(failedCode.length + 2)
            : reason;
      throw new VerificationError(failedCode, message, { details: { result } });
    }
    return result;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function withEscalation(error: SlsaLedgerError, escalation: ValidateResult['escalation']): SlsaLedgerError {
  return new SlsaLedgerError(error.code, error.message, {
    cause: error.cause ?? error,
    details: { ...error.details, escalation },
  });
}

async function loadEntries(options: ValidateOptions, apiUrl: string): Promise<LedgerEntry[]> {
  if (options.repo !== undefined) {
    // the remote's ledger branch, fetched now (issue 13 item 1); a plain folder is read bounded
    const { files } = await readLedgerForRead(options.repo, {
      ...(options.reportsDir === undefined ? {} : { reportsDir: options.reportsDir }),
      ...(options.ledgerRemote === undefined ? {} : { remote: options.ledgerRemote }),
      ...(options.ledgerBranch === undefined ? {} : { branch: options.ledgerBranch }),
      ...(options.ref === undefined ? {} : { ref: options.ref }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    return files.flatMap((f) => f.entries);
  }
  const manifestUrl = options.manifestUrl ?? '';
  let url: URL;
  try {
    url = new URL(manifestUrl);
  } catch {
    // shown without its query: a raw.githubusercontent.com link carries its token there (?token=)
    const query = manifestUrl.search(/[?#]/);
    const shown = query === -1 ? manifestUrl : `${manifestUrl.slice(0, query)}?…`;
    throw new UsageError(
      'USAGE_INVALID_FLAG',
      `--manifest-url must be an https URL, got '${shown.slice(0, 100)}'`,
      { details: { flag: 'manifest-url' } },
    );
  }
  // a scheme fetch will never read (file:, ftp:, data:, plain http beyond loopback) is the caller's
  // mistake, refused before any request, not an outage to retry
  if (!isAllowedScheme(url)) {
    throw new UsageError(
      'USAGE_INVALID_FLAG',
      `--manifest-url must be an https URL, got '${describeUrl(url).slice(0, 100)}'`,
      { details: { flag: 'manifest-url', url: describeUrl(url) } },
    );
  }
  // the token goes only to GitHub's own hosts, never to an arbitrary URL
  const githubOrigins = new Set([
    new URL(apiUrl).origin,
    'https://github.com',
    'https://raw.githubusercontent.com',
    'https://api.github.com',
  ]);
  const { bytes } = await fetchBytes(url.href, {
    code: 'MANIFEST_URL_UNAVAILABLE',
    what: 'manifest download',
    accept: 'application/vnd.github.raw+json, application/json;q=0.9, */*;q=0.5',
    ...(options.token !== undefined && githubOrigins.has(url.origin)
      ? { token: options.token, tokenOrigin: url.origin }
      : {}),
    maxBytes: 32 * 1024 * 1024,
  });
  return parseManifest(bytes.toString('utf8'), `${url.origin}${url.pathname}`);
}

/**
 * The provenance bytes must be the ones recorded in the entry (`provenance.digest`), when it has
 * one — for every provenance file in play (issue 14 item 8): a second file next to the recorded
 * one (another bundle in the artifact, a second --provenance) is refused, never used to verify.
 */
async function checkRecordedDigest(entry: LedgerEntry, files: readonly string[]): Promise<void> {
  const recorded = entry.provenance?.digest.toLowerCase();
  if (recorded === undefined) return;
  const mismatched: { file: string; actual: string }[] = [];
  for (const file of files) {
    const actual = `sha256:${createHash('sha256')
      .update(await readInputFile(file, 'provenance'))
      .digest('hex')}`;
    if (actual !== recorded) mismatched.push({ file: basename(file), actual });
  }
  if (mismatched.length > 0) {
    const first = mismatched[0]!;
    throw new VerificationError(
      'VALIDATE_PROVENANCE_DIGEST_MISMATCH',
      `the provenance is not the one recorded for ${entry.tag} run ${entry.run_id}: expected ${recorded}, found ${first.actual} in ${first.file}${mismatched.length > 1 ? ` (and ${mismatched.length - 1} more file(s))` : ''}`,
      { details: { expected: recorded, actual: first.actual, files: mismatched } },
    );
  }
}
