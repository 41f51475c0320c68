import { SlsaLedgerError } from '../../errors.js';

/** Flags the dispatch token audit can raise; each is a known ledger `governance_flag`. */
export type TokenFlag = 'dispatch-token-expiring' | 'dispatch-token-rotation-overdue';

export interface TokenAuditOptions {
  readonly now: Date;
  /** raw `github-authentication-token-expiration` header, e.g. `2026-03-01 12:00:00 UTC` */
  readonly expirationHeader: string | undefined;
  /** when the token was last rotated (RFC 3339 or YYYY-MM-DD) */
  readonly rotatedAt: string | undefined;
  /** flag `dispatch-token-expiring` within this many days of the expiry */
  readonly warnDays: number;
  /** flag `dispatch-token-rotation-overdue` past this many days since rotation */
  readonly maxAgeDays: number;
}

export interface TokenAudit {
  /** RFC 3339 UTC; undefined when GitHub sent no expiry (a token without expiry, or GITHUB_TOKEN) */
  readonly expiresAt: string | undefined;
  /** whole days left until expiry (negative once expired) */
  readonly daysToExpiry: number | undefined;
  readonly rotatedAt: string | undefined;
  /** whole days since rotation */
  readonly ageDays: number | undefined;
  readonly flags: readonly TokenFlag[];
  /** why a header or date could not be read (the audit still goes on) */
  readonly warnings: readonly string[];
}

const dayMs = 86_400_000;

// `new Date('2026-02-30T00:00:00Z')` is 2 March: a day the calendar lacks must not roll over into
// another date, it is not a date at all
function isCalendarDay(ymd: string): boolean {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d); // not Date.UTC, which reads years 0–99 as 1900–1999
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/**
 * Parses GitHub's `github-authentication-token-expiration` header. GitHub documents
 * `YYYY-MM-DD HH:MM:SS UTC`; some servers send a numeric offset (`-0800`) instead of `UTC`.
 */
export function parseTokenExpiration(header: string): Date | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)?\s*(UTC|GMT|Z|[+-]\d{2}:?\d{2})?$/i.exec(
    header.trim(),
  );
  if (m === null || !isCalendarDay(m[1]!)) return undefined;
  const zone =
    m[3] === undefined || /^(utc|gmt|z)$/i.test(m[3]) ? 'Z' : m[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const date = new Date(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Parses a rotation date: RFC 3339 with a zone, or a bare `YYYY-MM-DD` (midnight UTC). */
export function parseRotatedAt(value: string): Date | undefined {
  const v = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || !isCalendarDay(v.slice(0, 10))) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const d = new Date(`${v}T00:00:00Z`);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(v)) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** RFC 3339 UTC without milliseconds, as the ledger writes timestamps. */
export function toRfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Decides what the dispatch token's expiry and age mean: `dispatch-token-expiring` within
 * `warnDays` of the expiry, `dispatch-token-rotation-overdue` more than `maxAgeDays` after rotation.
 * A rotation date that is not a date is a usage error (it comes from a flag or variable).
 */
export function decideTokenAudit(options: Readonly<TokenAuditOptions>): TokenAudit {
  const flags: TokenFlag[] = [];
  const warnings: string[] = [];
  let expiresAt: string | undefined;
  let daysToExpiry: number | undefined;
  if (options.expirationHeader !== undefined && options.expirationHeader.trim() !== '') {
    const expiry = parseTokenExpiration(options.expirationHeader);
    if (expiry === undefined) {
      warnings.push(
        `unreadable github-authentication-token-expiration header '${options.expirationHeader.slice(0, 64)}'`,
      );
    } else {
      expiresAt = toRfc3339(expiry);
      const msLeft = expiry.getTime() - options.now.getTime();
      daysToExpiry = Math.floor(msLeft / dayMs);
      if (msLeft <= options.warnDays * dayMs) flags.push('dispatch-token-expiring');
    }
  }
  let rotatedAt: string | undefined;
  let ageDays: number | undefined;
  if (options.rotatedAt !== undefined && options.rotatedAt.trim() !== '') {
    const rotated = parseRotatedAt(options.rotatedAt);
    if (rotated === undefined) {
      throw new SlsaLedgerError(
        'USAGE_INVALID_FLAG',
        `token rotation date must be YYYY-MM-DD or RFC 3339, got '${options.rotatedAt.slice(0, 64)}'`,
        { details: { flag: 'token-rotated-at' } },
      );
    }
    if (rotated.getTime() > options.now.getTime()) {
      throw new SlsaLedgerError(
        'USAGE_INVALID_FLAG',
        `token rotation date ${toRfc3339(rotated)} is in the future`,
        {
          details: { flag: 'token-rotated-at' },
        },
      );
    }
    rotatedAt = toRfc3339(rotated);
    ageDays = Math.floor((options.now.getTime() - rotated.getTime()) / dayMs);
    if (ageDays > options.maxAgeDays) flags.push('dispatch-token-rotation-overdue');
  }
  return { expiresAt, daysToExpiry, rotatedAt, ageDays, flags, warnings };
}
