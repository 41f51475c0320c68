import { SlsaLedgerError } from '../../errors.js';
import { markdownCodeSpan } from '../text/markdown.js';

/** The events `notify` sends; each has one message and one alert path (docs/integrations.md). */
export const notifyEvents = [
  'provenance-failure',
  'manifest-queued',
  'dispatch-token-expired',
  'dispatch-token-expiring',
  'validation-failed',
  'artifact-unavailable',
  'ingest-failed',
  'provenance-ready',
  'ledger-drift',
  'ledger-history-rewritten',
  'ledger-rewrite-accepted',
] as const;

export type NotifyEvent = (typeof notifyEvents)[number];

interface EventText {
  readonly emoji: string;
  readonly headline: string;
  /** what a human should do next */
  readonly action: string;
}

export const eventTexts: Readonly<Record<NotifyEvent, EventText>> = {
  'provenance-failure': {
    emoji: ':x:',
    headline: 'provenance failed',
    action:
      'look at the provenance run, fix the cause and re-run it; the entry is recorded with status failure',
  },
  'manifest-queued': {
    emoji: ':hourglass_flowing_sand:',
    headline: 'manifest entry queued',
    action:
      "the ledger push was refused; the entry is safe in the queue: run 'slsa-ledger flush' once the branch accepts pushes",
  },
  'dispatch-token-expired': {
    emoji: ':closed_lock_with_key:',
    headline: 'dispatch token expired',
    action:
      'create a new fine-grained token (actions: write), store it as PROVENANCE_DISPATCH_TOKEN and update PROVENANCE_DISPATCH_TOKEN_ROTATED_AT, then re-run the release',
  },
  'dispatch-token-expiring': {
    emoji: ':warning:',
    headline: 'dispatch token expires soon',
    action:
      'rotate PROVENANCE_DISPATCH_TOKEN before it expires and update PROVENANCE_DISPATCH_TOKEN_ROTATED_AT',
  },
  'validation-failed': {
    emoji: ':no_entry:',
    headline: 'provenance validation failed',
    action:
      'do not ship this release: read the reason, check the artifacts and the provenance, then re-validate',
  },
  'artifact-unavailable': {
    emoji: ':package:',
    headline: 'provenance artifact unavailable',
    action:
      'the artifact could not be downloaded (expired or deleted?): re-run the provenance workflow or pass --provenance',
  },
  'ingest-failed': {
    emoji: ':floppy_disk:',
    headline: 'ledger ingest failed',
    action:
      "the ledger could not be read or the database did not take it: read the reason, fix the ledger's clone or remote or the database, then re-run 'slsa-ledger ingest'",
  },
  'provenance-ready': {
    emoji: ':white_check_mark:',
    headline: 'provenance recorded',
    action: 'nothing to do: provenance-validate verifies the release next and records its verdict',
  },
  'ledger-history-rewritten': {
    emoji: ':rotating_light:',
    headline: 'ledger history rewritten',
    action:
      "the ledger branch no longer descends from the last head this writer saw (a force-push?): the entry is queued, nothing was written on top; Governance Auditor: run 'slsa-ledger check', find who rewrote the branch and restore it, then run 'slsa-ledger flush'",
  },
  'ledger-rewrite-accepted': {
    emoji: ':memo:',
    headline: 'ledger history rewrite accepted',
    action:
      "an ingest accepted a rewritten history: a cut signed log ('ingest --accept-rewrite': the runs of those days are stored invalid, never verified) or a replaced branch ('ingest --full' over a force-push: the runs it lacks are marked missing); it is recorded on the ingest, the repository and the audit log. Governance Auditor: confirm the acceptance was reviewed and intended, and who ran it",
  },
  'ledger-drift': {
    emoji: ':mag:',
    headline: 'ledger drift found',
    action:
      "Governance Auditor: read the findings of 'slsa-ledger check' in the linked run, find who changed the ledger outside slsa-ledger and why, and close this issue once it is explained or repaired",
  },
};

/** Events that report good news: a Slack message, never a GitHub issue. */
export const informationalEvents: readonly NotifyEvent[] = ['provenance-ready'];

/** Parses `--event`; anything else is a usage error naming the known events. */
export function parseNotifyEvent(value: string): NotifyEvent {
  if ((notifyEvents as readonly string[]).includes(value)) return value as NotifyEvent;
  throw new SlsaLedgerError(
    'USAGE_INVALID_FLAG',
    `unknown event '${value}'; expected one of ${notifyEvents.join(', ')}`,
    {
      details: { flag: 'event', value, expected: notifyEvents },
    },
  );
}

/** What a notification is about: the fields of a ledger entry it shows (all but `tag` optional). */
export interface NotifySubject {
  readonly tag: string;
  /** set when the alert is about a whole ledger (`ingest`): shown instead of tag, run and status */
  readonly repository?: string;
  readonly run_id?: number;
  readonly sha?: string;
  readonly status?: string;
  readonly governance_flag?: string;
  readonly failure_reason?: string;
  readonly artifact_url?: string;
  readonly release_url?: string;
  readonly actor?: string;
  readonly timestamp?: string;
  readonly validation_reason?: string;
}

/**
 * Reads the subject from a (possibly partial) entry: alerts must go out even for an entry the ledger
 * would refuse, so only the shown fields are type-checked and the rest is ignored.
 */
