// The ledger entry (DESIGN.md §4): its type, its schema with one clear message per bad field, the
// canonical serializer (same entries -> same bytes), version order of tags and the day file path.
import { isAscii } from 'node:buffer';
import { SlsaLedgerError, ValidationError } from '../../errors.js';
import { limits } from '../input/limits.js';
import { escapeUnprintable } from '../text/unprintable.js';
import { isCredentialParam } from '../redact/redact.js';

export type EntryStatus = 'success' | 'failure';

/** One past value of `governance_flag`, pushed by the merge rule when the flag changes. */
export interface GovernanceHistoryItem {
  readonly flag: string;
  /** the entry's `timestamp` while this flag was current */
  readonly timestamp: string;
  readonly run_id: number;
}

export interface ProvenanceSubject {
  readonly name: string;
  /** 64 lower-case hex */
  readonly sha256: string;
}

/** What `attest` produced for the release: enough to find and check it again. */
export interface EntryProvenance {
  /** `sha256:<64 hex>` of the provenance document (bundle or envelope) bytes */
  readonly digest: string;
  readonly predicate_type: string;
  readonly builder_id: string;
  readonly subjects: readonly ProvenanceSubject[];
}

export type ValidationStatus = 'passed' | 'failed';

/** The security CI's verdict (`validate --record`). */
export interface EntryValidation {
  readonly status: ValidationStatus;
  readonly validated_at: string;
  readonly validator_run_id?: number;
  readonly reason?: string;
}

export interface NotifyMetrics {
  readonly attempts: number;
  readonly delivered: number;
  /** seconds from the first Slack attempt to its delivery (seed §4.4); absent when Slack was skipped or failed */
  readonly latency_s?: number;
}

/** Operational figures of the run (DESIGN.md §5). */
export interface EntryMetrics {
  readonly dispatch_token_expires_at?: string;
  readonly dispatch_token_rotated_at?: string;
  /** the run that last used the dispatch token */
  readonly dispatch_token_last_used_run_id?: number;
  readonly dispatch_token_last_used_at?: string;
  readonly artifact_upload_latency_s?: number;
  /** seconds `record` waited for the local ledger lock */
  readonly lock_wait_s?: number;
  readonly notify?: NotifyMetrics;
}

/** One release run in the ledger; fields in canonical order. Keyed by (`tag`, `run_id`). */
export interface LedgerEntry {
  readonly run_id: number;
  readonly tag: string;
  readonly sha: string;
  /** null only when `status` is `failure` */
  readonly artifact_url: string | null;
  readonly actor: string;
  /** RFC 3339 UTC (`…Z`) */
  readonly timestamp: string;
  readonly status: EntryStatus;
  readonly governance_flag?: string;
  readonly release_url?: string;
  /** required when `status` is `failure` */
  readonly failure_reason?: string;
  // tool-written
  readonly governance_history?: readonly GovernanceHistoryItem[];
  readonly provenance?: EntryProvenance;
  readonly validation?: EntryValidation;
  readonly metrics?: EntryMetrics;
}

/** One problem found in user input; `path` names the field (`tag`, `provenance.subjects.0.sha256`). */
export interface EntryProblem {
  readonly path: string;
  readonly message: string;
  /** position of the entry in a manifest array, when parsing a manifest */
  readonly index?: number;
}

/** Flags the tools write; any other kebab-case flag is accepted too. */
export const knownGovernanceFlags = [
  'provenance-ready',
  'validated',
  'validation-failed',
  'artifact-missing',
  'manifest-queued',
  'dispatch-token-expired',
  'dispatch-token-expiring',
  'dispatch-token-rotation-overdue',
] as const;

export const MAX_TAG_BYTES = 255;
export const MAX_TEXT_LENGTH = 4096;

// ---- field checks: each returns one message, or undefined when the value is fine ----------------

type Check = (value: unknown, name: string) => string | undefined;

// C0 controls except tab and newline, DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const SHA_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const HEX64_RE = /^[0-9a-f]{64}$/;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const KEBAB_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
// printable ASCII but '@' and '\\' in the path
const SIMPLE_HTTPS_RE =
  /^https:\/\/[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?:\/[\x21-\x3f\x41-\x5b\x5d-\x7e]*)?$/;
// the WHATWG URL parser's "ends in a number": a host whose last label is all digits, or `0x` and hex
// digits, is an IPv4 address to it (`999.1.1.1` and `a.1` are refused, `10.0.0.1` taken)
const NUMBER_LABEL_RE = /(?:^|\.)(?:[0-9]+|0[xX][0-9A-Fa-f]*)$/;

/** The common shape (SIMPLE_HTTPS_RE), unless the parser would read its host as IPv4. */
function simpleHttpsUrl(s: string): boolean {
  if (!SIMPLE_HTTPS_RE.test(s)) return false;
  const slash = s.indexOf('/', 8);
  const hostEnd = slash === -1 ? s.length : slash;
  // a number ends in a digit, a hex letter or the x of a bare `0x`: any other host needs no more look
  const c = s.charCodeAt(hostEnd - 1) | 0x20;
  if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || c === 0x78)) return true;
  return !NUMBER_LABEL_RE.test(s.slice(8, hostEnd));
}
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    const shown = escapeUnprintable(value.length > 60 ? `${value.slice(0, 57)}...` : value);
    return `'${shown}'`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

