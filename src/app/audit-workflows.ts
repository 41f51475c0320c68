// `audit-workflows`: read every workflow file of a directory, check it against the role matrix,
// and return the report (rendering and the exit code are the CLI's).
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { WorkflowModel } from '../core/governance/model.js';
import { decodeYamlBytes } from '../core/input/bounded-yaml.js';
import { otherLimits } from '../core/input/limits.js';
import { buildAuditReport, type AuditReport } from '../core/governance/report.js';
import { checkWorkflows } from '../core/governance/rules.js';
import type { Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { SlsaLedgerError } from '../errors.js';
import { fileKind, inputFileError, notRegular, readInputFile } from '../io/files.js';
import { parseWorkflowYaml } from '../io/workflow-yaml.js';

export interface AuditWorkflowsOptions {
  /** a directory of workflows (default `.github/workflows`) or one workflow file */
  readonly dir?: string;
  /** paths in findings are relative to this directory (default: process.cwd()) */
  readonly cwd?: string;
  readonly logger?: Logger;
}

export type AuditWorkflowsResult = AuditReport;

async function listWorkflowFiles(target: string): Promise<string[]> {
  let info;
  try {
    info = await stat(target);
  } catch (error) {
    throw inputFileError(target, 'workflow directory', error);
  }
  if (info.isFile()) return [target];
  // a FIFO, a socket or a device (or a link to one) is neither a workflow file nor a folder of them:
  // refused as the file reader refuses it, never handed to readdir (ENOTDIR, exit 70)
  if (!info.isDirectory()) throw notRegular(target, 'workflow', fileKind(info));
  const names = (await readdir(target)).filter((n) => /\.ya?ml$/.test(n)).sort();
  if (names.length === 0) {
    throw new SlsaLedgerError('WORKFLOW_DIR_EMPTY', `${target} holds no .yml or .yaml workflow file`, {
      details: { dir: target },
    });
  }
  return names.map((n) => join(target, n));
}

/**
 * Audits GitHub workflows against the role matrix (DESIGN.md §6).
 * @throws INPUT_FILE_MISSING, INPUT_FILE_NOT_REGULAR, WORKFLOW_DIR_EMPTY, WORKFLOW_INVALID (every unparsable file listed)
 */
export async function auditWorkflows(options: AuditWorkflowsOptions = {}): Promise<AuditWorkflowsResult> {
  const cwd = options.cwd ?? process.cwd();
  const logger = options.logger ?? silentLogger;
  const target = resolve(cwd, options.dir ?? join('.github', 'workflows'));
  const files = await listWorkflowFiles(target);
  const models: WorkflowModel[] = [];
  const problems: { file: string; message: string; limit?: unknown; max?: unknown; line?: unknown }[] = [];
  for (const path of files) {
    const rel = relative(cwd, path);
    const shown = (rel.startsWith('..') ? path : rel).split(sep).join('/');
    const bytes = await readInputFile(path, 'workflow', { maxBytes: otherLimits.yamlBytes });
    try {
      models.push(parseWorkflowYaml(decodeYamlBytes(bytes, shown, 'WORKFLOW_INVALID'), shown));
    } catch (error) {
      if (error instanceof SlsaLedgerError && error.code === 'WORKFLOW_INVALID') {
        // a limit's refusal keeps which limit (docs/limits.md: `details.limit` depth, aliases, nodes)
        const { limit, max, line } = (error.details ?? {}) as Record<string, unknown>;
        problems.push({
          file: shown,
          message: error.message,
          ...(limit === undefined ? {} : { limit, max }),
          ...(line === undefined ? {} : { line }),
        });
      } else throw error;
    }
  }
  if (problems.length > 0) {
    // the first limit broken is named at the top too, as CONFIG_INVALID names it
    const limited = problems.find((p) => p.limit !== undefined);
    throw new SlsaLedgerError('WORKFLOW_INVALID', problems.map((p) => p.message).join('; '), {
      details: { problems, ...(limited === undefined ? {} : { limit: limited.limit, max: limited.max }) },
    });
  }
  // the folder as the findings name their files (`.github/workflows`, not its last part `workflows`)
  const shownTarget = relative(cwd, target) || '.';
  logger.info(`auditing ${models.length} workflow file(s) in ${shownTarget}`);
  return buildAuditReport(
    models.map((m) => m.file),
    checkWorkflows(models),
  );
}
