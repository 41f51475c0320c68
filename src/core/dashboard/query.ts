import { SlsaLedgerError } from '../../errors.js';
import type { KpiWindow } from '../kpi/kpi.js';
import { DEFAULT_WINDOW_DAYS, parseWindowBound } from '../kpi/window.js';
import { isLedgerName } from '../ingest/repository.js';

// Query-parameter parsing for the read-only JSON API. Pure: `now` comes in as an argument.
// Every parameter is checked against a whitelist; anything unknown, repeated or malformed is a
// coded usage error, which the server answers with 400 and `{ error: { code, message, details } }`.

export type QueryParams = readonly (readonly [string, string])[];

/** A window of entry timestamps: `since` inclusive, `until` exclusive (ISO 8601 UTC strings). */
export interface TimeWindow {
  readonly since?: string;
  readonly until?: string;
}

export const runSortKeys = [
  'timestamp',
  'repository',
  'tag',
  'run_id',
  'status',
  'governance_flag',
  'validated_at',
  'actor',
] as const;
export type RunSortKey = (typeof runSortKeys)[number];
export type SortOrder = 'asc' | 'desc';
export type RunStatus = 'success' | 'failure';

export const defaultPerPage = 50;
export const maxPerPage = 200;
/** deep pages are refused: an offset this large is a scraper, not a person, and costs a scan */
export const maxPage = 10_000;
const maxTagBytes = 255;

export interface RunsQuery extends TimeWindow {
  readonly scope?: RepositoryScope;
  readonly tagPrefix?: string;
  readonly status?: RunStatus;
  readonly governanceFlag?: string;
  readonly page: number;
  readonly perPage: number;
  readonly sort: RunSortKey;
  readonly order: SortOrder;
}

export interface RunKey {
  readonly tag: string;
  readonly runId: number;
  /** needed only when several repositories hold a run with this tag and run id */
  readonly repository?: string;
}

function invalid(param: string, message: string, value?: string): SlsaLedgerError {
  return new SlsaLedgerError('DASHBOARD_PARAM_INVALID', message, {
    details: value === undefined ? { param } : { param, value: value.slice(0, 100) },
  });
}

/** Query parameters that may be given more than once (`repository=a/b&repository=c/d`). */
const repeatable: ReadonlySet<string> = new Set(['repository']);

function single(params: QueryParams, allowed: readonly string[]): Map<string, string> {
  const seen = new Map<string, string>();
  for (const [name, value] of params) {
    if (repeatable.has(name) && allowed.includes(name)) continue;
    if (!allowed.includes(name)) {
      throw new SlsaLedgerError(
        'DASHBOARD_PARAM_UNKNOWN',
        `unknown query parameter '${name.slice(0, 50)}'; expected one of ${allowed.join(', ')}`,
        { details: { param: name.slice(0, 50), allowed } },
      );
    }
    if (seen.has(name)) throw invalid(name, `query parameter '${name}' given more than once`);
    seen.set(name, value);
  }
  return seen;
}

/**
 * One end of a window, as `kpi --since/--until` read it (the KPI window's own parser): `YYYY-MM-DD`
 * (UTC; as `until` the end of that day), an RFC 3339 date-time, or an age `Nd` / `Nh` before `now`.
 */
export function parseTimeBound(param: string, raw: string, bound: 'since' | 'until', now: Date): string {
  try {
    return parseWindowBound(bound, raw, now);
  } catch (error) {
    throw new SlsaLedgerError(
      'DASHBOARD_PARAM_INVALID',
      `${param} takes YYYY-MM-DD, an RFC 3339 date-time or an age such as 7d or 12h, got '${raw.slice(0, 40)}'`,
      { cause: error, details: { param, value: raw.slice(0, 100) } },
    );
  }
}

function parseWindow(values: Map<string, string>, now: Date): TimeWindow {
  const sinceRaw = values.get('since');
  const untilRaw = values.get('until');
  const since =
    sinceRaw === undefined || sinceRaw === '' ? undefined : parseTimeBound('since', sinceRaw, 'since', now);
  const until =
    untilRaw === undefined || untilRaw === '' ? undefined : parseTimeBound('until', untilRaw, 'until', now);
  if (since !== undefined && until !== undefined && Date.parse(since) >= Date.parse(until)) {
    throw invalid('until', `until (${until}) must be later than since (${since})`);
  }
  return { ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }) };
}

/**
 * The window a `/api/kpi` or `/api/manifests` request covers, as `kpi` resolves it: `until` defaults
 * to now, `since` to 30 days before `until`. A window left empty by a default (`since` now or later,
 * with no `until`) is refused as one given empty is.
 */
