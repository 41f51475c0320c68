import { recordEntry } from '../../app/record.js';
import { readJsonInput } from '../../io/files.js';
import { booleanFlag, stringFlag } from '../args.js';
import type { CommandContext, CommandModule, ParsedArgs } from '../command.js';
import { ledgerSigningFrom, ledgerWriteFlags, ledgerWriteOptions } from './ledger-flags.js';

const fieldFlags = {
  'run-id': ['run_id', 'N', 'run id (default: GITHUB_RUN_ID)'],
  tag: ['tag', 'TAG', 'release tag (default: GITHUB_REF_NAME when GITHUB_REF_TYPE is tag)'],
  sha: ['sha', 'SHA', 'commit of the release (default: GITHUB_SHA)'],
  'artifact-url': ['artifact_url', 'URL', 'https URL of the artifact (null on failure when absent)'],
  actor: ['actor', 'NAME', 'who ran the release (default: GITHUB_ACTOR)'],
  timestamp: ['timestamp', 'TIME', 'RFC 3339 UTC time of the run (default: now)'],
  status: ['status', 'STATUS', 'success | failure (default: success)'],
  'governance-flag': ['governance_flag', 'FLAG', 'kebab-case flag, e.g. provenance-ready'],
  'release-url': ['release_url', 'URL', 'https URL of the release page'],
  'failure-reason': ['failure_reason', 'TEXT', 'why the run failed (required with --status failure)'],
} as const;

/** The entry from --entry and the per-field flags (flags win), with GitHub Actions defaults. */
async function entryFrom(args: ParsedArgs, ctx: CommandContext): Promise<unknown> {
  const file = stringFlag(args, 'entry');
  let base: Record<string, unknown> = {};
  if (file !== undefined) {
    const value = await readJsonInput(file, ctx.stdin, 'entry', 'entry', ctx.cwd);
    // not an object: recordEntry refuses it with LEDGER_ENTRY_INVALID
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    base = value as Record<string, unknown>;
  } else {
    const env = ctx.env;
    base = {
      run_id: env.GITHUB_RUN_ID,
      tag: env.GITHUB_REF_TYPE === 'tag' ? env.GITHUB_REF_NAME : undefined,
      sha: env.GITHUB_SHA,
      actor: env.GITHUB_ACTOR,
      timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      status: 'success',
    };
  }
  const entry: Record<string, unknown> = { ...base };
  // numbers arrive as text from flags and the environment (never from the --entry JSON: there
  // "run_id": "1" is refused, not coerced); anything else is left for the schema to refuse
  const fromText = file === undefined || stringFlag(args, 'run-id') !== undefined;
  for (const [flag, [field]] of Object.entries(fieldFlags)) {
    const v = stringFlag(args, flag);
    if (v !== undefined) entry[field] = v;
  }
  if (fromText && typeof entry.run_id === 'string' && /^\d{1,16}$/.test(entry.run_id))
    entry.run_id = Number(entry.run_id);
  if (file === undefined && entry.artifact_url === undefined && entry.status === 'failure')
    entry.artifact_url = null;
  for (const k of Object.keys(entry)) if (entry[k] === undefined) delete entry[k];
  return entry;
}

export const command: CommandModule = {
  spec: {
    name: 'record',
    summary: 'merge a manifest entry into the git ledger and push it',
    usage: 'record [--entry FILE|-] [--tag TAG --run-id N …] [--repo DIR] [options]',
    description:
      'Fetches the ledger branch, merges the entry (key: tag + run_id, looked up across every day file) at the fetched head without touching your working tree, commits with provenance trailers and pushes. A non-fast-forward push is retried; a refused push queues the entry (exit 75).',
    options: {
      entry: {
        type: 'string',
        valueName: 'FILE|-',
        description: 'the entry as JSON (- reads stdin); field flags override it',
      },
      ...Object.fromEntries(
        Object.entries(fieldFlags).map(([flag, [, valueName, description]]) => [
          flag,
          { type: 'string', valueName, description },
        ]),
      ),
      ...ledgerWriteFlags,
      'via-pr': {
        type: 'boolean',
        description:
          'push to a branch provenance/<tag>-<run_id> and open a pull request (auto-merge where allowed; GITHUB_TOKEN)',
      },
    },
    examples: [
      'slsa-ledger record --tag v1.2.3 --artifact-url https://github.com/o/r/releases/download/v1.2.3/app.tgz',
      'slsa-ledger record --status failure --failure-reason "upload failed" --tag v1.2.3',
      'slsa-ledger record --entry entry.json --repo ../ledger --sign-key ledger.key --json',
    ],
  },
  async run(args, ctx) {
    const entry = await entryFrom(args, ctx);
    const signing = await ledgerSigningFrom(args, ctx, 'record');
    const env = ctx.env;
    // the pull-request path (octokit) loads only when asked for: a plain record stays light
    const viaPr = booleanFlag(args, 'via-pr')
      ? await (
          await import('../../app/record-via-pr.js')
        ).recordEntryViaPullRequest({
          entry,
          ...ledgerWriteOptions(args, ctx),
          signing,
          token: env.GITHUB_TOKEN || env.GH_TOKEN || undefined,
          ...(env.GITHUB_REPOSITORY ? { repository: env.GITHUB_REPOSITORY } : {}),
          ...(env.GITHUB_API_URL ? { apiUrl: env.GITHUB_API_URL } : {}),
        })
      : undefined;
    const result = viaPr ?? (await recordEntry({ entry, ...ledgerWriteOptions(args, ctx), signing }));
    const rewritten = result.alert === 'ledger-history-rewritten' ? '\nalert: ledger-history-rewritten' : '';
    const pr = viaPr?.pull_request ?? null;
    const where = `${result.tag} run ${result.run_id} -> ${result.path}`;
    const human =
      result.outcome === 'queued'
        ? `queued ${where}: ${result.queue?.reason ?? ''}\nqueue: ${result.queue?.path ?? ''}${result.queue?.branch_pushed ? ` and branch provenance-queue` : ''}; run 'slsa-ledger flush' later`
        : `${result.outcome} ${where}${result.commit === null ? '' : ` (commit ${result.commit.slice(0, 12)}, ${result.attempts} attempt${result.attempts === 1 ? '' : 's'})`}`;
    return {
      result,
      human:
        (pr === null
          ? human
          : `${human}\npull request #${pr.number}: ${pr.url} (auto-merge ${pr.auto_merge})`) + rewritten,
      ...(result.outcome === 'queued' ? { exitCode: 75 } : {}),
    };
  },
};