export function checkPlainText(value: unknown, name: string, max = MAX_TEXT_LENGTH): string | undefined {
  if (value === undefined) return `${name} is required`;
  if (typeof value !== 'string') return `${name} must be text, got ${describe(value)}`;
  if (value.trim() === '') return `${name} must not be empty`;
  if (value.length > max) return `${name} must be at most ${max} characters, got ${value.length}`;
  if (CONTROL.test(value)) return `${name} must be plain text without control characters`;
  // Postgres text (and UTF-8) cannot hold a lone surrogate: refused here so every value the
  // schema accepts, the database stores
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed())
    return `${name} must be well-formed unicode text (a lone surrogate is not)`;
  return undefined;
}

export function checkHttpsUrl(value: unknown, name: string): string | undefined {
  const text = checkPlainText(value, name, 2048);
  if (text !== undefined) return text;
  const s = value as string;
  // the common shape, decided without the (slow) URL parser: host without port or credentials
  if (simpleHttpsUrl(s)) return undefined;
  // a refused url is shown without what may be a credential (user:password@, the query, the fragment)
  if (/\s/.test(s)) return `${name} must be an https url without spaces, got ${describe(maskUrl(s))}`;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return `${name} must be an https url, got ${describe(maskUrl(s))}`;
  }
  if (url.protocol !== 'https:') return `${name} must be an https url, got scheme '${url.protocol}'`;
  if (url.hostname === '') return `${name} must name a host`;
  // credentials in a URL would end up in the ledger and every clone of it
  if (url.username !== '' || url.password !== '') return `${name} must not carry credentials`;
  return undefined;
}