export function resolveRequestWindow(parsed: TimeWindow, now: Date): KpiWindow {
  const until = parsed.until ?? now.toISOString();
  const since = parsed.since ?? new Date(Date.parse(until) - DEFAULT_WINDOW_DAYS * 86_400_000).toISOString();
  if (Date.parse(since) >= Date.parse(until)) {
    throw invalid(
      parsed.since === undefined ? 'until' : 'since',
      `since (${since}) must be earlier than until (${until}${parsed.until === undefined ? ', now' : ''})`,
    );
  }
  return { since, until };
}

function parseInteger(
  param: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw invalid(
      param,
      `${param} takes a whole number from ${min} to ${max}, got '${raw.slice(0, 20)}'`,
      raw,
    );
  }
  return Number(raw);
}

// eslint-disable-next-line no-control-regex
const controlChars = /[\u0000-\u001f\u007f]/;

/** Checks a tag (or tag prefix) from a URL: at most 255 bytes, no control characters. */
export function checkTagText(param: string, value: string): string {
  if (new TextEncoder().encode(value).length > maxTagBytes) {
    throw invalid(param, `${param} is longer than ${maxTagBytes} bytes`);
  }
  if (controlChars.test(value)) throw invalid(param, `${param} contains a control character`);
  return value;
}

/** Which repositories a request covers (none given: every one). */
export interface RepositoryScope {
  readonly repositories?: readonly string[];
  readonly owner?: string;
}

const ownerRe = /^[A-Za-z0-9_.-]{1,100}$/;

function parseScope(params: QueryParams, values: Map<string, string>): RepositoryScope | undefined {
  const repositories = params.filter(([k, v]) => k === 'repository' && v !== '').map(([, v]) => v);
  if (repositories.length > 100) throw invalid('repository', 'at most 100 repository parameters');
  for (const r of repositories) {
    if (!isLedgerName(r)) {
      throw invalid('repository', `repository takes owner/name, got '${r.slice(0, 60)}'`, r);
    }
  }
  const owner = values.get('owner');
  if (owner !== undefined && owner !== '' && (!ownerRe.test(owner) || owner === '.' || owner === '..')) {
    throw invalid('owner', `owner takes an owner name, got '${owner.slice(0, 60)}'`, owner);
  }
  const hasOwner = owner !== undefined && owner !== '';
  if (repositories.length === 0 && !hasOwner) return undefined;
  return {
    ...(repositories.length === 0 ? {} : { repositories: [...new Set(repositories)] }),
    ...(hasOwner ? { owner } : {}),
  };
}

/** `/api/kpi?since=&until=&repository=…&owner=`. */
export function parseKpiQuery(
  params: QueryParams,
  now: Date,
): TimeWindow & { readonly scope?: RepositoryScope } {
  const values = single(params, ['since', 'until', 'repository', 'owner']);
  const scope = parseScope(params, values);
  return { ...parseWindow(values, now), ...(scope === undefined ? {} : { scope }) };
}

/** Where a page of the manifest list starts: after this file (byte order of repository, then path). */
export interface ManifestCursor {
  readonly repository: string;
  readonly path: string;
}

export interface ManifestsQuery extends TimeWindow {
  readonly scope?: RepositoryScope;
  readonly limit: number;
  readonly after?: ManifestCursor;
}

export const defaultManifestLimit = 500;
export const maxManifestLimit = 5_000;
const maxCursorChars = 2_800;

