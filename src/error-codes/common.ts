import type { Category } from './category.js';

// Codes shared by every command. Codes are API: never rename one, only add.
export const commonCodes = {
  USAGE_UNKNOWN_COMMAND: 'usage',
  USAGE_UNKNOWN_FLAG: 'usage',
  USAGE_MISSING_FLAG: 'usage',
  USAGE_INVALID_FLAG: 'usage',
  USAGE_MISSING_ARGUMENT: 'usage',
  CONFIG_INVALID: 'usage',
  INPUT_FILE_MISSING: 'invalid-input',
  INPUT_FILE_UNREADABLE: 'invalid-input',
  INPUT_JSON_MALFORMED: 'invalid-input',
  INPUT_INVALID: 'invalid-input',
  OUTPUT_WRITE_FAILED: 'unavailable',
  NETWORK_UNAVAILABLE: 'unavailable',
  NOT_IMPLEMENTED: 'internal',
  INTERNAL: 'internal',
} as const satisfies Record<string, Category>;
