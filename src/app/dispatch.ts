import {
  buildDispatchMetrics,
  decideDispatchTag,
  parseRef,
  parseRepository,
  parseWorkflow,
  pickDispatchedRun,
  renderStepSummary,
  shortRefName,
  type WorkflowRunSummary,
} from '../core/dispatch/dispatch-plan.js';
import { decideTokenAudit, toRfc3339, type TokenFlag } from '../core/dispatch/token-audit.js';
import { readWorkflowRuns } from '../core/input/github-answers.js';
import type { EntryMetrics } from '../core/ledger/entry.js';
import type { Clock, Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { SlsaLedgerError, isSlsaLedgerError } from '../errors.js';
import { createGithubClient, type GithubClient, type GithubResponse } from '../io/github.js';
import { appendGithubOutput, appendStepSummary } from '../io/github-actions-files.js';

export interface DispatchOptions {
  /** `OWNER/REPO` */
  readonly repository: string;
  /** workflow file name or id, e.g. `provenance.yml` */
  readonly workflow: string;
  readonly ref: string;
  readonly inputs?: Readonly<Record<string, string>>;
  /** the release tag the run is for (default: the `tag` input, else the ref's short name) */
  readonly tag?: string;
  /** PROVENANCE_DISPATCH_TOKEN or GITHUB_TOKEN, passed in by the caller */
  readonly token: string | undefined;
  /** GITHUB_API_URL (default https://api.github.com) */
  readonly apiUrl?: string;
  readonly warnDays?: number;
  readonly maxAgeDays?: number;
  /** when the token was last rotated (YYYY-MM-DD or RFC 3339) */
  readonly tokenRotatedAt?: string;
  /** the workflow run that uses the token (GITHUB_RUN_ID of the caller) */
  readonly usedByRunId?: number;
  readonly usedByRunUrl?: string;
  /** how long to look for the run when the server does not return its id (default 60 s) */
  readonly runTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  /** `$GITHUB_OUTPUT` / `$GITHUB_STEP_SUMMARY` files to append to */
  readonly githubOutputPath?: string;
  readonly stepSummaryPath?: string;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly sleep?: (ms: number) => Promise<void>;
  /** for tests and reuse: an existing client */
  readonly client?: GithubClient;
}

export interface DispatchResult {
  readonly repository: string;
  readonly workflow: string;
  readonly ref: string;
  readonly dispatch_tag: string;
  readonly dispatch_run_id: number;
  readonly dispatch_run_url: string | null;
  /** `response`: the server returned the run id; `listed`: found by listing runs after the call */
  readonly run_id_source: 'response' | 'listed';
  /** several runs matched the listing (concurrent dispatches on the same ref) */
  readonly run_id_ambiguous: boolean;
  readonly dispatched_at: string;
  readonly token: {
    readonly expires_at: string | null;
    readonly days_to_expiry: number | null;
    readonly rotated_at: string | null;
    readonly age_days: number | null;
    readonly used_by_run_id: number | null;
    readonly used_by_run_url: string | null;
  };
  readonly flags: readonly TokenFlag[];
  /** ready to merge into the entry's `metrics` */
  readonly metrics: EntryMetrics;
}

const rotateHint =
  'create a new fine-grained token with actions:write on the repository, store it as the PROVENANCE_DISPATCH_TOKEN secret and set PROVENANCE_DISPATCH_TOKEN_ROTATED_AT to today';

/**
 * Triggers the provenance workflow (`workflow_dispatch`) and reports the run it started and what the
 * token's expiry and age mean. Throws DISPATCH_TOKEN_MISSING, DISPATCH_TOKEN_EXPIRED (401),
 * GITHUB_REJECTED (other 4xx), DISPATCH_FAILED (5xx, network), DISPATCH_RUN_NOT_FOUND.
 */
export async function dispatchWorkflow(options: DispatchOptions): Promise<DispatchResult> {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? { now: () => new Date() };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const { owner, repo } = parseRepository(options.repository);
  const workflow = parseWorkflow(options.workflow);
  const ref = parseRef(options.ref);
  const inputs = options.inputs ?? {};
  if (Object.keys(inputs).length > 25) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `github accepts at most 25 workflow inputs, got ${Object.keys(inputs).length}`,
      {
        details: { flag: 'input' },
      },
    );
  }
  const tag = decideDispatchTag(options.tag, inputs, ref);
  const auditOptions = {
    rotatedAt: options.tokenRotatedAt,
    warnDays: options.warnDays ?? 14,
    maxAgeDays: options.maxAgeDays ?? 90,
  };
  // a bad rotation date is a usage error: refuse it before anything is dispatched
  decideTokenAudit({ ...auditOptions, now: clock.now(), expirationHeader: undefined });
  if (options.token === undefined || options.token === '') {
    throw new SlsaLedgerError(
      'DISPATCH_TOKEN_MISSING',
      'no dispatch token: set PROVENANCE_DISPATCH_TOKEN (or GITHUB_TOKEN with actions: write)',
    );
  }
  const client =
    options.client ??
    createGithubClient({
      token: options.token,
      ...(options.apiUrl === undefined ? {} : { baseUrl: options.apiUrl }),
      logger,
    });
  const route = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';
  const base = { owner, repo, workflow_id: workflow, ref, inputs };

  logger.info(`dispatching ${workflow} on ${owner}/${repo}@${ref}`);
  const startedAt = clock.now();
  let response: GithubResponse<unknown>;
  try {
    response = await dispatchOnce(client, route, { ...base, return_run_details: true });
  } catch (error) {
    if (isSlsaLedgerError(error) && isRunDetailsRefusal(error)) {
      logger.debug('the server does not know return_run_details; dispatching without it');
      response = await dispatchOnce(client, route, base);
    } else {
      throw error;
    }
  }

  const audit = decideTokenAudit({
    now: clock.now(),
    expirationHeader: response.headers['github-authentication-token-expiration'],
    ...auditOptions,
  });
  for (const w of audit.warnings) logger.warn(w);

  let runId: number;
  let runUrl: string | null;
  let source: 'response' | 'listed';
  let ambiguous = false;
  const details = runDetailsOf(response);
  if (details !== undefined) {
    runId = details.id;
    runUrl = details.htmlUrl;
    source = 'response';
  } else {
    const serverDate = Date.parse(response.headers.date ?? '');
    // the server's clock when there is one (runs carry server timestamps), else ours with slack
    const since = Number.isNaN(serverDate)
      ? new Date(startedAt.getTime() - 60_000)
      : new Date(serverDate - 2_000);
    const found = await findDispatchedRun(client, {
      owner,
      repo,
      workflow,
      ref,
      since,
      timeoutMs: options.runTimeoutMs ?? 60_000,
      pollIntervalMs: options.pollIntervalMs ?? 2_000,
      clock,
      sleep,
      logger,
    });
    runId = found.run.id;
    runUrl = found.run.html_url ?? null;
    source = 'listed';
    ambiguous = found.ambiguous;
    if (ambiguous)
      logger.warn(
        `several workflow_dispatch runs on ${shortRefName(ref)} since the call; reporting the earliest`,
      );
  }

  for (const flag of audit.flags) {
    logger.warn(
      flag === 'dispatch-token-expiring'
        ? `${flag}: the dispatch token expires ${audit.expiresAt ?? ''} (${audit.daysToExpiry ?? '?'} days); ${rotateHint}`
        : `${flag}: the dispatch token was rotated ${audit.rotatedAt ?? ''} (${audit.ageDays ?? '?'} days ago); ${rotateHint}`,
    );
  }
  const result: DispatchResult = {
    repository: `${owner}/${repo}`,
    workflow,
    ref,
    dispatch_tag: tag,
    dispatch_run_id: runId,
    dispatch_run_url: runUrl,
    run_id_source: source,
    run_id_ambiguous: ambiguous,
    dispatched_at: toRfc3339(startedAt),
    token: {
      expires_at: audit.expiresAt ?? null,
      days_to_expiry: audit.daysToExpiry ?? null,
      rotated_at: audit.rotatedAt ?? null,
      age_days: audit.ageDays ?? null,
      used_by_run_id: options.usedByRunId ?? null,
      used_by_run_url: options.usedByRunUrl ?? null,
    },
    flags: audit.flags,
    metrics: buildDispatchMetrics(audit, {
      ...(options.usedByRunId === undefined ? {} : { usedByRunId: options.usedByRunId }),
      usedAt: toRfc3339(startedAt),
    }),
  };
  await writeActionsFiles(result, options);
  return result;
}

