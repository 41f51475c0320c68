import { SlsaLedgerError } from '../../errors.js';
import type { EntryMetrics } from '../ledger/entry.js';
import type { TokenAudit } from './token-audit.js';
import { htmlText } from '../text/markdown.js';

export interface RepositoryName {
  readonly owner: string;
  readonly repo: string;
}

/** `OWNER/REPO` as GitHub allows them (letters, digits, `-`, `_`, `.`). */
export function parseRepository(value: string, flag = 'repository'): RepositoryName {
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/.exec(value);
  if (m === null || m[2] === '.' || m[2] === '..') {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--${flag} takes OWNER/REPO, got '${value}'`, {
      details: { flag, value },
    });
  }
  return { owner: m[1] ?? '', repo: m[2] ?? '' };
}

/** A workflow file name (`provenance.yml`), a path under `.github/workflows/`, or a numeric id. */
export function parseWorkflow(value: string): string {
  const name = value.replace(/^\.github\/workflows\//, '');
  if (/^\d+$/.test(name) || /^[A-Za-z0-9._-]+\.ya?ml$/.test(name)) return name;
  throw new SlsaLedgerError(
    'USAGE_INVALID_FLAG',
    `--workflow takes a workflow file name (e.g. provenance.yml) or id, got '${value}'`,
    { details: { flag: 'workflow', value } },
  );
}

/** A git ref as the dispatch API takes it: a branch or tag name, or `refs/heads/…` / `refs/tags/…`. */
export function parseRef(value: string): string {
  if (
    value === '' ||
    value.startsWith('-') ||
    // eslint-disable-next-line no-control-regex -- git refuses control characters in ref names
    /[\s~^:?*[\\\x00-\x1f\x7f]/.test(value) ||
    value.includes('..') ||
    value.includes('@{') ||
    value.endsWith('/') ||
    value.endsWith('.lock') ||
    value.length > 255
  ) {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--ref takes a branch or tag name, got '${value}'`, {
      details: { flag: 'ref', value },
    });
  }
  return value;
}

/** The short name GitHub shows as a run's `head_branch`: `refs/tags/v1` → `v1`. */
export function shortRefName(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

/** The tag the dispatch is for: `--tag`, else the `tag` input, else the ref's short name. */
export function decideDispatchTag(
  tag: string | undefined,
  inputs: Readonly<Record<string, string>>,
  ref: string,
): string {
  return tag ?? inputs.tag ?? shortRefName(ref);
}

/** One workflow run as the list-runs API returns it (the fields the match needs). */
export interface WorkflowRunSummary {
  readonly id: number;
  readonly event: string;
  readonly head_branch: string | null;
  readonly created_at: string;
  readonly html_url?: string;
}

/**
 * Picks the run a dispatch started when the server did not return its id: a `workflow_dispatch` run
 * on the same ref created at or after the call (`since`, the server's clock), the earliest first.
 * Returns undefined when none matches yet; `ambiguous` when several do (concurrent dispatches).
 */
export function pickDispatchedRun(
  runs: readonly WorkflowRunSummary[],
  options: { readonly ref: string; readonly since: Date },
): { readonly run: WorkflowRunSummary; readonly ambiguous: boolean } | undefined {
  const branch = shortRefName(options.ref);
  const matches = runs
    .filter(
      (r) =>
        r.event === 'workflow_dispatch' &&
        r.head_branch === branch &&
        Date.parse(r.created_at) >= options.since.getTime(),
    )
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
  const first = matches[0];
  return first === undefined ? undefined : { run: first, ambiguous: matches.length > 1 };
}

/** The `metrics` fields a dispatch contributes to the entry (DESIGN §5), ready to merge. */
export function buildDispatchMetrics(
  audit: TokenAudit,
  usage: { readonly usedByRunId?: number; readonly usedAt: string },
): EntryMetrics {
  return {
    ...(audit.expiresAt === undefined ? {} : { dispatch_token_expires_at: audit.expiresAt }),
    ...(audit.rotatedAt === undefined ? {} : { dispatch_token_rotated_at: audit.rotatedAt }),
    ...(usage.usedByRunId === undefined ? {} : { dispatch_token_last_used_run_id: usage.usedByRunId }),
    dispatch_token_last_used_at: usage.usedAt,
  };
}

/** `$GITHUB_OUTPUT` lines (`name=value`; a value with a newline uses the heredoc form). */
export function renderGithubOutput(outputs: Readonly<Record<string, string>>, delimiter: string): string {
  return Object.entries(outputs)
    .map(([k, v]) => (/[\r\n]/.test(v) ? `${k}<<${delimiter}\n${v}\n${delimiter}\n` : `${k}=${v}\n`))
    .join('');
}

/** A row of the step summary: a label, the value shown as written, and a link for it when it is https. */
export type StepSummaryRow = readonly [label: string, value: string, href?: string | undefined];

/**
 * The step summary for `$GITHUB_STEP_SUMMARY`: an HTML table (GitHub renders HTML in job summaries).
 * Values come from outside (a pushed tag, a workflow path, GitHub's answers), so each is HTML text
 * inside `<code>`: Markdown, HTML, `@mentions` and `#123` references are shown as written, and a
 * `|` cannot split a cell as it can in a Markdown table. Line breaks become spaces (a blank line
 * would end the HTML block).
 */
export function renderStepSummary(title: string, rows: readonly StepSummaryRow[]): string {
  const cell = (value: string, href: string | undefined): string => {
    const code = `<code>${htmlText(oneLine(value))}</code>`;
    return href !== undefined && /^https:\/\//i.test(href)
      ? `<a href="${htmlText(oneLine(href))}">${code}</a>`
      : code;
  };
  return [
    `### ${title}`,
    '',
    '<table>',
    ...rows.map(
      ([label, value, href]) => `<tr><th>${htmlText(oneLine(label))}</th><td>${cell(value, href)}</td></tr>`,
    ),
    '</table>',
    '',
    '',
  ].join('\n');
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** A duration flag in seconds (decimals allowed) within [min, max], as milliseconds. */
export function parseSecondsFlag(
  flag: string,
  raw: string | undefined,
  range: { readonly min: number; readonly max: number },
): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= range.min && n <= range.max)) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `--${flag} takes seconds from ${range.min} to ${range.max}, got '${raw}'`,
      {
        details: { flag, value: raw },
      },
    );
  }
  return Math.round(n * 1000);
}
