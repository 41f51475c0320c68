import { randomUUID } from 'node:crypto';
import { parseRepository } from '../core/dispatch/dispatch-plan.js';
import { toRfc3339 } from '../core/dispatch/token-audit.js';
import {
  buildIssue,
  buildSlackMessage,
  informationalEvents,
  type MessageContext,
  type NotifyEvent,
  type NotifySubject,
} from '../core/notify/events.js';
import { readIssueList, readNumbered, type IssueListItem } from '../core/input/github-answers.js';
import type { NotificationAttempt } from '../core/notify/metrics.js';
import { decideRetry, defaultRetryPolicy, describeOutcome, type RetryPolicy } from '../core/notify/retry.js';
import type { Clock, Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { SlsaLedgerError, isSlsaLedgerError } from '../errors.js';
import { createGithubClient, type GithubClient } from '../io/github.js';
import { appendNotificationAttempt, defaultNotificationsLog } from '../io/notifications-log.js';
import { redactValue } from '../io/redaction.js';
import { checkWebhookUrl, postSlackWebhook } from '../io/slack.js';

export interface NotifyOptions {
  readonly event: NotifyEvent;
  readonly subject: NotifySubject;
  readonly context?: MessageContext;
  /** SLACK_WEBHOOK_URL, passed in by the caller; undefined skips Slack */
  readonly webhookUrl?: string;
  /** open or comment on one GitHub issue per (event, tag) */
  readonly githubIssue?: {
    readonly repository: string;
    readonly token: string | undefined;
    readonly apiUrl?: string;
  };
  /** attempt log (default out/provenance/notifications.jsonl) */
  readonly logPath?: string;
  readonly retry?: Partial<RetryPolicy>;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly client?: GithubClient;
}

export interface ChannelResult {
  readonly delivered: boolean;
  readonly attempts: number;
  readonly status: number | null;
  readonly reason: string | null;
  /** first attempt to delivery, seconds (backoff included); null when not delivered */
  readonly latency_s: number | null;
}

export interface NotifyResult {
  readonly event: NotifyEvent;
  readonly tag: string;
  readonly run_id: number | null;
  readonly notification_id: string;
  readonly slack:
    (ChannelResult & { readonly skipped: false }) | { readonly skipped: true; readonly reason: string };
  readonly github_issue:
    | (ChannelResult & {
        readonly action: 'created' | 'commented' | 'reopened' | null;
        readonly number: number | null;
        readonly url: string | null;
      })
    | null;
  /** ready to merge into the entry's `metrics` */
  readonly metrics: {
    readonly notify: { readonly attempts: number; readonly delivered: number; readonly latency_s?: number };
  };
}

/**
 * Sends one alert: a Slack incoming-webhook message (retried on 5xx, network errors and 429 within
 * the Retry-After cap) and optionally a de-duplicated GitHub issue; logs every attempt. Throws
 * NOTIFY_WEBHOOK_MISSING when there is nowhere to send, NOTIFY_REJECTED (a 4xx, exit 3) or
 * NOTIFY_FAILED (retries exhausted, exit 5) after trying every channel.
 */
export async function notifyEvent(options: NotifyOptions): Promise<NotifyResult> {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? { now: () => new Date() };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const logPath = options.logPath ?? defaultNotificationsLog;
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const context = options.context ?? {};
  const webhook =
    options.webhookUrl === undefined || options.webhookUrl === ''
      ? undefined
      : checkWebhookUrl(options.webhookUrl);
  if (webhook === undefined && options.githubIssue === undefined) {
    throw new SlsaLedgerError(
      'NOTIFY_WEBHOOK_MISSING',
      'nowhere to send the alert: set SLACK_WEBHOOK_URL or pass --github-issue --repository OWNER/REPO',
    );
  }
  if (options.githubIssue !== undefined && informationalEvents.includes(options.event)) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `${options.event} is good news: it goes to Slack only, never to a GitHub issue`,
    );
  }
  const repository =
    options.githubIssue === undefined ? undefined : parseRepository(options.githubIssue.repository);
  if (options.githubIssue !== undefined && !options.githubIssue.token) {
    throw new SlsaLedgerError('USAGE_MISSING_FLAG', '--github-issue needs GITHUB_TOKEN (issues: write)');
  }
  const notificationId = randomUUID();
  const base = {
    notification_id: notificationId,
    event: options.event,
    tag: options.subject.tag,
    run_id: options.subject.run_id ?? null,
  };
  const log = (record: Omit<NotificationAttempt, keyof typeof base | 'timestamp'>): Promise<void> =>
    appendNotificationAttempt(logPath, { timestamp: toRfc3339(clock.now()), ...base, ...record });

  let slack: NotifyResult['slack'];
  let failure: SlsaLedgerError | undefined;
  if (webhook === undefined) {
    logger.warn('SLACK_WEBHOOK_URL is not set: no Slack message');
    slack = { skipped: true, reason: 'SLACK_WEBHOOK_URL not set' };
  } else {
    // a message quotes what failed (a failure reason, a git or database error): it leaves the tool
    // redacted like everything the tool writes, to the channel and to the issue alike
    const payload = redactValue(buildSlackMessage(options.event, options.subject, context));
    const started = performance.now();
    let attempts = 0;
    let last: ChannelResult = { delivered: false, attempts: 0, status: null, reason: null, latency_s: null };
    for (;;) {
      attempts++;
      const t0 = performance.now();
      const outcome = await postSlackWebhook(webhook, payload);
      const latency = Math.round(performance.now() - t0);
      const decision = decideRetry(outcome, attempts, policy, { now: clock.now(), jitter: random() });
      const status = outcome.kind === 'response' ? outcome.status : null;
      const reason = decision.kind === 'delivered' ? null : describeOutcome(outcome);
      await log({
        channel: 'slack',
        attempt: attempts,
        outcome:
          decision.kind === 'delivered'
            ? 'delivered'
            : decision.kind === 'retry'
              ? 'retry'
              : decision.code === 'NOTIFY_REJECTED'
                ? 'rejected'
                : 'failed',
        status,
        reason,
        latency_ms: latency,
        elapsed_ms: Math.round(performance.now() - started),
      });
      last = {
        delivered: decision.kind === 'delivered',
        attempts,
        status,
        reason,
        latency_s: decision.kind === 'delivered' ? Math.round(performance.now() - started) / 1000 : null,
      };
      if (decision.kind === 'delivered') {
        logger.info(`slack: delivered ${options.event} for ${options.subject.tag} (attempt ${attempts})`);
        break;
      }
      if (decision.kind === 'give-up') {
        failure = new SlsaLedgerError(decision.code, `slack webhook: ${decision.reason}`, {
          details: { channel: 'slack', status, attempts },
        });
        logger.warn(`slack: ${decision.reason}`);
        break;
      }
      logger.warn(`slack: ${decision.reason}; retrying in ${decision.delayMs} ms`);
      await sleep(decision.delayMs);
    }
    slack = { skipped: false, ...last };
  }

  let issue: NotifyResult['github_issue'] = null;
  if (options.githubIssue !== undefined && repository !== undefined) {
    const client =
      options.client ??
      createGithubClient({
        token: options.githubIssue.token,
        ...(options.githubIssue.apiUrl === undefined ? {} : { baseUrl: options.githubIssue.apiUrl }),
        logger,
      });
    const t0 = performance.now();
    try {
      const r = await upsertIssue(
        client,
        repository,
        redactValue(buildIssue(options.event, options.subject, context)),
      );
      const ms = Math.round(performance.now() - t0);
      await log({
        channel: 'github-issue',
        attempt: 1,
        outcome: 'delivered',
        status: r.status,
        reason: null,
        latency_ms: ms,
        elapsed_ms: ms,
      });
      logger.info(`github: ${r.action} issue #${r.number} ${r.url}`);
      issue = {
        delivered: true,
        attempts: 1,
        status: r.status,
        reason: null,
        latency_s: ms / 1000,
        action: r.action,
        number: r.number,
        url: r.url,
      };
    } catch (error) {
      if (!isSlsaLedgerError(error)) throw error;
      const ms = Math.round(performance.now() - t0);
      const status = typeof error.details?.status === 'number' ? error.details.status : null;
      const rejected = error.code === 'GITHUB_REJECTED';
      await log({
        channel: 'github-issue',
        attempt: 1,
        outcome: rejected ? 'rejected' : 'failed',
        status,
        reason: error.message,
        latency_ms: ms,
        elapsed_ms: ms,
      });
      logger.warn(`github issue: ${error.message}`);
      issue = {
        delivered: false,
        attempts: 1,
        status,
        reason: error.message,
        latency_s: null,
        action: null,
        number: null,
        url: null,
      };
      failure ??= new SlsaLedgerError(
        rejected ? 'NOTIFY_REJECTED' : 'NOTIFY_FAILED',
        `github issue: ${error.message}`,
        {
          cause: error,
          details: { channel: 'github-issue', status },
        },
      );
    }
  }

  const attempts = (slack.skipped ? 0 : slack.attempts) + (issue?.attempts ?? 0);
  const delivered = (!slack.skipped && slack.delivered ? 1 : 0) + (issue?.delivered === true ? 1 : 0);
  const result: NotifyResult = {
    ...base,
    slack,
    github_issue: issue,
    // Slack's delivery latency (seed §4.4) lands in the entry with the counts (DB column notify_latency_s)
    metrics: {
      notify: {
        attempts,
        delivered,
        ...(!slack.skipped && slack.delivered && slack.latency_s !== null
          ? { latency_s: slack.latency_s }
          : {}),
      },
    },
  };
  if (failure !== undefined) {
    throw new SlsaLedgerError(failure.code, failure.message, {
      cause: failure.cause,
      details: { ...failure.details, result },
    });
  }
  return result;
}