/** The cursor as the API gives it: base64url of the JSON `[repository, path]` (opaque to clients). */
export function encodeManifestCursor(cursor: ManifestCursor): string {
  const bytes = new TextEncoder().encode(JSON.stringify([cursor.repository, cursor.path]));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A cursor `encodeManifestCursor` made; anything else is DASHBOARD_PARAM_INVALID (param `after`). */
export function decodeManifestCursor(raw: string): ManifestCursor {
  const bad = (): SlsaLedgerError =>
    invalid('after', 'after takes the cursor a previous page gave as next', raw);
  if (raw.length > maxCursorChars || !/^[A-Za-z0-9_-]+$/.test(raw) || raw.length % 4 === 1) throw bad();
  let value: unknown;
  try {
    const binary = atob(raw.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new SlsaLedgerError(
      'DASHBOARD_PARAM_INVALID',
      'after takes the cursor a previous page gave as next',
      {
        cause: error,
        details: { param: 'after', value: raw.slice(0, 100) },
      },
    );
  }
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    typeof value[0] !== 'string' ||
    typeof value[1] !== 'string' ||
    !isLedgerName(value[0]) ||
    value[1] === '' ||
    value[1].length > 1024 ||
    controlChars.test(value[1])
  ) {
    throw bad();
  }
  return { repository: value[0], path: value[1] };
}

/** `/api/manifests?repository=…&owner=&since=&until=&limit=&after=`. */
export function parseManifestsQuery(params: QueryParams, now: Date): ManifestsQuery {
  const v = single(params, ['repository', 'owner', 'since', 'until', 'limit', 'after']);
  const scope = parseScope(params, v);
  const after = v.get('after');
  return {
    ...parseWindow(v, now),
    ...(scope === undefined ? {} : { scope }),
    limit: parseInteger('limit', v.get('limit'), defaultManifestLimit, 1, maxManifestLimit),
    ...(after === undefined || after === '' ? {} : { after: decodeManifestCursor(after) }),
  };
}

/** `/api/runs?repository=…&owner=&tag_prefix=&status=&governance_flag=&since=&until=&page=&per_page=&sort=&order=`. */
export function parseRunsQuery(params: QueryParams, now: Date): RunsQuery {
  const v = single(params, [
    'repository',
    'owner',
    'tag_prefix',
    'status',
    'governance_flag',
    'since',
    'until',
    'page',
    'per_page',
    'sort',
    'order',
  ]);
  const window = parseWindow(v, now);
  const tagPrefix = v.get('tag_prefix');
  const status = v.get('status');
  if (status !== undefined && status !== '' && status !== 'success' && status !== 'failure') {
    throw invalid('status', `status takes success or failure, got '${status.slice(0, 40)}'`, status);
  }
  const flag = v.get('governance_flag');
  if (flag !== undefined && flag !== '' && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(flag)) {
    throw invalid('governance_flag', 'governance_flag takes a kebab-case flag such as validated', flag);
  }
  if (flag !== undefined && flag.length > 64) throw invalid('governance_flag', 'governance_flag is too long');
  const sort = v.get('sort');
  if (sort !== undefined && sort !== '' && !(runSortKeys as readonly string[]).includes(sort)) {
    throw invalid('sort', `sort takes one of ${runSortKeys.join(', ')}, got '${sort.slice(0, 40)}'`, sort);
  }
  const order = v.get('order');
  if (order !== undefined && order !== '' && order !== 'asc' && order !== 'desc') {
    throw invalid('order', `order takes asc or desc, got '${order.slice(0, 40)}'`, order);
  }
  const sortKey: RunSortKey = sort === undefined || sort === '' ? 'timestamp' : (sort as RunSortKey);
  const scope = parseScope(params, v);
  return {
    ...window,
    ...(scope === undefined ? {} : { scope }),
    ...(tagPrefix === undefined || tagPrefix === ''
      ? {}
      : { tagPrefix: checkTagText('tag_prefix', tagPrefix) }),
    ...(status === 'success' || status === 'failure' ? { status } : {}),
    ...(flag === undefined || flag === '' ? {} : { governanceFlag: flag }),
    page: parseInteger('page', v.get('page'), 1, 1, maxPage),
    perPage: parseInteger('per_page', v.get('per_page'), defaultPerPage, 1, maxPerPage),
    sort: sortKey,
    order:
      order === 'asc' || order === 'desc'
        ? order
        : sortKey === 'timestamp' || sortKey === 'validated_at'
          ? 'desc'
          : 'asc',
  };
}

/** `/api/runs/:tag/:run_id` has no query parameters. */
export function parseNoQuery(params: QueryParams): void {
  single(params, []);
}

/** `/api/runs/:tag/:run_id?repository=owner/name` (the repository when several hold the run). */
export function parseRunQuery(params: QueryParams): { readonly repository?: string } {
  const v = single(params, ['repository']);
  const repositories = params.filter(([k]) => k === 'repository').map(([, value]) => value);
  if (repositories.length > 1)
    throw invalid('repository', `query parameter 'repository' given more than once`);
  const r = repositories[0];
  if (r === undefined || r === '') return {};
  if (!isLedgerName(r))
    throw invalid('repository', `repository takes owner/name, got '${r.slice(0, 60)}'`, r);
  void v;
  return { repository: r };
}

/** The run id segment of `/api/runs/:tag/:run_id`: an integer from 1 to 2^53 − 1. */
export function parseRunId(raw: string): number {
  if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < 1) {
    throw invalid('run_id', `run_id takes a whole number from 1 to ${Number.MAX_SAFE_INTEGER}`, raw);
  }
  return Number(raw);
}