export function parseNotifySubject(value: unknown, overrides: Partial<NotifySubject> = {}): NotifySubject {
  const o =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  if (value !== undefined && o === undefined) {
    throw new SlsaLedgerError('INPUT_INVALID', 'the entry must be a JSON object');
  }
  const str = (k: string): string | undefined => {
    const v = o?.[k];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const runId = o?.run_id;
  const validation = o?.validation as { reason?: unknown } | undefined;
  const picked: Record<string, unknown> = {
    tag: str('tag'),
    run_id: typeof runId === 'number' && Number.isSafeInteger(runId) && runId > 0 ? runId : undefined,
    sha: str('sha'),
    status: str('status'),
    governance_flag: str('governance_flag'),
    failure_reason: str('failure_reason'),
    artifact_url: str('artifact_url'),
    release_url: str('release_url'),
    actor: str('actor'),
    timestamp: str('timestamp'),
    validation_reason: typeof validation?.reason === 'string' ? validation.reason : undefined,
    ...overrides,
  };
  const tag = picked.tag;
  if (typeof tag !== 'string' || tag === '') {
    throw new SlsaLedgerError(
      'INPUT_INVALID',
      'the notification needs a tag: give an entry with "tag" or --tag',
      {
        details: { field: 'tag' },
      },
    );
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(picked)) if (v !== undefined) out[k] = v;
  return out as unknown as NotifySubject;
}

/** Escapes text for Slack mrkdwn (`&`, `<`, `>` are control characters there). */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An https link in Slack's `<url|label>` form, or undefined for anything that is not https. */
export function slackLink(url: string | undefined, label: string): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') return undefined;
  const safe = parsed.href.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E');
  return `<${safe}|${escapeSlack(label)}>`;
}

export interface MessageContext {
  /** the reason to show (default: the entry's failure or validation reason) */
  readonly reason?: string;
  /** the workflow run that raised the alert */
  readonly runUrl?: string;
  /** further https links */
  readonly links?: readonly string[];
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  // never half of a surrogate pair before the ellipsis (an emoji in a tag or reason): that is no Unicode
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 2)) ? max - 2 : max - 1;
  return `${text.slice(0, end)}…`;
}

/** The reason a notification shows. */
export function reasonOf(subject: NotifySubject, context: MessageContext): string | undefined {
  return context.reason ?? subject.failure_reason ?? subject.validation_reason;
}

/** The Slack incoming-webhook payload: a plain `text` fallback plus Block Kit blocks. */
export function buildSlackMessage(
  event: NotifyEvent,
  subject: NotifySubject,
  context: MessageContext = {},
): { text: string; blocks: unknown[] } {
  const t = eventTexts[event];
  const reason = reasonOf(subject, context);
  const headline = `${t.emoji} ${t.headline}: ${subject.tag}`;
  const fields =
    subject.repository === undefined
      ? [
          `*tag*\n${escapeSlack(subject.tag)}`,
          `*run*\n${subject.run_id === undefined ? 'n/a' : String(subject.run_id)}`,
          `*status*\n${escapeSlack(subject.status ?? 'n/a')}`,
          `*flag*\n${escapeSlack(subject.governance_flag ?? event)}`,
        ]
      : [`*repository*\n${escapeSlack(subject.repository)}`, `*event*\n${event}`];
  const links = [
    slackLink(context.runUrl, 'workflow run'),
    slackLink(subject.release_url, 'release'),
    slackLink(subject.artifact_url, 'artifact'),
    ...(context.links ?? []).map((l, i) => slackLink(l, `link ${i + 1}`)),
  ].filter((l): l is string => l !== undefined);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(headline, 150), emoji: true } },
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
  ];
  if (reason !== undefined) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`*reason*\n${escapeSlack(reason)}`, 3000) },
    });
  }
  blocks.push({
    type: 'section',
    text: { type: 'mrkdwn', text: truncate(`*next*\n${escapeSlack(t.action)}`, 3000) },
  });
  if (links.length > 0)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: links.join(' · ') }] });
  const text = [
    `${t.headline}: ${escapeSlack(subject.tag)}`,
    subject.run_id === undefined ? undefined : `run ${subject.run_id}`,
    subject.status === undefined ? undefined : `status ${escapeSlack(subject.status)}`,
    reason === undefined ? undefined : `reason: ${escapeSlack(truncate(reason, 500))}`,
  ]
    .filter((s) => s !== undefined)
    .join(' · ');
  return { text, blocks };
}

/** The GitHub issue for (event, tag): found again by its labels and exact title. */
export function buildIssue(
  event: NotifyEvent,
  subject: NotifySubject,
  context: MessageContext = {},
): { title: string; labels: string[]; body: string; comment: string } {
  const t = eventTexts[event];
  const reason = reasonOf(subject, context);
  const title = `slsa-ledger: ${event} for ${subject.tag}`;
  // text from the ledger (tag, status, flag, reason) is shown as code; the urls stay links
  const code = (v: string | undefined): string | undefined =>
    v === undefined ? undefined : markdownCodeSpan(v.replace(/[\r\n]+/g, ' '));
  const rows = [
    ['tag', code(subject.tag)],
    ['run', subject.run_id === undefined ? 'n/a' : String(subject.run_id)],
    ['status', code(subject.status) ?? 'n/a'],
    ['flag', code(subject.governance_flag ?? event)],
    ['reason', code(reason) ?? 'n/a'],
    ['workflow run', context.runUrl ?? 'n/a'],
    ['release', subject.release_url ?? 'n/a'],
    ['artifact', subject.artifact_url ?? 'n/a'],
  ].map(([k, v]) => `| ${k} | ${(v ?? '').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ')} |`);
  const table = ['| | |', '| --- | --- |', ...rows].join('\n');
  return {
    title,
    labels: ['slsa-ledger', `slsa-ledger:${event}`],
    body: `**${t.headline}** for ${markdownCodeSpan(subject.tag)}.\n\n${table}\n\n**Next:** ${t.action}\n\n<!-- slsa-ledger event=${event} -->\n`,
    comment: `**${t.headline} again** for ${markdownCodeSpan(subject.tag)}.\n\n${table}\n`,
  };
}
