import { dispatchWorkflow } from '../../app/dispatch.js';
import { parseSecondsFlag } from '../../core/dispatch/dispatch-plan.js';
import { integerFlag, keyValueFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';

export const command: CommandModule = {
  spec: {
    name: 'dispatch',
    summary: 'trigger the provenance workflow and report run id and token expiry',
    usage: 'dispatch --repository OWNER/REPO --workflow FILE --ref REF [--input k=v…] [options]',
    description:
      'POSTs a workflow_dispatch with return_run_details (falling back to listing runs on older servers), then reports dispatch_tag, dispatch_run_id and the token expiry in the JSON result, $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY. Token from PROVENANCE_DISPATCH_TOKEN (or GITHUB_TOKEN); API from GITHUB_API_URL. A 401 is DISPATCH_TOKEN_EXPIRED (exit 3).',
    options: {
      repository: {
        type: 'string',
        valueName: 'OWNER/REPO',
        required: true,
        description: 'repository holding the workflow',
      },
      workflow: {
        isRepositoryPath: true,
        type: 'string',
        valueName: 'FILE',
        required: true,
        description: 'workflow file name or id',
      },
      ref: { type: 'string', valueName: 'REF', required: true, description: 'branch or tag to run on' },
      input: { type: 'string', multiple: true, valueName: 'k=v', description: 'workflow input' },
      tag: {
        type: 'string',
        valueName: 'TAG',
        description: "release tag (default: input 'tag', else the ref)",
      },
      'warn-days': {
        type: 'string',
        valueName: 'N',
        default: '14',
        description: 'flag dispatch-token-expiring within N days of expiry',
      },
      'max-age-days': {
        type: 'string',
        valueName: 'N',
        default: '90',
        description: 'flag dispatch-token-rotation-overdue past N days',
      },
      'token-rotated-at': {
        type: 'string',
        valueName: 'DATE',
        description: 'last rotation (default: PROVENANCE_DISPATCH_TOKEN_ROTATED_AT)',
      },
      'run-timeout': {
        type: 'string',
        valueName: 'SECONDS',
        default: '60',
        description: 'how long to look for the run on older servers',
      },
      'poll-interval': {
        type: 'string',
        valueName: 'SECONDS',
        default: '2',
        description: 'between run listings',
      },
    },
    examples: [
      'slsa-ledger dispatch --repository acme/app --workflow provenance.yml --ref v1.2.3 --input tag=v1.2.3',
    ],
  },
  async run(args, ctx) {
    const env = ctx.env;
    const rotatedAt = stringFlag(args, 'token-rotated-at') ?? env.PROVENANCE_DISPATCH_TOKEN_ROTATED_AT;
    const tag = stringFlag(args, 'tag');
    const runId = /^\d+$/.test(env.GITHUB_RUN_ID ?? '') ? Number(env.GITHUB_RUN_ID) : undefined;
    const runUrl =
      runId !== undefined && env.GITHUB_REPOSITORY
        ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${runId}`
        : undefined;
    const result = await dispatchWorkflow({
      repository: stringFlag(args, 'repository') ?? '',
      workflow: stringFlag(args, 'workflow') ?? '',
      ref: stringFlag(args, 'ref') ?? '',
      inputs: keyValueFlag(args, 'input') ?? {},
      ...(tag === undefined ? {} : { tag }),
      token: env.PROVENANCE_DISPATCH_TOKEN || env.GITHUB_TOKEN || undefined,
      ...(env.GITHUB_API_URL ? { apiUrl: env.GITHUB_API_URL } : {}),
      warnDays: integerFlag(args, 'warn-days', { min: 0, max: 3650 }) ?? 14,
      maxAgeDays: integerFlag(args, 'max-age-days', { min: 1, max: 3650 }) ?? 90,
      ...(rotatedAt ? { tokenRotatedAt: rotatedAt } : {}),
      ...(runId === undefined ? {} : { usedByRunId: runId }),
      ...(runUrl === undefined ? {} : { usedByRunUrl: runUrl }),
      runTimeoutMs:
        parseSecondsFlag('run-timeout', stringFlag(args, 'run-timeout'), { min: 0, max: 3600 }) ?? 60_000,
      pollIntervalMs:
        parseSecondsFlag('poll-interval', stringFlag(args, 'poll-interval'), { min: 0.05, max: 600 }) ??
        2_000,
      ...(env.GITHUB_OUTPUT ? { githubOutputPath: env.GITHUB_OUTPUT } : {}),
      ...(env.GITHUB_STEP_SUMMARY ? { stepSummaryPath: env.GITHUB_STEP_SUMMARY } : {}),
      logger: ctx.logger,
    });
    const human = [
      `dispatched ${result.workflow} on ${result.repository}@${result.ref}: run ${result.dispatch_run_id}${result.dispatch_run_url ? ` (${result.dispatch_run_url})` : ''}`,
      `tag ${result.dispatch_tag}; token expires ${result.token.expires_at ?? 'never (no expiry reported)'}${result.flags.length > 0 ? `; flags: ${result.flags.join(', ')}` : ''}`,
    ].join('\n');
    return { result, human };
  },
};
