import { resolve } from 'node:path';
import { parseRepository } from '../core/dispatch/dispatch-plan.js';
import { UsageError } from '../errors.js';
import { remoteUrlOf } from '../io/git-ledger-repo.js';
import { createGithubClient } from '../io/github.js';
import { PullRequestPublisher, type PullRequestInfo } from '../io/github-pr-publisher.js';
import { recordEntry, type RecordOptions, type RecordResult } from './record.js';

export interface RecordViaPullRequestOptions extends Omit<RecordOptions, 'publisher'> {
  /** `OWNER/REPO` of the ledger repository (default: from the remote's URL) */
  readonly repository?: string;
  /** GITHUB_TOKEN (contents: write, pull-requests: write), passed in by the caller */
  readonly token: string | undefined;
  /** GITHUB_API_URL */
  readonly apiUrl?: string;
  /** enable auto-merge where the repository allows it (default true) */
  readonly autoMerge?: boolean;
}

export interface RecordViaPullRequestResult extends RecordResult {
  /** the pull request, when one was opened (null when nothing changed or the entry was queued) */
  readonly pull_request: PullRequestInfo | null;
}

/** `OWNER/REPO` from a GitHub remote URL (https, ssh or scp-like), or undefined. */
export function repositoryOfRemoteUrl(url: string): string | undefined {
  const m =
    /^(?:https?:\/\/(?:[^@/]+@)?[^/]+\/|ssh:\/\/(?:[^@/]+@)?[^/]+\/|[^@/:]+@[^:/]+:)([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(
      url.trim(),
    );
  return m === null ? undefined : `${m[1]}/${m[2]}`;
}

/**
 * `record --via-pr`: the ledger commit goes to the branch `provenance/<tag>-<run_id>` and a pull
 * request (auto-merge where allowed) instead of a direct push; a refused branch push or pull
 * request queues the entry exactly as a refused push does (outcome `queued`, exit 75).
 */
export async function recordEntryViaPullRequest(
  options: RecordViaPullRequestOptions,
): Promise<RecordViaPullRequestResult> {
  if (options.token === undefined || options.token === '') {
    throw new UsageError(
      'USAGE_MISSING_FLAG',
      '--via-pr needs GITHUB_TOKEN (contents: write, pull-requests: write)',
    );
  }
  let repository = options.repository;
  if (repository === undefined) {
    const url = await remoteUrlOf(resolve(options.repoDir ?? '.'), options.remote ?? 'origin');
    repository = url === undefined ? undefined : repositoryOfRemoteUrl(url);
    if (repository === undefined) {
      throw new UsageError(
        'USAGE_MISSING_FLAG',
        '--via-pr needs the GitHub repository: set GITHUB_REPOSITORY=OWNER/REPO (the remote is not a GitHub URL)',
      );
    }
  }
  const { owner, repo } = parseRepository(repository);
  const publisher = new PullRequestPublisher({
    client: createGithubClient({
      token: options.token,
      ...(options.apiUrl === undefined ? {} : { baseUrl: options.apiUrl }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    }),
    owner,
    repo,
    ...(options.autoMerge === undefined ? {} : { autoMerge: options.autoMerge }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const result = await recordEntry({ ...options, publisher });
  return { ...result, pull_request: result.outcome === 'committed' ? (publisher.pullRequest ?? null) : null };
}