/** A url as a message may show it: no userinfo (`***@`), no query or fragment (`?…`). */
function maskUrl(s: string): string {
  return s.replace(/^([^:/?#]*:[/\\]*)[^/\\?#]*@/, '$1***@').replace(/[?#][\s\S]*$/, '?…');
}

// The credential parameter names are the redaction's (src/core/redact/redact.ts `isCredentialParam`):
// one list for what the writers refuse and what messages and files hide.
function paramName(part: string): string {
  const raw = part.split('=', 1)[0]!.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(raw).trim();
  } catch {
    return raw.trim();
  }
}

/**
 * Why a url would publish a credential in the ledger, or undefined: user or password before `@`,
 * or a query or fragment parameter named like a credential (`?X-Amz-Signature=…`, `?sig=…`,
 * `?token=…`, `#access_token=…`). The message names the field and the parameter, never its value.
 * A write rule (`record`, `validate --record`): entries already in a ledger stay readable.
 */
export function urlCredentialProblem(value: unknown, name: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  const authority = /^[^:/?#]*:[/\\]*([^/\\?#]*)/.exec(value)?.[1] ?? '';
  if (authority.includes('@')) {
    return `${name} must not carry credentials (a user or password before '@'): they would be published in the ledger and every clone of it; record the url without them`;
  }
  const at = value.search(/[?#]/);
  if (at === -1) return undefined;
  for (const part of value.slice(at + 1).split(/[&;?#]/)) {
    if (part === '') continue;
    const param = paramName(part);
    if (isCredentialParam(param)) {
      const shown = escapeUnprintable(param.length > 40 ? `${param.slice(0, 37)}...` : param);
      return `${name} must not carry a credential: its parameter '${shown}' is one by its name (a signed or tokenised url would be published in the ledger and every clone of it); record the url without it, e.g. the release asset's own url`;
    }
  }
  return undefined;
}

/**
 * Refuses a new entry whose `artifact_url` or `release_url` carries a credential
 * (`urlCredentialProblem`). Takes the raw value before the schema: the refusal is the same whatever
 * else is wrong, and nothing of the url is echoed.
 * @throws ValidationError `LEDGER_URL_CREDENTIAL` (`details.problems`)
 */
export function checkEntryUrls(value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const o = value as Record<string, unknown>;
  const problems: EntryProblem[] = [];
  for (const field of ['artifact_url', 'release_url'] as const) {
    const message = urlCredentialProblem(o[field], field);
    if (message !== undefined) problems.push({ path: field, message });
  }
  if (problems.length > 0) {
    throw new ValidationError(
      'LEDGER_URL_CREDENTIAL',
      `invalid ledger entry: ${problems[0]!.message}${problems.length > 1 ? ' (and 1 more)' : ''}`,
      { details: { problems } },
    );
  }
}

export function checkTimestamp(value: unknown, name: string): string | undefined {
  if (value === undefined) return `${name} is required`;
  if (typeof value !== 'string') return `${name} must be an rfc 3339 utc timestamp, got ${describe(value)}`;
  const m = TIMESTAMP_RE.exec(value);
  if (m === null) {
    return `${name} must be an rfc 3339 utc timestamp like 2025-11-24T10:00:00Z, got ${describe(value)}`;
  }
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1] ?? 0;
  if (y < 1970 || d < 1 || d > days || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) {
    return `${name} is not a real date and time: ${describe(value)}`;
  }
  return undefined;
}

// `YYYY-MM-DDTHH:MM:SSZ`, the shape every tool writes, decided without the regex's match array
// (10,000 entries hold 10,000 of them). True only for values `checkTimestamp` accepts; anything
// else goes to `checkTimestamp`, which alone words the message.
function isPlainTimestamp(v: string): boolean {
  if (v.length !== 20 || v.charCodeAt(19) !== 90 /* Z */) return false;
  let y = 0;
  for (let i = 0; i < 4; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return false;
    y = y * 10 + c;
  }
  const two = (at: number): number => {
    const a = v.charCodeAt(at) - 48;
    const b = v.charCodeAt(at + 1) - 48;
    return a < 0 || a > 9 || b < 0 || b > 9 ? -1 : a * 10 + b;
  };
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84) return false;
  if (v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return false;
  const mo = two(5);
  const d = two(8);
  const h = two(11);
  const mi = two(14);
  const s = two(17);
  if (mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = mo === 2 ? (leap ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
  return y >= 1970 && d <= days;
}

// An https url of the common shape is plain text too: no space or control character, not empty.
function httpsUrlFast(v: unknown): boolean {
  return typeof v === 'string' && v.length <= 2048 && simpleHttpsUrl(v);
}

// One path component of ASCII letters, digits and `_+.-`, not starting with `.` or `-`: the
// tags releases use. Such a tag breaks `tagProblem`'s rules only by `..`, a trailing `.` or a
// trailing `.lock`, tested next; every other tag goes to `tagProblem`.
const PLAIN_TAG_RE = /^[A-Za-z0-9_+][A-Za-z0-9_+.-]{0,254}$/;

function tagFast(v: unknown): boolean {
  return (
    typeof v === 'string' &&
    PLAIN_TAG_RE.test(v) &&
    !v.includes('..') &&
    !v.endsWith('.') &&
    !v.endsWith('.lock')
  );
}

function checkRunId(value: unknown, name: string): string | undefined {
  if (value === undefined) return `${name} is required`;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    return `${name} must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}, got ${describe(value)}`;
  }
  return undefined;
}

/**
 * The most seconds a duration may hold (about 31.7 years): the ingest function's bound
 * (`slsa_check_seconds`), which the KPI histograms' buckets cover.
 */
export const MAX_SECONDS = 1e9;

function checkSeconds(value: unknown, name: string): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_SECONDS) {
    return `${name} must be a number of seconds from 0 to 1e9, got ${describe(value)}`;
  }
  return undefined;
}

/** The largest value of a Postgres `integer` (int4) column: counts are stored in one. */
export const MAX_INT4 = 2_147_483_647;

function checkInt4Count(value: unknown, name: string): string | undefined {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_INT4) {
    return `${name} must be a whole number from 0 to ${MAX_INT4}, got ${describe(value)}`;
  }
  return undefined;
}

/**
 * Why `tag` is not a name `git tag` accepts, or undefined: the rules of `git check-ref-format`
 * applied to `refs/tags/<tag>`, no leading `-`, at most 255 bytes.
 */
export function tagProblem(tag: string): string | undefined {
  if (tag === '') return 'must not be empty';
  if (tag.length * 3 > MAX_TAG_BYTES && new TextEncoder().encode(tag).length > MAX_TAG_BYTES)
    return `must be at most ${MAX_TAG_BYTES} bytes`;
  if (tag.startsWith('-')) return "must not start with '-'";
  if (!(tag as string & { isWellFormed(): boolean }).isWellFormed()) return 'must be well-formed unicode';
  // one tag must look like one tag: no invisible (zero-width, U+FEFF, soft hyphen, other format
  // characters), bidirectional-control or separator characters, and only its NFC form
  if (INVISIBLE_RE.test(tag)) return 'must not contain invisible, bidirectional-control or space characters';
  if (tag.normalize('NFC') !== tag) return 'must be in unicode normalization form C (NFC)';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(tag)) return 'must not contain control characters';
  const bad = /[ ~^:?*[\\]/.exec(tag);
  if (bad !== null) return `must not contain '${bad[0]}'`;
  if (tag.includes('..')) return "must not contain '..'";
  if (tag.includes('@{')) return "must not contain '@{'";
  if (tag === '@') return "must not be '@'";
  if (tag.startsWith('/') || tag.endsWith('/')) return "must not start or end with '/'";
  if (tag.includes('//')) return "must not contain '//'";
  if (tag.endsWith('.')) return "must not end with '.'";
  for (const part of tag.split('/')) {
    if (part.startsWith('.')) return "must not have a path component starting with '.'";
    if (part.endsWith('.lock')) return "must not have a path component ending with '.lock'";
  }
  return undefined;
}

// \p{Cf}: format characters (ZWSP U+200B, ZWJ/ZWNJ, LRM/RLM, the bidi embeddings, overrides and
// isolates U+202A–202E and U+2066–2069, U+FEFF, soft hyphen U+00AD, U+061C…); \p{Z}: spaces and
// separators; and the invisible letters and marks Unicode does not class as Cf.
// eslint-disable-next-line no-misleading-character-class -- single code points, listed on purpose
const INVISIBLE_RE = /[\p{Cf}\p{Z}\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0\ufe00-\ufe0f]/u;

function checkTag(value: unknown, name: string): string | undefined {
  if (value === undefined) return `${name} is required`;
  if (typeof value !== 'string') return `${name} must be a git tag name, got ${describe(value)}`;
  const problem = tagProblem(value);
  return problem === undefined
    ? undefined
    : `${name} is not a valid git tag name (${problem}): ${describe(value)}`;
}

function checkSha(value: unknown, name: string): string | undefined {
  if (value === undefined) return `${name} is required`;
  if (typeof value !== 'string' || !SHA_RE.test(value)) {
    return `${name} must be a git commit id of 40 or 64 lower-case hex digits, got ${describe(value)}`;
  }
  return undefined;
}

function checkHex64(value: unknown, name: string): string | undefined {
  if (typeof value !== 'string' || !HEX64_RE.test(value)) {
    return `${name} must be 64 lower-case hex digits, got ${describe(value)}`;
  }
  return undefined;
}

function checkDigest(value: unknown, name: string): string | undefined {
  if (typeof value !== 'string' || !DIGEST_RE.test(value)) {
    return `${name} must be 'sha256:' and 64 lower-case hex digits, got ${describe(value)}`;
  }
  return undefined;
}

function checkStatus(value: unknown, name: string): string | undefined {
  if (value === undefined) return `${name} is required`;
  if (value !== 'success' && value !== 'failure') {
    return `${name} must be 'success' or 'failure', got ${describe(value)}`;
  }
  return undefined;
}

function checkFlag(value: unknown, name: string): string | undefined {
  if (typeof value !== 'string' || !KEBAB_RE.test(value) || value.length > 100) {
    return `${name} must be a kebab-case word like 'provenance-ready', got ${describe(value)}`;
  }
  return undefined;
}

function checkArtifactUrl(value: unknown, name: string): string | undefined {
  if (value === undefined) return `${name} is required (null only when status is 'failure')`;
  if (value === null) return undefined; // allowed only on failure: checked with the whole entry
  return checkHttpsUrl(value, name);
}

function checkValidationStatus(value: unknown, name: string): string | undefined {
  if (value !== 'passed' && value !== 'failed') {
    return `${name} must be 'passed' or 'failed', got ${describe(value)}`;
  }
  return undefined;
}

// ---- the one schema: it validates (with one message per bad field) and it orders ------------
//
// Each object is a list of its fields in canonical order. `walk` checks a value against it and
// says whether the keys are already in that order at every level (then nothing is copied);
// `canonicalEntry` copies in the same order. The messages, the fast check of a ledger of many
// thousand entries and the canonical bytes all come from this one table.

type FieldSpec =
  | {
      readonly kind: 'value';
      readonly check: Check;
      /** a cheap test that only ever says "valid" (the common shapes); else `check` decides */
      readonly fast?: (v: unknown) => boolean;
    }
  | { readonly kind: 'object'; readonly spec: ObjectSpec }
  | {
      readonly kind: 'array';
      readonly item: ObjectSpec;
      readonly minItems: number;
      readonly minMessage?: string;
    };

interface FieldDef {
  readonly name: string;
  readonly optional: boolean;
  readonly spec: FieldSpec;
}

interface ObjectSpec {
  readonly fields: readonly FieldDef[];
  readonly rank: ReadonlyMap<string, number>;
  readonly names: readonly string[];
  /** how many fields are required */
  readonly required: number;
  /** rules over the whole object (fields that depend on each other) */
  readonly rules?: (o: Record<string, unknown>) => EntryProblem[] | undefined;
  /** the message when the value is not an object (`{}` names the path) */
  readonly notObject: string;
}

const val = (check: Check, fast?: (v: unknown) => boolean): FieldSpec =>
  fast === undefined ? { kind: 'value', check } : { kind: 'value', check, fast };
const req = (name: string, spec: FieldSpec): FieldDef => ({ name, optional: false, spec });
const opt = (name: string, spec: FieldSpec): FieldDef => ({ name, optional: true, spec });

function objectSpec(
  fields: readonly FieldDef[],
  notObject?: string,
  rules?: ObjectSpec['rules'],
): ObjectSpec {
  const names = fields.map((f) => f.name);
  return {
    fields,
    names,
    required: fields.filter((f) => !f.optional).length,
    rank: new Map(names.map((n, i) => [n, i])),
    notObject: notObject ?? `{} must be an object {${names.join(', ')}}`,
    ...(rules === undefined ? {} : { rules }),
  };
}

const text = (max = MAX_TEXT_LENGTH): FieldSpec => val((v, n) => checkPlainText(v, n, max));
const timestamp = val(checkTimestamp, (v) => typeof v === 'string' && isPlainTimestamp(v));
const runId = val(checkRunId);
const httpsUrl = val(checkHttpsUrl, httpsUrlFast);

const HISTORY_SPEC = objectSpec([
  req('flag', val(checkFlag)),
  req('timestamp', timestamp),
  req('run_id', runId),
]);
const SUBJECT_SPEC = objectSpec([req('name', text(1024)), req('sha256', val(checkHex64))]);
const PROVENANCE_SPEC = objectSpec([
  req('digest', val(checkDigest)),
  req('predicate_type', text(512)),
  req('builder_id', text(1024)),
  req('subjects', {
    kind: 'array',
    item: SUBJECT_SPEC,
    minItems: 1,
    minMessage: '{} must name at least one subject',
  }),
]);
const VALIDATION_SPEC = objectSpec([
  req('status', val(checkValidationStatus)),
  req('validated_at', timestamp),
  opt('validator_run_id', runId),
  opt('reason', text()),
]);
const NOTIFY_SPEC = objectSpec([
  req('attempts', val(checkInt4Count)),
  req('delivered', val(checkInt4Count)),
  opt('latency_s', val(checkSeconds)),
]);
const METRICS_SPEC = objectSpec(
  [
    opt('dispatch_token_expires_at', timestamp),
    opt('dispatch_token_rotated_at', timestamp),
    opt('dispatch_token_last_used_run_id', runId),
    opt('dispatch_token_last_used_at', timestamp),
    opt('artifact_upload_latency_s', val(checkSeconds)),
    opt('lock_wait_s', val(checkSeconds)),
    opt('notify', { kind: 'object', spec: NOTIFY_SPEC }),
  ],
  '{} must be an object',
);

/** The schema of an entry: fields in canonical order (DESIGN.md §4). */
const ENTRY_SPEC = objectSpec(
  [
    req('run_id', runId),
    req('tag', val(checkTag, tagFast)),
    req('sha', val(checkSha)),
    req(
      'artifact_url',
      val(checkArtifactUrl, (v) => v === null || httpsUrlFast(v)),
    ),
    req('actor', text(256)),
    req('timestamp', timestamp),
    req('status', val(checkStatus)),
    opt('governance_flag', val(checkFlag)),
    opt('release_url', httpsUrl),
    opt('failure_reason', text()),
    opt('governance_history', { kind: 'array', item: HISTORY_SPEC, minItems: 0 }),
    opt('provenance', { kind: 'object', spec: PROVENANCE_SPEC }),
    opt('validation', { kind: 'object', spec: VALIDATION_SPEC }),
    opt('metrics', { kind: 'object', spec: METRICS_SPEC }),
  ],
  'an entry must be a json object',
  (e) => {
    const reasonMissing = e.status === 'failure' && e.failure_reason === undefined;
    const nullUrl = e.artifact_url === null && e.status === 'success';
    // more deliveries than attempts would lift notification_success_ratio above 1 and hide other
    // runs' failed deliveries in the organisation's figure
    const metrics = e.metrics;
    const notify = isObject(metrics) && isObject(metrics.notify) ? metrics.notify : undefined;
    const overDelivered =
      notify !== undefined &&
      typeof notify.delivered === 'number' &&
      typeof notify.attempts === 'number' &&
      notify.delivered > notify.attempts;
    if (!reasonMissing && !nullUrl && !overDelivered) return undefined; // the usual case allocates nothing
    const out: EntryProblem[] = [];
    if (overDelivered)
      out.push({
        path: 'metrics.notify.delivered',
        message: `metrics.notify.delivered must not exceed metrics.notify.attempts, got ${String(notify.delivered)} > ${String(notify.attempts)}`,
      });
    if (reasonMissing)
      out.push({ path: 'failure_reason', message: "failure_reason is required when status is 'failure'" });
    if (nullUrl)
      out.push({ path: 'artifact_url', message: "artifact_url may be null only when status is 'failure'" });
    return out;
  },
);

/** Canonical key order of an entry, from the schema. */
export const entryFieldOrder = ENTRY_SPEC.names as readonly (keyof LedgerEntry)[];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// What a walk found: invalid, valid (keys out of canonical order, or an undefined value), or
// valid with keys in canonical order at every level.
const INVALID = 0;
const VALID = 1;
const CANONICAL = 2;
type Shape = typeof INVALID | typeof VALID | typeof CANONICAL;
const min = (a: Shape, b: Shape): Shape => (a < b ? a : b);
const join = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);

/**
 * Walks `v` against `spec`. Without `sink` it stops at the first problem (the fast path of a
 * ledger read); with `sink` it collects one problem per bad field.
 */
function walkObject(v: unknown, spec: ObjectSpec, path: string, sink: EntryProblem[] | undefined): Shape {
  if (!isObject(v)) {
    sink?.push({ path, message: spec.notObject.split('{}').join(path === '' ? 'entry' : path) });
    return INVALID;
  }
  let shape: Shape = CANONICAL;
  let last = -1;
  let required = 0;
  let unknown: string[] | undefined;
  // one pass over the object's own keys: order, known names, and each value against its field
  for (const k in v) {
    const i = spec.rank.get(k);
    if (i === undefined) {
      if (sink === undefined) return INVALID;
      (unknown ??= []).push(k);
      shape = INVALID;
      continue;
    }
    const x = v[k];
    if (i <= last || x === undefined) shape = min(shape, VALID);
    last = i;
    if (x === undefined) continue;
    const f = spec.fields[i]!;
    if (!f.optional) required++;
    const got = walkField(x, f.spec, path, k, sink);
    if (got === INVALID && sink === undefined) return INVALID;
    shape = min(shape, got);
  }
  if (required < spec.required) {
    if (sink === undefined) return INVALID;
    for (const f of spec.fields) {
      if (f.optional || v[f.name] !== undefined) continue;
      const name = join(path, f.name);
      const s = f.spec;
      sink.push({
        path: name,
        message:
          s.kind === 'value' ? (s.check(undefined, name) ?? `${name} is required`) : `${name} is required`,
      });
    }
    shape = INVALID;
  }
  if ((shape !== INVALID || sink !== undefined) && spec.rules !== undefined) {
    const broken = spec.rules(v);
    if (broken !== undefined) {
      for (const b of broken) sink?.push({ ...b, path: join(path, b.path) });
      shape = INVALID;
    }
  }
  for (const k of unknown ?? []) {
    const name = join(path, k);
    sink?.push({
      path: name,
      message: `unknown field '${name}': the ledger holds only what the schema knows`,
    });
  }
  return shape;
}

function walkField(
  x: unknown,
  s: FieldSpec,
  path: string,
  key: string | number,
  sink: EntryProblem[] | undefined,
): Shape {
  if (s.kind === 'value') {
    if (s.fast !== undefined && s.fast(x)) return CANONICAL;
    // the name is only built for a message: the fast path of a large ledger never needs it
    if (sink === undefined) return s.check(x, '') === undefined ? CANONICAL : INVALID;
    const name = join(path, key);
    const message = s.check(x, name);
    if (message === undefined) return CANONICAL;
    sink.push({ path: name, message });
    return INVALID;
  }
  const name = sink === undefined ? '' : join(path, key);
  if (s.kind === 'object') return walkObject(x, s.spec, name, sink);
  if (!Array.isArray(x)) {
    sink?.push({ path: name, message: `${name} must be a list of {${s.item.names.join(', ')}}` });
    return INVALID;
  }
  if (x.length < s.minItems) {
    sink?.push({ path: name, message: (s.minMessage ?? '{} is too short').split('{}').join(name) });
    return INVALID;
  }
  let shape: Shape = CANONICAL;
  for (let i = 0; i < x.length; i++) {
    const got = walkObject(x[i], s.item, sink === undefined ? '' : join(name, i), sink);
    if (got === INVALID && sink === undefined) return INVALID;
    shape = min(shape, got);
  }
  return shape;
}

function entryShape(value: unknown): Shape {
  return walkObject(value, ENTRY_SPEC, '', undefined);
}

/** True when `value` is a valid entry. */
export function isEntryValid(value: unknown): boolean {
  return entryShape(value) !== INVALID;
}

/** Every problem of a value as an entry: one per bad field, in field order. */
export function entryProblems(value: unknown): EntryProblem[] {
  if (isEntryValid(value)) return [];
  const problems: EntryProblem[] = [];
  walkObject(value, ENTRY_SPEC, '', problems);
  const seen = new Set<string>();
  const unique = problems.filter((p) => (seen.has(p.path) ? false : (seen.add(p.path), true)));
  const rank = (p: EntryProblem): number =>
    ENTRY_SPEC.rank.get(p.path.split('.')[0] ?? '') ?? ENTRY_SPEC.names.length;
  return unique.sort((a, b) => rank(a) - rank(b));
}

/**
 * The schema as a `safeParse` for callers that used the earlier zod schema: `{success: true, data}`
 * (canonical) or `{success: false, problems}`.
 */
export const ledgerEntrySchema = {
  safeParse(
    value: unknown,
  ):
    | { readonly success: true; readonly data: LedgerEntry }
    | { readonly success: false; readonly problems: EntryProblem[] } {
    const problems = entryProblems(value);
    return problems.length === 0
      ? { success: true, data: canonicalEntry(value as LedgerEntry) }
      : { success: false, problems };
  },
};

/**
 * Parses and checks one entry.
 * @throws ValidationError `LEDGER_ENTRY_INVALID` with `details.problems` listing every problem
 */
export function parseEntry(value: unknown): LedgerEntry {
  const problems = entryProblems(value);
  if (problems.length > 0) {
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    throw new ValidationError('LEDGER_ENTRY_INVALID', `invalid ledger entry: ${first.message}${more}`, {
      details: { problems },
    });
  }
  return canonicalEntry(value as LedgerEntry);
}

/**
 * Parses a manifest file's text: a JSON array of entries.
 * @throws ValidationError `LEDGER_MANIFEST_INVALID` (`details.path`, `details.problems` with `index`)
 */
export function parseManifest(text: string, path: string): LedgerEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new ValidationError(
      'LEDGER_MANIFEST_INVALID',
      `manifest ${path} is not valid json: ${(error as Error).message}`,
      {
        cause: error,
        details: { path, problems: [{ path: '', message: 'not valid json' }] },
      },
    );
  }
  return manifestFromValue(value, path);
}

/**
 * Parses a day file's bytes within the `dayFile` limits (docs/limits.md): the byte count and the
 * nesting depth are checked by one cheap pass over the bytes before anything is built; JSON.parse
 * (iterative in V8, linear) builds the value; the entry schema then bounds every string, list and
 * object it accepts (unknown fields are refused without being walked), and the array length is
 * checked before the entries are. The full strict scanner (`checkJson`) would cost more than the
 * merge itself on a 10,000-entry day; duplicate keys are left to `check` (a file `record` rewrites
 * is canonical, so it never writes one).
 * @throws ValidationError `LEDGER_MANIFEST_INVALID`; `details.cause_code` names the INPUT_* code
 */
export function parseDayFile(bytes: Uint8Array, path: string): LedgerEntry[] {
  const lim = limits.dayFile;
  const refuse = (code: string, message: string): never => {
    throw new ValidationError('LEDGER_MANIFEST_INVALID', `manifest ${path}: ${message}`, {
      details: { path, cause_code: code, problems: [{ path: '', message }] },
    });
  };
  if (bytes.byteLength > lim.maxBytes)
    refuse('INPUT_TOO_LARGE', `${bytes.byteLength} bytes, more than the limit of ${lim.maxBytes}`);
  const depth = jsonDepthOver(bytes, lim.maxDepth);
  if (depth !== undefined) refuse('INPUT_LIMIT_EXCEEDED', `nested deeper than ${lim.maxDepth} levels`);
  let text: string;
  try {
    text = decodeUtf8(bytes);
  } catch {
    return refuse('INPUT_JSON_MALFORMED', 'not valid utf-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    return refuse('INPUT_JSON_MALFORMED', `not valid json: ${(error as Error).message}`);
  }
  if (Array.isArray(value) && value.length > lim.maxArrayLength)
    refuse('INPUT_LIMIT_EXCEEDED', `${value.length} entries, more than the limit of ${lim.maxArrayLength}`);
  return manifestFromValue(value, path);
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The bytes as text; throws on bytes that are not UTF-8. An all-ASCII file (the usual day file) is
 * checked by simdutf (`isAscii`) and copied as Latin-1, the same text, ~0.7 of the ~3 ms the
 * decoder takes on a 4 MiB file; anything else goes through the fatal decoder (which drops a BOM).
 */
function decodeUtf8(bytes: Uint8Array): string {
  return isAscii(bytes) ? asBuffer(bytes).toString('latin1') : fatalUtf8.decode(bytes);
}

/** A Buffer over the same memory (no copy). */
const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * The offset where `[`/`{` nesting outside strings goes deeper than `max`, or undefined. A string is
 * crossed with `Buffer#indexOf` (memchr) from one quote to the next, an escaped quote being one with
 * an odd run of backslashes before it: most of a day file's bytes are inside strings, and the byte
 * loop this replaced was ~6 of a 10,000-entry merge's ~40 ms (issue 14, docs/ledger.md "Thirtieth
 * session"). An unclosed string ends the scan (JSON.parse refuses the file).
 */
export function jsonDepthOver(bytes: Uint8Array, max: number): number | undefined {
  // a view, not a copy: TypedArray#indexOf is a plain loop in V8, Buffer's is memchr
  const buf = asBuffer(bytes);
  const n = buf.length;
  let depth = 0;
  let i = 0;
  while (i < n) {
    const c = buf[i]!;
    if (c === 0x22) {
      let close = i;
      for (;;) {
        close = buf.indexOf(0x22, close + 1);
        if (close === -1) return undefined;
        let b = close - 1;
        while (buf[b] === 0x5c) b--;
        if ((close - 1 - b) % 2 === 0) break;
      }
      i = close + 1;
      continue;
    }
    if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
    i++;
  }
  return undefined;
}

/**
 * A parsed manifest value as entries (the readers parse the JSON within its limits first).
 * @throws ValidationError `LEDGER_MANIFEST_INVALID` (`details.path`, `details.problems` with `index`)
 */
export function manifestFromValue(value: unknown, path: string): LedgerEntry[] {
  if (!Array.isArray(value)) {
    throw new ValidationError('LEDGER_MANIFEST_INVALID', `manifest ${path} must be a json array of entries`, {
      details: { path, problems: [{ path: '', message: 'not a json array' }] },
    });
  }
  const problems: EntryProblem[] = [];
  const entries: LedgerEntry[] = [];
  for (let index = 0; index < value.length; index++) {
    const item: unknown = value[index];
    // one walk validates and tells whether the parsed object is already canonical (a canonical
    // file: every entry), which is then kept as it is; the rest take the general paths
    const shape = entryShape(item);
    if (shape === CANONICAL) entries.push(item as LedgerEntry);
    else if (shape === VALID) entries.push(canonicalEntry(item as LedgerEntry));
    else {
      const found = entryProblems(item);
      if (found.length === 0) entries.push(canonicalEntry(item as LedgerEntry));
      else for (const p of found) problems.push({ ...p, index });
    }
  }
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new ValidationError(
      'LEDGER_MANIFEST_INVALID',
      `manifest ${path} entry ${first.index ?? 0}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
      { details: { path, problems } },
    );
  }
  // every entry is canonical now: kept as parsed, or copied into canonical order above
  canonicalLists.add(entries);
  return entries;
}

/**
 * Entry lists the parser returned with every entry already in canonical key order (the parsed
 * objects themselves). The serialiser then skips its per-entry key-order walk; the lists are
 * readonly values (the ledger never mutates an entry or a list it has read), so the mark stays true.
 */
const canonicalLists = new WeakSet<readonly LedgerEntry[]>();

/** A list whose entries are all canonical: `parseDayFile`'s, or one built from such a list plus canonical entries. */
export function markCanonical(entries: readonly LedgerEntry[]): readonly LedgerEntry[] {
  canonicalLists.add(entries);
  return entries;
}

/** True when `entries` is marked canonical (see `markCanonical`). */
export function isMarkedCanonical(entries: readonly LedgerEntry[]): boolean {
  return canonicalLists.has(entries);
}

// ---- the clock ---------------------------------------------------------------------------------

/**
 * Refuses an entry whose `timestamp` (or `validation.validated_at`) is more than `skewS` seconds
 * ahead of `now`: a far-future entry would make every later update of its run "stale".
 * @throws ValidationError `LEDGER_ENTRY_INVALID` (`details.problems`)
 */
export function checkEntryClock(entry: LedgerEntry, now: Date, skewS: number): void {
  const limit = now.getTime() + skewS * 1000;
  const problems: EntryProblem[] = [];
  const ahead = (path: string, t: string | undefined): void => {
    if (t !== undefined && Date.parse(t) > limit)
      problems.push({
        path,
        message: `${path} ${t} is more than ${skewS} s ahead of the clock (${now.toISOString()}); pass --clock-skew to allow more`,
      });
  };
  ahead('timestamp', entry.timestamp);
  ahead('validation.validated_at', entry.validation?.validated_at);
  if (problems.length > 0) {
    throw new ValidationError('LEDGER_ENTRY_INVALID', `invalid ledger entry: ${problems[0]!.message}`, {
      details: { problems },
    });
  }
}

// ---- canonical form ---------------------------------------------------------------------------

function copyObject(v: Record<string, unknown>, spec: ObjectSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of spec.fields) {
    const x = v[f.name];
    if (x === undefined) continue;
    const s = f.spec;
    out[f.name] =
      s.kind === 'object'
        ? copyObject(x as Record<string, unknown>, s.spec)
        : s.kind === 'array'
          ? (x as Record<string, unknown>[]).map((item) => copyObject(item, s.item))
          : x;
  }
  return out;
}

/**
 * The entry with keys in canonical order at every level and no undefined fields. Entries already
 * in that shape (everything read from a canonical manifest) come back as they are: the ledger
 * treats entries as immutable values.
 */
export function canonicalEntry(entry: LedgerEntry): LedgerEntry {
  if (walkShape(entry) === CANONICAL) return entry;
  return copyObject(entry as unknown as Record<string, unknown>, ENTRY_SPEC) as unknown as LedgerEntry;
}

// key order only (the entry is known valid): the same walk without the value checks
function walkShape(entry: LedgerEntry): Shape {
  return orderOf(entry as unknown as Record<string, unknown>, ENTRY_SPEC);
}

function orderOf(v: Record<string, unknown>, spec: ObjectSpec): Shape {
  let last = -1;
  for (const k in v) {
    const i = spec.rank.get(k);
    if (i === undefined || i <= last || v[k] === undefined) return VALID;
    last = i;
  }
  for (const f of spec.fields) {
    const x = v[f.name];
    if (x === undefined || f.spec.kind === 'value') continue;
    if (f.spec.kind === 'object') {
      if (orderOf(x as Record<string, unknown>, f.spec.spec) !== CANONICAL) return VALID;
    } else {
      for (const item of x as Record<string, unknown>[])
        if (orderOf(item, f.spec.item) !== CANONICAL) return VALID;
    }
  }
  return CANONICAL;
}

/** Canonical manifest bytes: entries sorted, 2-space indent, keys in §4 order, `\n`, final newline. */
export function serializeManifest(entries: readonly LedgerEntry[]): string {
  // one copy, not two: sorted input (the usual case) is mapped as it is; a list marked canonical
  // (parsed from a canonical file, see markCanonical) is not walked again
  const known = canonicalLists.has(entries);
  const sorted = isSorted(entries) ? entries : [...entries].sort(compareEntries);
  return `${JSON.stringify(known ? sorted : sorted.map(canonicalEntry), null, 2)}\n`;
}

// ---- order -----------------------------------------------------------------------------------

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Version order of tags: digit runs compare as numbers, other runs by code unit
 * (`v2025.11.9` < `v2025.11.12`); ties (e.g. `v01` vs `v1`) fall back to plain string order.
 * Walks both strings without allocating: it runs for every pair a sort of the ledger compares.
 */
export function compareTags(a: string, b: string): number {
  if (a === b) return 0;
  // Equal prefixes compare equal: start at the first difference, backed up to the start of the
  // digit run it falls in, where the walk below would arrive with both strings in step.
  const n = Math.min(a.length, b.length);
  let s = 0;
  while (s < n && a.charCodeAt(s) === b.charCodeAt(s)) s++;
  while (s > 0 && isDigit(a.charCodeAt(s - 1))) s--;
  let i = s;
  let j = s;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      let ej = j;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      let si = i;
      while (si < ei - 1 && a.charCodeAt(si) === 48) si++;
      let sj = j;
      while (sj < ej - 1 && b.charCodeAt(sj) === 48) sj++;
      const la = ei - si;
      const lb = ej - sj;
      if (la !== lb) return la < lb ? -1 : 1;
      for (let k = 0; k < la; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k);
        if (d !== 0) return d < 0 ? -1 : 1;
      }
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) {
      // a digit run sorts before text at the same place, as a run-by-run comparison would
      if (isDigit(ca) !== isDigit(cb)) return isDigit(ca) ? -1 : 1;
      return ca < cb ? -1 : 1;
    }
    i++;
    j++;
  }
  if (i < a.length || j < b.length) return i < a.length ? 1 : -1;
  return a < b ? -1 : 1;
}

/** Ledger order: tag in version order, then run_id. */
export function compareEntries(
  a: Pick<LedgerEntry, 'tag' | 'run_id'>,
  b: Pick<LedgerEntry, 'tag' | 'run_id'>,
): number {
  return compareTags(a.tag, b.tag) || a.run_id - b.run_id;
}

/**
 * A copy of `sorted` with `item` placed after every element that sorts with it or before it, as a
 * stable sort would: O(log n) comparisons (a large day file, a key-index shard).
 */
export function insertSorted<T>(sorted: readonly T[], item: T, compare: (a: T, b: T) => number): T[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(sorted[mid]!, item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  const out = sorted.slice();
  out.splice(lo, 0, item); // native copy and shift, not spreading two slices through the iterator protocol
  return out;
}

/** A sorted copy (already sorted input, the usual case, costs one pass). */
export function sortEntries<T extends Pick<LedgerEntry, 'tag' | 'run_id'>>(entries: readonly T[]): T[] {
  return isSorted(entries) ? [...entries] : [...entries].sort(compareEntries);
}

function isSorted(entries: readonly Pick<LedgerEntry, 'tag' | 'run_id'>[]): boolean {
  for (let i = 1; i < entries.length; i++) if (compareEntries(entries[i - 1]!, entries[i]!) > 0) return false;
  return true;
}

/** The merge key of an entry. */
export function entryKey(entry: Pick<LedgerEntry, 'tag' | 'run_id'>): string {
  return `${entry.tag}\u0000${entry.run_id}`;
}

// ---- paths -----------------------------------------------------------------------------------

export const DEFAULT_REPORTS_DIR = 'docs/reports';

/** `docs/reports/<YYYY-MM-DD>/manifest.json` for the UTC date of the entry's (first) timestamp. */
export function manifestPathFor(
  entry: Pick<LedgerEntry, 'timestamp'>,
  reportsDir = DEFAULT_REPORTS_DIR,
): string {
  if (checkTimestamp(entry.timestamp, 'timestamp') !== undefined) {
    throw new SlsaLedgerError(
      'LEDGER_ENTRY_INVALID',
      `cannot place an entry with timestamp ${describe(entry.timestamp)}`,
    );
  }
  return `${reportsDir.replace(/\/+$/, '')}/${entry.timestamp.slice(0, 10)}/manifest.json`;
}

/** The day of a manifest path (`docs/reports/2025-11-24/manifest.json` -> `2025-11-24`), or undefined. */
export function manifestDayOf(path: string, reportsDir = DEFAULT_REPORTS_DIR): string | undefined {
  const prefix = `${reportsDir.replace(/\/+$/, '')}/`;
  if (!path.startsWith(prefix)) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})\/manifest\.json$/.exec(path.slice(prefix.length));
  if (m === null) return undefined;
  return checkTimestamp(`${m[1]}T00:00:00Z`, 'day') === undefined ? m[1] : undefined;
}
