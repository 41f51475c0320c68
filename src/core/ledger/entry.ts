// The ledger entry (DESIGN.md §4): its type, its schema with one clear message per bad field, the
// canonical serializer (same entries -> same bytes), version order of tags and the day file path.
import { z } from 'zod';
import { SlsaLedgerError, ValidationError } from '../../errors.js';

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

/** Canonical key order of an entry (DESIGN.md §4). */
export const entryFieldOrder = [
  'run_id',
  'tag',
  'sha',
  'artifact_url',
  'actor',
  'timestamp',
  'status',
  'governance_flag',
  'release_url',
  'failure_reason',
  'governance_history',
  'provenance',
  'validation',
  'metrics',
] as const satisfies readonly (keyof LedgerEntry)[];

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
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 60 ? `'${value.slice(0, 57)}...'` : `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

export function checkPlainText(value: unknown, name: string, max = MAX_TEXT_LENGTH): string | undefined {
  if (value === undefined) return `${name} is required`;
  if (typeof value !== 'string') return `${name} must be text, got ${describe(value)}`;
  if (value.trim() === '') return `${name} must not be empty`;
  if (value.length > max) return `${name} must be at most ${max} characters, got ${value.length}`;
  if (CONTROL.test(value)) return `${name} must be plain text without control characters`;
  return undefined;
}

export function checkHttpsUrl(value: unknown, name: string): string | undefined {
  const text = checkPlainText(value, name, 2048);
  if (text !== undefined) return text;
  const s = value as string;
  // the common shape, decided without the (slow) URL parser: host without port or credentials
  if (SIMPLE_HTTPS_RE.test(s)) return undefined;
  if (/\s/.test(s)) return `${name} must be an https url without spaces, got ${describe(s)}`;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return `${name} must be an https url, got ${describe(s)}`;
  }
  if (url.protocol !== 'https:') return `${name} must be an https url, got scheme '${url.protocol}'`;
  if (url.hostname === '') return `${name} must name a host`;
  // credentials in a URL would end up in the ledger and every clone of it
  if (url.username !== '' || url.password !== '') return `${name} must not carry credentials`;
  return undefined;
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
function httpsUrlOk(v: unknown): boolean {
  return (
    (typeof v === 'string' && v.length <= 2048 && SIMPLE_HTTPS_RE.test(v)) ||
    checkHttpsUrl(v, '') === undefined
  );
}

function timestampOk(v: unknown): boolean {
  return (typeof v === 'string' && isPlainTimestamp(v)) || checkTimestamp(v, '') === undefined;
}

// One path component of ASCII letters, digits and `_+.-`, not starting with `.` or `-`: the
// tags releases use. Such a tag breaks `tagProblem`'s rules only by `..`, a trailing `.` or a
// trailing `.lock`, tested next; every other tag goes to `tagProblem`.
const PLAIN_TAG_RE = /^[A-Za-z0-9_+][A-Za-z0-9_+.-]{0,254}$/;

function tagOk(v: unknown): boolean {
  if (typeof v === 'string' && PLAIN_TAG_RE.test(v)) {
    if (!v.includes('..') && !v.endsWith('.') && !v.endsWith('.lock')) return true;
  }
  return checkTag(v, '') === undefined;
}

function checkRunId(value: unknown, name: string): string | undefined {
  if (value === undefined) return `${name} is required`;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    return `${name} must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}, got ${describe(value)}`;
  }
  return undefined;
}

function checkNonNegative(value: unknown, name: string): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    return `${name} must be a number of at least 0, got ${describe(value)}`;
  }
  return undefined;
}

function checkCount(value: unknown, name: string): string | undefined {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return `${name} must be a whole number of at least 0, got ${describe(value)}`;
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

// zod hands refinements no path; messages name the field through this placeholder and
// `entryProblems` replaces it with the issue's full path.
const FIELD = '\u0000field\u0000';

/** A zod field whose one message comes from `check`. */
function field<T>(check: Check) {
  return z.custom<T>().superRefine((value, ctx) => {
    const message = check(value, FIELD);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: value });
  });
}

const plainText = (max = MAX_TEXT_LENGTH) => field<string>((v, n) => checkPlainText(v, n, max));

const governanceHistoryItemSchema = z.strictObject(
  {
    flag: field<string>(checkFlag),
    timestamp: field<string>(checkTimestamp),
    run_id: field<number>(checkRunId),
  },
  { error: `${FIELD} must be an object {flag, timestamp, run_id}` },
);

const subjectSchema = z.strictObject(
  { name: plainText(1024), sha256: field<string>(checkHex64) },
  { error: `${FIELD} must be an object {name, sha256}` },
);

const provenanceSchema = z.strictObject(
  {
    digest: field<string>(checkDigest),
    predicate_type: plainText(512),
    builder_id: plainText(1024),
    subjects: z
      .array(subjectSchema, { error: `${FIELD} must be a list of {name, sha256}` })
      .min(1, { error: `${FIELD} must name at least one subject` }),
  },
  { error: `${FIELD} must be an object {digest, predicate_type, builder_id, subjects}` },
);

const validationSchema = z.strictObject(
  {
    status: field<ValidationStatus>(checkValidationStatus),
    validated_at: field<string>(checkTimestamp),
    validator_run_id: field<number>(checkRunId).optional(),
    reason: plainText().optional(),
  },
  { error: `${FIELD} must be an object {status, validated_at, validator_run_id, reason}` },
);

const metricsSchema = z.strictObject(
  {
    dispatch_token_expires_at: field<string>(checkTimestamp).optional(),
    dispatch_token_rotated_at: field<string>(checkTimestamp).optional(),
    dispatch_token_last_used_run_id: field<number>(checkRunId).optional(),
    dispatch_token_last_used_at: field<string>(checkTimestamp).optional(),
    artifact_upload_latency_s: field<number>(checkNonNegative).optional(),
    lock_wait_s: field<number>(checkNonNegative).optional(),
    notify: z
      .strictObject(
        { attempts: field<number>(checkCount), delivered: field<number>(checkCount) },
        { error: `${FIELD} must be an object {attempts, delivered}` },
      )
      .optional(),
  },
  { error: `${FIELD} must be an object` },
);

/** The zod schema of an entry; prefer `parseEntry`, which turns its issues into one coded error. */
export const ledgerEntrySchema = z
  .strictObject(
    {
      run_id: field<number>(checkRunId),
      tag: field<string>(checkTag),
      sha: field<string>(checkSha),
      artifact_url: field<string | null>(checkArtifactUrl),
      actor: plainText(256),
      timestamp: field<string>(checkTimestamp),
      status: field<EntryStatus>(checkStatus),
      governance_flag: field<string>(checkFlag).optional(),
      release_url: field<string>(checkHttpsUrl).optional(),
      failure_reason: plainText().optional(),
      governance_history: z
        .array(governanceHistoryItemSchema, { error: `${FIELD} must be a list of {flag, timestamp, run_id}` })
        .optional(),
      provenance: provenanceSchema.optional(),
      validation: validationSchema.optional(),
      metrics: metricsSchema.optional(),
    },
    { error: 'an entry must be a json object' },
  )
  .superRefine((entry, ctx) => {
    if (entry.status === 'failure' && entry.failure_reason === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['failure_reason'],
        message: "failure_reason is required when status is 'failure'",
      });
    }
    if (entry.artifact_url === null && entry.status === 'success') {
      ctx.addIssue({
        code: 'custom',
        path: ['artifact_url'],
        message: "artifact_url may be null only when status is 'failure'",
      });
    }
  });

function issuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// What a walk over an object's keys found: an unknown key, known keys only (but out of canonical
// order or with an undefined value), or known keys in canonical order.
const INVALID = 0;
const VALID = 1;
const CANONICAL = 2;
type Shape = typeof INVALID | typeof VALID | typeof CANONICAL;

function rankOf(order: readonly string[]): ReadonlyMap<string, number> {
  return new Map(order.map((k, i) => [k, i]));
}

function keysShape(o: Record<string, unknown>, rank: ReadonlyMap<string, number>): Shape {
  let shape: Shape = CANONICAL;
  let last = -1;
  for (const k in o) {
    const i = rank.get(k);
    if (i === undefined) return INVALID;
    if (i <= last || o[k] === undefined) shape = VALID;
    last = i;
  }
  return shape;
}

const min = (a: Shape, b: Shape): Shape => (a < b ? a : b);

const ENTRY_RANK = rankOf(entryFieldOrder);
const HISTORY_RANK = rankOf(['flag', 'timestamp', 'run_id']);
const PROVENANCE_RANK = rankOf(['digest', 'predicate_type', 'builder_id', 'subjects']);
const SUBJECT_RANK = rankOf(['name', 'sha256']);
const VALIDATION_RANK = rankOf(['status', 'validated_at', 'validator_run_id', 'reason']);
const METRICS_KEYS = [
  'dispatch_token_expires_at',
  'dispatch_token_rotated_at',
  'dispatch_token_last_used_run_id',
  'dispatch_token_last_used_at',
  'artifact_upload_latency_s',
  'lock_wait_s',
  'notify',
] as const;
const METRICS_RANK = rankOf(METRICS_KEYS);
const NOTIFY_RANK = rankOf(['attempts', 'delivered']);
const ok = (message: string | undefined): boolean => message === undefined;
const okOptional = (v: unknown, check: Check): boolean => v === undefined || ok(check(v, ''));
const timestampOkOptional = (v: unknown): boolean => v === undefined || timestampOk(v);

/**
 * Whether `value` is a valid entry, and if so whether its keys are already in canonical order at
 * every level (then `canonicalEntry` has nothing to copy). The same field checks as the zod
 * schema, without building issues: a ledger of many thousand entries is checked on every record,
 * and zod runs only to explain a value this refuses (the unit tests hold the two to the same
 * verdicts).
 */
function entryShape(value: unknown): Shape {
  if (!isObject(value)) return INVALID;
  const e = value;
  let shape = keysShape(e, ENTRY_RANK);
  if (shape === INVALID) return INVALID;
  if (
    !ok(checkRunId(e.run_id, '')) ||
    !tagOk(e.tag) ||
    !ok(checkSha(e.sha, '')) ||
    !(e.artifact_url === null || httpsUrlOk(e.artifact_url)) ||
    !ok(checkPlainText(e.actor, '', 256)) ||
    !timestampOk(e.timestamp) ||
    !ok(checkStatus(e.status, '')) ||
    !okOptional(e.governance_flag, checkFlag) ||
    !(e.release_url === undefined || httpsUrlOk(e.release_url)) ||
    !okOptional(e.failure_reason, (v, n) => checkPlainText(v, n))
  ) {
    return INVALID;
  }
  if (e.status === 'failure' && e.failure_reason === undefined) return INVALID;
  if (e.status === 'success' && e.artifact_url === null) return INVALID;
  if (e.governance_history !== undefined) {
    if (!Array.isArray(e.governance_history)) return INVALID;
    for (const h of e.governance_history as unknown[]) {
      if (!isObject(h)) return INVALID;
      shape = min(shape, keysShape(h, HISTORY_RANK));
      if (shape === INVALID) return INVALID;
      if (!ok(checkFlag(h.flag, '')) || !timestampOk(h.timestamp) || !ok(checkRunId(h.run_id, '')))
        return INVALID;
    }
  }
  if (e.provenance !== undefined) {
    const p = e.provenance;
    if (!isObject(p)) return INVALID;
    shape = min(shape, keysShape(p, PROVENANCE_RANK));
    if (shape === INVALID) return INVALID;
    if (
      !ok(checkDigest(p.digest, '')) ||
      !ok(checkPlainText(p.predicate_type, '', 512)) ||
      !ok(checkPlainText(p.builder_id, '', 1024))
    ) {
      return INVALID;
    }
    if (!Array.isArray(p.subjects) || p.subjects.length === 0) return INVALID;
    for (const sub of p.subjects as unknown[]) {
      if (!isObject(sub)) return INVALID;
      shape = min(shape, keysShape(sub, SUBJECT_RANK));
      if (shape === INVALID) return INVALID;
      if (!ok(checkPlainText(sub.name, '', 1024)) || !ok(checkHex64(sub.sha256, ''))) return INVALID;
    }
  }
  if (e.validation !== undefined) {
    const v = e.validation;
    if (!isObject(v)) return INVALID;
    shape = min(shape, keysShape(v, VALIDATION_RANK));
    if (shape === INVALID) return INVALID;
    if (!ok(checkValidationStatus(v.status, '')) || !timestampOk(v.validated_at)) return INVALID;
    if (!okOptional(v.validator_run_id, checkRunId) || !okOptional(v.reason, (x, n) => checkPlainText(x, n)))
      return INVALID;
  }
  if (e.metrics !== undefined) {
    const m = e.metrics;
    if (!isObject(m)) return INVALID;
    shape = min(shape, keysShape(m, METRICS_RANK));
    if (shape === INVALID) return INVALID;
    if (
      !timestampOkOptional(m.dispatch_token_expires_at) ||
      !timestampOkOptional(m.dispatch_token_rotated_at) ||
      !okOptional(m.dispatch_token_last_used_run_id, checkRunId) ||
      !timestampOkOptional(m.dispatch_token_last_used_at) ||
      !okOptional(m.artifact_upload_latency_s, checkNonNegative) ||
      !okOptional(m.lock_wait_s, checkNonNegative)
    ) {
      return INVALID;
    }
    if (m.notify !== undefined) {
      const n = m.notify;
      if (!isObject(n)) return INVALID;
      shape = min(shape, keysShape(n, NOTIFY_RANK));
      if (shape === INVALID) return INVALID;
      if (!ok(checkCount(n.attempts, '')) || !ok(checkCount(n.delivered, ''))) return INVALID;
    }
  }
  return shape;
}

/** True when `value` is a valid entry (see `entryShape`). */
export function isEntryValid(value: unknown): boolean {
  return entryShape(value) !== INVALID;
}

/** Every problem of a value as an entry: one per bad field, in field order. */
export function entryProblems(value: unknown): EntryProblem[] {
  if (isEntryValid(value)) return [];
  const parsed = ledgerEntrySchema.safeParse(value);
  if (parsed.success) return [];
  const problems: EntryProblem[] = [];
  const seen = new Set<string>();
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = issuePath([...issue.path, key]);
        if (seen.has(path)) continue;
        seen.add(path);
        problems.push({
          path,
          message: `unknown field '${path}': the ledger holds only what the schema knows`,
        });
      }
      continue;
    }
    const path = issuePath(issue.path);
    if (seen.has(path)) continue; // one message per field
    seen.add(path);
    const name = path === '' ? 'entry' : path;
    let message = issue.message.split(FIELD).join(name);
    if (issue.code === 'invalid_type' && !message.startsWith(name)) {
      message = `${name} has the wrong type: ${message.toLowerCase()}`;
    }
    problems.push({ path, message });
  }
  const order = new Map<string, number>(entryFieldOrder.map((f, i) => [f, i]));
  const rank = (p: EntryProblem): number => order.get(p.path.split('.')[0] ?? '') ?? entryFieldOrder.length;
  return problems.sort((a, b) => rank(a) - rank(b));
}

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
  return entries;
}

// ---- canonical form ---------------------------------------------------------------------------

function pick<T extends object>(value: T, keys: readonly (keyof T)[]): T {
  const out: Partial<T> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out as T;
}

const ORDER = new Map<string, number>(entryFieldOrder.map((k, i) => [k, i]));
const NESTED_ORDER: Readonly<Record<string, readonly string[]>> = {
  provenance: ['digest', 'predicate_type', 'builder_id', 'subjects'],
  validation: ['status', 'validated_at', 'validator_run_id', 'reason'],
  metrics: [...METRICS_KEYS],
};

function keysInOrder(o: object, order: readonly string[]): boolean {
  let at = 0;
  for (const k in o) {
    const i = order.indexOf(k, at);
    if (i === -1 || (o as Record<string, unknown>)[k] === undefined) return false;
    at = i + 1;
  }
  return true;
}

/** Keys already in canonical order at every level, no undefined values: nothing to copy. */
function isCanonical(entry: LedgerEntry): boolean {
  let last = -1;
  for (const k in entry) {
    const i = ORDER.get(k);
    const v = (entry as unknown as Record<string, unknown>)[k];
    if (i === undefined || i <= last || v === undefined) return false;
    last = i;
    if (k === 'governance_history') {
      for (const h of v as GovernanceHistoryItem[])
        if (!keysInOrder(h, ['flag', 'timestamp', 'run_id'])) return false;
    } else if (k === 'provenance' || k === 'validation' || k === 'metrics') {
      if (!keysInOrder(v as object, NESTED_ORDER[k]!)) return false;
      if (k === 'provenance') {
        for (const sub of (v as EntryProvenance).subjects)
          if (!keysInOrder(sub, ['name', 'sha256'])) return false;
      }
      if (k === 'metrics' && (v as EntryMetrics).notify !== undefined) {
        if (!keysInOrder((v as EntryMetrics).notify!, ['attempts', 'delivered'])) return false;
      }
    }
  }
  return true;
}

/**
 * The entry with keys in canonical order at every level and no undefined fields. Entries already
 * in that shape (everything read from a canonical manifest) come back as they are: the ledger
 * treats entries as immutable values.
 */
export function canonicalEntry(entry: LedgerEntry): LedgerEntry {
  if (isCanonical(entry)) return entry;
  const out = pick(entry, entryFieldOrder) as { -readonly [K in keyof LedgerEntry]: LedgerEntry[K] };
  if (entry.governance_history !== undefined) {
    out.governance_history = entry.governance_history.map((h) => pick(h, ['flag', 'timestamp', 'run_id']));
  }
  if (entry.provenance !== undefined) {
    out.provenance = {
      ...pick(entry.provenance, ['digest', 'predicate_type', 'builder_id']),
      subjects: entry.provenance.subjects.map((s) => pick(s, ['name', 'sha256'])),
    };
  }
  if (entry.validation !== undefined) {
    out.validation = pick(entry.validation, ['status', 'validated_at', 'validator_run_id', 'reason']);
  }
  if (entry.metrics !== undefined) {
    const m = pick(entry.metrics, [
      'dispatch_token_expires_at',
      'dispatch_token_rotated_at',
      'dispatch_token_last_used_run_id',
      'dispatch_token_last_used_at',
      'artifact_upload_latency_s',
      'lock_wait_s',
      'notify',
    ]);
    out.metrics = m.notify === undefined ? m : { ...m, notify: pick(m.notify, ['attempts', 'delivered']) };
  }
  return out;
}

/** Canonical manifest bytes: entries sorted, 2-space indent, keys in §4 order, `\n`, final newline. */
export function serializeManifest(entries: readonly LedgerEntry[]): string {
  // one copy, not two: sorted input (the usual case) is mapped as it is
  const sorted = isSorted(entries) ? entries : [...entries].sort(compareEntries);
  return `${JSON.stringify(sorted.map(canonicalEntry), null, 2)}\n`;
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
