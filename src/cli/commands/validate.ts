import { resolve } from 'node:path';
import { validateRelease, type ValidateResult } from '../../app/validate.js';
import { defaultSignoffLabel } from '../../core/validate/signoff.js';
import { escapeUnprintable } from '../../core/text/unprintable.js';
import { defaultProvenanceWorkflow } from '../../core/validate/validate-plan.js';
import { expandArtifactPatterns } from '../../io/glob.js';
import { defaultNotificationsLog } from '../../io/notifications-log.js';
import { booleanFlag, integerFlag, listFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';
import { buildVerdictRecorder, recordFlags } from './validate-record.js';

const s = (valueName: string, description: string) => ({ type: 'string', valueName, description }) as const;

export const command: CommandModule = {
  spec: {
    name: 'validate',
    summary: 'security CI: verify a ledger entry and record the verdict',
    usage: 'validate --tag TAG (--repo DIR | --manifest-url URL) --artifact FILE… [options]',
    description:
      "Loads the tag's entry (latest run unless --run-id), refuses unless its status is success (exit 1), obtains the provenance (--provenance, else downloaded from the entry's artifact_url with GITHUB_TOKEN), verifies the artifacts with a policy derived from the entry (source from release_url, tag, commit = sha, builder = the provenance workflow), checks that the run the provenance names (its certificate's run invocation URI, else its invocation id) is the entry's run_id (or --provenance-run), and with --record writes the verdict back through the ledger's merge rule. An artifact that cannot be downloaded is ARTIFACT_UNAVAILABLE (exit 5) and, when SLACK_WEBHOOK_URL is set, an alert.",
    positionals: { name: 'FILE…', min: 0 },
    options: {
      tag: { ...s('TAG', 'release tag to validate'), required: true },
      'run-id': s('N', 'the run to validate (default: the latest run of the tag)'),
      'provenance-run': s(
        'N',
        "the workflow run that built the provenance, when it is not the entry's own run (default: the entry's run_id)",
      ),
      'require-run-binding': {
        type: 'boolean',
        description:
          'refuse provenance that names no workflow run (key-signed outside GitHub, third-party builders); default: accept it with a note',
      },
      repo: s('DIR', 'a clone of the ledger repository'),
      ref: s(
        'REF',
        "with --repo: read this commit-ish of the clone (e.g. HEAD) instead of fetching the remote's ledger branch",
      ),
      'manifest-url': s('URL', 'or one manifest file over https (GITHUB_TOKEN for a private one)'),
      'reports-dir': {
        ...s('DIR', 'ledger folder in the repository'),
        default: 'docs/reports',
        isRepositoryPath: true,
      },
      artifact: {
        ...s('FILE', 'artifact to verify, or a glob (`dist/*`, quoted); also as arguments'),
        multiple: true,
      },
      provenance: {
        ...s('FILE', "provenance file (default: download the entry's artifact)"),
        multiple: true,
      },
      'artifact-name': s('NAME', 'artifact to download when artifact_url names a whole run'),
      'source-uri': s('URI', 'expected source, HOST/OWNER/REPO (default: from release_url)'),
      'builder-id': s('ID', 'expected builder id (default: the provenance workflow of the source)'),
      'provenance-workflow': {
        ...s('PATH', 'the provenance workflow in the source repository'),
        default: defaultProvenanceWorkflow,
      },
      key: s('PEM', 'public key (pem) for key-signed provenance'),
      'trusted-root': s('FILE', 'sigstore trusted_root.json for certificate-signed provenance'),
      offline: { type: 'boolean', description: 'never fetch trust material' },
      'require-signoff': s('KEY', 'Jira issue that must be done or carry the approval label'),
      'signoff-label': { ...s('LABEL', 'the approval label'), default: defaultSignoffLabel },
      'github-issue': {
        type: 'boolean',
        description: 'also alert through a GitHub issue (with --repository)',
      },
      repository: s('OWNER/REPO', 'repository for --github-issue (default: GITHUB_REPOSITORY)'),
      log: { ...s('FILE', 'notification attempt log'), default: defaultNotificationsLog },
      ...recordFlags,
    },
    examples: [
      'slsa-ledger validate --tag v1.2.3 --repo . --artifact dist/app.tgz --record',
      'slsa-ledger validate --tag v1.2.3 --manifest-url https://raw.githubusercontent.com/acme/app/main/docs/reports/2026-11-20/manifest.json --artifact app.tgz --provenance app.intoto.jsonl --key signing.pub',
    ],
  },
  async run(args, ctx) {
    const env = ctx.env;
    const opt = (name: string): string | undefined => stringFlag(args, name);
    const path = (p: string | undefined): string | undefined =>
      p === undefined ? undefined : resolve(ctx.cwd, p);
    const defined = <T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } =>
      Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
        [K in keyof T]?: Exclude<T[K], undefined>;
      };
    const repository = opt('repository') ?? env.GITHUB_REPOSITORY;
    const signoffKey = opt('require-signoff');
    const validatorRunId = /^\d+$/.test(env.GITHUB_RUN_ID ?? '') ? Number(env.GITHUB_RUN_ID) : undefined;
    const runUrl =
      validatorRunId !== undefined && env.GITHUB_REPOSITORY
        ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${validatorRunId}`
        : undefined;
    const result = await validateRelease({
      tag: opt('tag') ?? '',
      ...defined({
        runId: integerFlag(args, 'run-id', { min: 1 }),
        provenanceRun: integerFlag(args, 'provenance-run', { min: 1 }),
        repo: path(opt('repo')),
        manifestUrl: opt('manifest-url'),
        reportsDir: opt('reports-dir'),
        ledgerRemote: opt('remote'),
        ledgerBranch: opt('branch'),
        ref: opt('ref'),
        key: path(opt('key')),
        trustedRoot: path(opt('trusted-root')),
        token: env.GITHUB_TOKEN || env.GH_TOKEN || undefined,
        apiUrl: env.GITHUB_API_URL || undefined,
        artifactName: opt('artifact-name'),
        validatorRunId,
      }),
      // globs expand here as attest expands them (the action passes `release-assets/*` unexpanded)
      artifacts: (
        await expandArtifactPatterns([...listFlag(args, 'artifact'), ...args.positionals], ctx.cwd)
      ).map((p) => resolve(ctx.cwd, p)),
      provenance: listFlag(args, 'provenance').map((p) => resolve(ctx.cwd, p)),
      policy: defined({
        sourceUri: opt('source-uri'),
        builderId: opt('builder-id'),
        provenanceWorkflow: opt('provenance-workflow'),
      }),
      offline: booleanFlag(args, 'offline'),
      requireRunBinding: booleanFlag(args, 'require-run-binding'),
      cwd: ctx.cwd,
      ...(booleanFlag(args, 'record') ? { record: await buildVerdictRecorder(args, ctx) } : {}),
      ...(signoffKey === undefined
        ? {}
        : {
            signoff: {
              key: signoffKey,
              label: opt('signoff-label') ?? defaultSignoffLabel,
              credentials: {
                baseUrl: env.JIRA_BASE_URL,
                email: env.JIRA_EMAIL,
                apiToken: env.JIRA_API_TOKEN,
              },
            },
          }),
      escalate: {
        ...(env.SLACK_WEBHOOK_URL ? { webhookUrl: env.SLACK_WEBHOOK_URL } : {}),
        ...(booleanFlag(args, 'github-issue')
          ? {
              githubIssue: {
                repository: repository ?? '',
                token: env.GITHUB_TOKEN || env.GH_TOKEN || undefined,
                ...(env.GITHUB_API_URL ? { apiUrl: env.GITHUB_API_URL } : {}),
              },
            }
          : {}),
        logPath: resolve(ctx.cwd, opt('log') ?? defaultNotificationsLog),
        context: runUrl === undefined ? {} : { runUrl },
      },
      logger: ctx.logger,
    });
    return { result, human: renderResult(result), ...(result.recorded?.queued ? { exitCode: 75 } : {}) };
  },
};

function renderResult(r: ValidateResult): string {
  // one fact a line: a Jira field or a source holding a line break cannot start a line of its own
  const e = escapeUnprintable;
  const lines = [
    `PASSED ${e(r.tag)} run ${r.run_id}: ${r.verdicts.length} artifact(s) verified against ${e(r.policy.sourceUri)}`,
  ];
  if (r.signoff !== null) lines.push(`sign-off: ${e(r.signoff.key)} (${e(r.signoff.approved_by)})`);
  if (r.recorded !== null) {
    lines.push(
      r.recorded.queued
        ? 'verdict queued: the ledger push was refused (run flush later)'
        : `verdict recorded: ${r.recorded.outcome}${r.recorded.pr_url ? ` (${r.recorded.pr_url})` : ''}`,
    );
  }
  return lines.join('\n');
}
