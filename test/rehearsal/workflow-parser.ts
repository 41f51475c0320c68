// @actions/workflow-parser, the parser GitHub's own language service uses (re-exported so the
// rehearsal imports it from one place; the launcher bundles it, JSON schema included).
export {
  convertWorkflowTemplate,
  isBasicExpression,
  isBoolean,
  isLiteral,
  isMapping,
  isNumber,
  isScalar,
  isSequence,
  isString,
  NoOperationTraceWriter,
  parseWorkflow,
} from '@actions/workflow-parser';
export type { WorkflowTemplate } from '@actions/workflow-parser';
export type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
export type {
  ActionStep,
  Job,
  ReusableWorkflowJob,
  RunStep,
  Step,
  WorkflowJob,
} from '@actions/workflow-parser/model/workflow-template';
