import type { Category } from './category.js';

// init / audit-workflows codes. Owned by the workflows work.
export const workflowCodes = {
  /** init: a file it would write exists (use --force); nothing was written */
  INIT_FILE_EXISTS: 'conflict',
  /**
   * init: a path it would write goes through a symbolic link, or a folder on it is a file (e.g.
   * `.github` linked outside the repository); refused even with --force; nothing was written
   */
  INIT_PATH_UNSAFE: 'invalid-input',
  /** init: a template file is missing from the installed package */
  INIT_TEMPLATE_MISSING: 'internal',
  /** audit-workflows: at least one error-level finding */
  AUDIT_FINDINGS: 'verification',
  /** a workflow file is not valid YAML or not a workflow */
  WORKFLOW_INVALID: 'invalid-input',
  /** audit-workflows: the directory holds no .yml/.yaml file */
  WORKFLOW_DIR_EMPTY: 'invalid-input',
} as const satisfies Record<string, Category>;
