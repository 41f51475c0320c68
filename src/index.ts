// The curated public API of slsa-ledger: the async use cases of src/app and the types they take.
// Named exports only; each area adds its exports here.

export {
  SlsaLedgerError,
  VerificationError,
  ValidationError,
  ConflictError,
  UnavailableError,
  UsageError,
  errorCategories,
  exitCodeByCategory,
  type ErrorCode,
  type Category,
} from './errors.js';
export type { Logger, Clock, Signer } from './core/ports.js';
export type * from './core/verify/types.js';
