import type { Category } from './category.js';

// Codes shared by every command. Codes are API: never rename one, only add.
export const commonCodes = {
  USAGE_UNKNOWN_COMMAND: 'usage',
  USAGE_UNKNOWN_FLAG: 'usage',
  USAGE_MISSING_FLAG: 'usage',
  USAGE_INVALID_FLAG: 'usage',
  USAGE_MISSING_ARGUMENT: 'usage',
  CONFIG_INVALID: 'usage',
  /** keyless signing from a private repository's workflow would reach the public Rekor log (no opt-in) */
  PUBLIC_LOG_REFUSED: 'usage',
  INPUT_FILE_MISSING: 'invalid-input',
  INPUT_FILE_UNREADABLE: 'invalid-input',
  INPUT_JSON_MALFORMED: 'invalid-input',
  INPUT_INVALID: 'invalid-input',
  /** more bytes than the document's limit (docs/limits.md) */
  INPUT_TOO_LARGE: 'invalid-input',
  /** depth, string length, array length or keys per object over the limit */
  INPUT_LIMIT_EXCEEDED: 'invalid-input',
  /** an object holds the same key twice (or, in signed documents, keys differing only in case) */
  INPUT_JSON_DUPLICATE_KEY: 'invalid-input',
  /** a symlink, FIFO, socket or device where a regular file was expected */
  INPUT_FILE_NOT_REGULAR: 'invalid-input',
  OUTPUT_WRITE_FAILED: 'unavailable',
  /** a file the command would create exists (keygen without --force) */
  OUTPUT_EXISTS: 'usage',
  NETWORK_UNAVAILABLE: 'unavailable',
  NOT_IMPLEMENTED: 'internal',
  INTERNAL: 'internal',
} as const satisfies Record<string, Category>;
