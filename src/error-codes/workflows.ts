import type { Category } from './category.js';

// init / audit-workflows codes. Owned by the workflows work.
export const workflowCodes = {
  INIT_FILE_EXISTS: 'conflict',
  AUDIT_FINDINGS: 'verification',
  WORKFLOW_INVALID: 'invalid-input',
} as const satisfies Record<string, Category>;
