import { resolve } from 'node:path';
import { notifyEvent } from '../../app/notify.js';
import { parseSecondsFlag } from '../../core/dispatch/dispatch-plan.js';
import { parseNotifyEvent, parseNotifySubject, type NotifySubject } from '../../core/notify/events.js';
import { readJsonInput } from '../../io/files.js';
import { defaultNotificationsLog } from '../../io/notifications-log.js';
import { booleanFlag, integerFlag, listFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';

export const command: CommandModule = {
  spec: {
    name: 'notify',
    summary: 'send an alert to Slack and, optionally, a GitHub issue',
    usage: 'notify --event EVENT --entry FILE|- [--github-issue --repository OWNER/REPO] [options]',
    description:
      'Posts the event (provenance-failure, manifest-queued, dispatch-token-expired, dispatch-token-expiring, validation-failed, artifact-unavailable, ingest-failed) to the Slack incoming webhook in SLACK_WEBHOOK_URL, retrying 5xx, network errors and 429 (Retry-After); with --github-issue opens one issue per (event, tag) or comments on it (GITHUB_TOKEN). Every attempt is appended to the notifications log.',
    options: {
      event: { type: 'string', valueName: 'EVENT', required: true, description: 'what happened' },
      entry: {
        type: 'string',
        valueName: 'FILE|-',
        description: 'the ledger entry (JSON) the alert is about',
      },
      tag: { type: 'string', valueName: 'TAG', description: "the tag (overrides the entry's)" },
      'run-id': { type: 'string', valueName: 'N', description: "the run id (overrides the entry's)" },
      reason: {
        type: 'string',
        valueName: 'TEXT',
        description: "the reason shown (default: the entry's failure_reason)",
      },
      link: { type: 'string', multiple: true, valueName: 'URL', description: 'an extra https link' },
      'github-issue': { type: 'boolean', description: 'also open or comment on a GitHub issue' },
      repository: {
        type: 'string',
        valueName: 'OWNER/REPO',
        description: 'repository for --github-issue (default: GITHUB_REPOSITORY)',
      },
      log: {
        type: 'string',
        valueName: 'FILE',
        default: defaultNotificationsLog,
        description: 'attempt log (JSON lines)',
      },
      'max-attempts': { type: 'string', valueName: 'N', default: '4', description: 'Slack attempts in all' },
      'max-retry-after': {
        type: 'string',
        valueName: 'SECONDS',
        default: '30',
        description: 'give up on a 429 asking to wait longer',
      },
    },
    examples: [
      'slsa-ledger notify --event provenance-failure --entry entry.json --github-issue --repository acme/app',
    ],
  },
  async run(args, ctx) {
    const event = parseNotifyEvent(stringFlag(args, 'event') ?? '');
    const entryPath = stringFlag(args, 'entry');
    const entry =
      entryPath === undefined
        ? undefined
        : await readJsonInput(entryPath, ctx.stdin, 'entry', 'entry', ctx.cwd);
    const overrides: Partial<Record<keyof NotifySubject, unknown>> = {};
    const tag = stringFlag(args, 'tag');
    if (tag !== undefined) overrides.tag = tag;
    const runId = integerFlag(args, 'run-id', { min: 1 });
    if (runId !== undefined) overrides.run_id = runId;
    const subject = parseNotifySubject(entry, overrides as Partial<NotifySubject>);
    const env = ctx.env;
    const runUrl =
      env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY
        ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
        : undefined;
    const reason = stringFlag(args, 'reason');
    const repository = stringFlag(args, 'repository') ?? env.GITHUB_REPOSITORY;
    const issue = booleanFlag(args, 'github-issue');
    const result = await notifyEvent({
      event,
      subject,
      context: {
        ...(reason === undefined ? {} : { reason }),
        ...(runUrl === undefined ? {} : { runUrl }),
        links: listFlag(args, 'link'),
      },
      ...(env.SLACK_WEBHOOK_URL ? { webhookUrl: env.SLACK_WEBHOOK_URL } : {}),
      ...(issue
        ? {
            githubIssue: {
              repository: repository ?? '',
              token: env.GITHUB_TOKEN || env.GH_TOKEN || undefined,
              ...(env.GITHUB_API_URL ? { apiUrl: env.GITHUB_API_URL } : {}),
            },
          }
        : {}),
      logPath: resolve(ctx.cwd, stringFlag(args, 'log') ?? defaultNotificationsLog),
      retry: {
        maxAttempts: integerFlag(args, 'max-attempts', { min: 1, max: 20 }) ?? 4,
        maxRetryAfterMs:
          parseSecondsFlag('max-retry-after', stringFlag(args, 'max-retry-after'), { min: 0, max: 3600 }) ??
          30_000,
      },
      logger: ctx.logger,
    });
    const slack = result.slack.skipped
      ? 'slack skipped'
      : `slack delivered after ${result.slack.attempts} attempt(s)`;
    const gh =
      result.github_issue === null
        ? ''
        : `; github issue #${result.github_issue.number ?? '?'} ${result.github_issue.action ?? ''}`;
    return { result, human: `${event} for ${result.tag}: ${slack}${gh}` };
  },
};
