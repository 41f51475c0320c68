import { exitCodeByCategory, type Category } from './error-codes/category.js';
import { commonCodes } from './error-codes/common.js';
import { dashboardCodes } from './error-codes/dashboard.js';
import { dbCodes } from './error-codes/db.js';
import { integrationCodes } from './error-codes/integrations.js';
import { ledgerCodes } from './error-codes/ledger.js';
import { ledgerTrustCodes } from './error-codes/ledger-trust.js';
import { verifyCodes } from './error-codes/verify.js';
import { workflowCodes } from './error-codes/workflows.js';

export type { Category } from './error-codes/category.js';
export { exitCodeByCategory } from './error-codes/category.js';

/** Every error code and its category. Codes are API: never renamed, only added (one file per domain). */
export const errorCategories = {
  ...commonCodes,
  ...verifyCodes,
  ...ledgerCodes,
  ...ledgerTrustCodes,
  ...dbCodes,
  ...integrationCodes,
  ...workflowCodes,
  ...dashboardCodes,
} as const satisfies Record<string, Category>;

export type ErrorCode = keyof typeof errorCategories;

export type ErrorDetails = Readonly<Record<string, unknown>>;

export interface ErrorOptions {
  readonly cause?: unknown;
  readonly details?: ErrorDetails;
  /**
   * Lines a person reads after the message (`check`'s findings, one a line). The CLI prints each on
   * a line of its own with its line breaks escaped, as it prints the message: data quoted in either
   * can never start a line of its own.
   */
  readonly lines?: readonly string[];
}

/**
 * The one error type of slsa-ledger: a stable `code`, a lower-case message (one line: the CLI
 * escapes any line break in it), optional details, lines for people, and a cause.
 */
export class SlsaLedgerError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails | undefined;
  readonly lines: readonly string[];

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
    this.lines = options.lines ?? [];
  }

  get category(): Category {
    return errorCategories[this.code];
  }

  get exitCode(): number {
    return exitCodeByCategory[this.category];
  }
}

/** A provenance, signature or policy check failed: a negative verdict. */
export class VerificationError extends SlsaLedgerError {}
/** A user-authored file (config, entry, policy) is invalid; `details.problems` lists every problem. */
export class ValidationError extends SlsaLedgerError {}
/** A merge rule refused the change. */
export class ConflictError extends SlsaLedgerError {}
/** An external system (git remote, database, network) failed; safe to retry. */
export class UnavailableError extends SlsaLedgerError {}
/** Bad flags or config. */
export class UsageError extends SlsaLedgerError {}

export function isSlsaLedgerError(value: unknown): value is SlsaLedgerError {
  return value instanceof SlsaLedgerError;
}

export function exitCodeOf(code: ErrorCode): number {
  return exitCodeByCategory[errorCategories[code]];
}

/** For exhaustive switches over discriminated unions. */
export function assertNever(value: never): never {
  throw new SlsaLedgerError('INTERNAL', `unexpected value ${JSON.stringify(value)}`);
}