/** 100 issues a page: the alert labels' issues beyond 10,000 are not searched (documented). */
const maxIssuePages = 100;

async function upsertIssue(
  client: GithubClient,
  repo: { owner: string; repo: string },
  issue: ReturnType<typeof buildIssue>,
): Promise<{ action: 'created' | 'commented' | 'reopened'; number: number; url: string; status: number }> {
  // every page (GitHub lists newest first, 100 at most per page, the next page in the Link header):
  // an alert whose issue is older than the first 100 must still comment on it, not open another
  const same: IssueListItem[] = [];
  for (let page = 1; page <= maxIssuePages; page++) {
    const listed = await client.request('list issues', 'GET /repos/{owner}/{repo}/issues', {
      ...repo,
      labels: issue.labels.join(','),
      state: 'all',
      per_page: 100,
      page,
    });
    same.push(...readIssueList(listed.data).filter((i) => !i.isPullRequest && i.title === issue.title));
    if (same.some((i) => i.state === 'open') || !/\brel="next"/.test(listed.headers.link ?? '')) break;
  }
  const existing = same.find((i) => i.state === 'open') ?? same[0];
  if (existing === undefined) {
    const created = await client.request('create issue', 'POST /repos/{owner}/{repo}/issues', {
      ...repo,
      title: issue.title,
      body: issue.body,
      labels: issue.labels,
    });
    const { number, html_url: url } = readNumbered(created.data, 'create issue');
    return { action: 'created', number, url, status: created.status };
  }
  let action: 'commented' | 'reopened' = 'commented';
  if (existing.state !== 'open') {
    await client.request('reopen issue', 'PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
      ...repo,
      issue_number: existing.number,
      state: 'open',
    });
    action = 'reopened';
  }
  const comment = await client.request(
    'comment on issue',
    'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
    {
      ...repo,
      issue_number: existing.number,
      body: issue.comment,
    },
  );
  return { action, number: existing.number, url: existing.html_url, status: comment.status };
}