async function dispatchOnce(
  client: GithubClient,
  route: string,
  params: Readonly<Record<string, unknown>>,
): Promise<GithubResponse<unknown>> {
  try {
    return await client.request('dispatch workflow', route, params);
  } catch (error) {
    if (!isSlsaLedgerError(error)) throw error;
    const status = error.details?.status;
    if (status === 401) {
      throw new SlsaLedgerError(
        'DISPATCH_TOKEN_EXPIRED',
        `the dispatch token was rejected (401 bad credentials): it has expired or been revoked; ${rotateHint}`,
        { cause: error, details: { status, rotate: rotateHint } },
      );
    }
    if (error.code === 'GITHUB_UNAVAILABLE' || error.code === 'GITHUB_RATE_LIMITED') {
      throw new SlsaLedgerError('DISPATCH_FAILED', `${error.message}; safe to retry`, {
        cause: error,
        details: error.details ?? {},
      });
    }
    throw error;
  }
}

/** An older server refuses the unknown `return_run_details` field with a 400 (or a 422 naming it). */
function isRunDetailsRefusal(error: SlsaLedgerError): boolean {
  const status = error.details?.status;
  const raw = error.details?.github_message;
  const message = typeof raw === 'string' ? raw : '';
  return status === 400 || (status === 422 && message.includes('return_run_details'));
}

