// Renders audit findings as text (compiler style), JSON, or SARIF 2.1.0 for GitHub code scanning.
import type { Finding } from './rules.js';
import { escapeUnprintable } from '../text/unprintable.js';
import { workflowRules } from './rules.js';

export type AuditFormat = 'text' | 'json' | 'sarif';

export const auditFormats: readonly AuditFormat[] = ['text', 'json', 'sarif'];

export interface AuditReport {
  readonly files: readonly string[];
  readonly findings: readonly Finding[];
  readonly errors: number;
  readonly warnings: number;
}

export function buildAuditReport(files: readonly string[], findings: readonly Finding[]): AuditReport {
  return {
    files,
    findings,
    errors: findings.filter((f) => f.level === 'error').length,
    warnings: findings.filter((f) => f.level === 'warning').length,
  };
}

/** `file:line:column: level rule: message`, one a line, then a summary line. */
export function renderAuditText(report: AuditReport): string {
  // one finding a line: a file name or a quoted snippet holding a line break (a workflow is the
  // pull request's author's text) cannot start a line of its own, such as a forged "no findings"
  const lines = report.findings.map(
    (f) =>
      `${escapeUnprintable(f.file)}:${f.line}:${f.column}: ${f.level} ${f.rule}: ${escapeUnprintable(f.message)}`,
  );
  const summary =
    report.findings.length === 0
      ? `audit-workflows: ${report.files.length} workflow file(s), no findings`
      : `audit-workflows: ${report.files.length} workflow file(s), ${report.errors} error(s), ${report.warnings} warning(s)`;
  return [...lines, summary].join('\n');
}

export function renderAuditJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const sarifSchema = 'https://json.schemastore.org/sarif-2.1.0.json';

/** A SARIF 2.1.0 log with one run; URIs are relative to the repository root (`%SRCROOT%`). */
export function buildSarif(report: AuditReport, toolVersion: string): Record<string, unknown> {
  const index = new Map(workflowRules.map((r, i) => [r.id, i]));
  return {
    version: '2.1.0',
    $schema: sarifSchema,
    runs: [
      {
        tool: {
          driver: {
            name: 'slsa-ledger audit-workflows',
            version: toolVersion,
            informationUri: 'https://slsa.dev/',
            rules: workflowRules.map((r) => ({
              id: r.id,
              name: r.id,
              shortDescription: { text: r.summary },
              fullDescription: { text: r.description },
              defaultConfiguration: { level: r.level },
              properties: { tags: ['security', 'supply-chain', 'github-actions'] },
            })),
          },
        },
        results: report.findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: index.get(f.rule) ?? 0,
          level: f.level,
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.file, uriBaseId: '%SRCROOT%' },
                region: { startLine: f.line, startColumn: f.column },
              },
            },
          ],
          partialFingerprints: { primaryLocationLineHash: `${f.rule}:${f.file}:${f.job ?? ''}:${f.message}` },
        })),
      },
    ],
  };
}

export function renderAuditReport(report: AuditReport, format: AuditFormat, toolVersion: string): string {
  switch (format) {
    case 'text':
      return `${renderAuditText(report)}\n`;
    case 'json':
      return renderAuditJson(report);
    case 'sarif':
      return `${JSON.stringify(buildSarif(report, toolVersion), null, 2)}\n`;
  }
}