function runDetailsOf(response: GithubResponse<unknown>): { id: number; htmlUrl: string | null } | undefined {
  if (response.status !== 200 || typeof response.data !== 'object' || response.data === null)
    return undefined;
  const data = response.data as { workflow_run_id?: unknown; html_url?: unknown };
  if (
    typeof data.workflow_run_id !== 'number' ||
    !Number.isSafeInteger(data.workflow_run_id) ||
    data.workflow_run_id <= 0
  ) {
    return undefined;
  }
  return { id: data.workflow_run_id, htmlUrl: typeof data.html_url === 'string' ? data.html_url : null };
}

async function findDispatchedRun(
  client: GithubClient,
  o: {
    owner: string;
    repo: string;
    workflow: string;
    ref: string;
    since: Date;
    timeoutMs: number;
    pollIntervalMs: number;
    clock: Clock;
    sleep: (ms: number) => Promise<void>;
    logger: Logger;
  },
): Promise<{ run: WorkflowRunSummary; ambiguous: boolean }> {
  const deadline = o.clock.now().getTime() + o.timeoutMs;
  const created = `>=${toRfc3339(o.since)}`;
  let unavailable: SlsaLedgerError | undefined;
  for (let attempt = 1; ; attempt++) {
    let runs: WorkflowRunSummary[] | undefined;
    try {
      const response = await client.request(
        'list workflow runs',
        'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs',
        {
          owner: o.owner,
          repo: o.repo,
          workflow_id: o.workflow,
          event: 'workflow_dispatch',
          branch: shortRefName(o.ref),
          created,
          per_page: 30,
        },
      );
      runs = readWorkflowRuns(response.data);
      unavailable = undefined;
    } catch (error) {
      // the workflow was dispatched: every failure from here says so (details.dispatched), so nobody
      // retries the dispatch itself; a listing the server could not answer (5xx, network) is tried
      // again at the next poll within --run-timeout, as an empty listing is
      if (!isSlsaLedgerError(error)) throw error;
      if (error.code !== 'GITHUB_UNAVAILABLE' && error.code !== 'GITHUB_RATE_LIMITED') {
        throw new SlsaLedgerError(error.code, error.message, {
          cause: error,
          details: { ...error.details, dispatched: true },
        });
      }
      unavailable = error;
      o.logger.warn(`${error.message}; trying again`);
    }
    const found = runs === undefined ? undefined : pickDispatchedRun(runs, { ref: o.ref, since: o.since });
    if (found !== undefined) return found;
    if (o.clock.now().getTime() + o.pollIntervalMs > deadline) {
      throw new SlsaLedgerError(
        'DISPATCH_RUN_NOT_FOUND',
        `the workflow was dispatched but no workflow_dispatch run on ${shortRefName(o.ref)} appeared within ${Math.round(o.timeoutMs / 1000)} s${unavailable === undefined ? '' : ` (last listing: ${unavailable.message})`}`,
        {
          ...(unavailable === undefined ? {} : { cause: unavailable }),
          details: { dispatched: true, attempts: attempt, since: toRfc3339(o.since) },
        },
      );
    }
    o.logger.debug(`no run yet (attempt ${attempt}); waiting ${o.pollIntervalMs} ms`);
    await o.sleep(o.pollIntervalMs);
  }
}

async function writeActionsFiles(result: DispatchResult, options: DispatchOptions): Promise<void> {
  if (options.githubOutputPath !== undefined && options.githubOutputPath !== '') {
    await appendGithubOutput(options.githubOutputPath, {
      dispatch_tag: result.dispatch_tag,
      dispatch_run_id: String(result.dispatch_run_id),
      dispatch_run_url: result.dispatch_run_url ?? '',
      dispatch_token_expires_at: result.token.expires_at ?? '',
      dispatch_token_days_to_expiry:
        result.token.days_to_expiry === null ? '' : String(result.token.days_to_expiry),
      dispatch_token_rotated_at: result.token.rotated_at ?? '',
      dispatch_token_flags: result.flags.join(','),
      dispatch_metrics: JSON.stringify(result.metrics),
    });
  }
  if (options.stepSummaryPath !== undefined && options.stepSummaryPath !== '') {
    await appendStepSummary(
      options.stepSummaryPath,
      renderStepSummary('Provenance dispatch', [
        ['workflow', `${result.repository} ${result.workflow} @ ${result.ref}`],
        ['tag', result.dispatch_tag],
        [
          'run',
          result.dispatch_run_url ?? String(result.dispatch_run_id),
          result.dispatch_run_url ?? undefined,
        ],
        ['token expires', result.token.expires_at ?? 'no expiry reported'],
        ['token rotated', result.token.rotated_at ?? 'unknown'],
        [
          'token used by run',
          result.token.used_by_run_url ??
            (result.token.used_by_run_id === null ? 'unknown' : String(result.token.used_by_run_id)),
          result.token.used_by_run_url ?? undefined,
        ],
        ['flags', result.flags.length === 0 ? 'none' : result.flags.join(', ')],
      ]),
    );
  }
}
