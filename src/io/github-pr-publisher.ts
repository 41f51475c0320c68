import { readFirstPullRequest, readPullRequest } from '../core/input/github-answers.js';
import type { Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { isSlsaLedgerError } from '../errors.js';
import { gitText, runGit } from './git.js';
import type { PublishOutcome, PublishRequest, Publisher } from './git-ledger-repo.js';
import type { GithubClient } from './github.js';
import { markdownCodeBlock, markdownCodeSpan } from '../core/text/markdown.js';

/** The pull request a `record --via-pr` opened (or found open). */
export interface PullRequestInfo {
  readonly number: number;
  readonly url: string;
  readonly branch: string;
  readonly reused: boolean;
  /** enabled, or why not (`not-allowed` when the repository does not permit auto-merge) */
  readonly auto_merge: 'enabled' | 'not-allowed' | 'failed' | 'disabled';
  readonly auto_merge_reason: string | null;
}

export interface PullRequestPublisherOptions {
  readonly client: GithubClient;
  readonly owner: string;
  readonly repo: string;
  /** ask GitHub to merge when checks pass (default true) */
  readonly autoMerge?: boolean;
  /** REBASE keeps the ledger commit (and its trailers) as a plain commit on the base branch */
  readonly mergeMethod?: 'REBASE' | 'MERGE' | 'SQUASH';
  readonly logger?: Logger;
}

/** `provenance/<tag>-<run_id>`: one short-lived branch per ledger key. */
export function pullRequestBranch(tag: string, runId: number): string {
  return `provenance/${tag}-${runId}`;
}

/**
 * The `record --via-pr` publisher, for repositories whose main branch only takes pull requests:
 * push the ledger commit to `provenance/<tag>-<run_id>`, open a pull request with the commit's
 * title and trailers, enable auto-merge where allowed. A refused branch push or pull request is a
 * `refused` outcome, so `record` queues the entry as it does for a refused push.
 */
export class PullRequestPublisher implements Publisher {
  /** what the last publish opened, for the caller to report */
  pullRequest: PullRequestInfo | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: PullRequestPublisherOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  async publish(request: PublishRequest): Promise<PublishOutcome> {
    const { repo } = request;
    const branch = pullRequestBranch(request.tag, request.runId);
    // the branch is ours and short-lived: overwrite what an earlier attempt left there
    const pushed = await runGit(
      ['push', '--porcelain', '--quiet', repo.remote, `+${request.commit}:refs/heads/${branch}`],
      {
        cwd: repo.root,
        allowFailure: true,
      },
    );
    if (pushed.code !== 0) {
      const reason = pushed.stderr.trim().split('\n').pop() ?? `exit ${pushed.code}`;
      return { kind: 'refused', reason: `could not push ${branch}: ${reason.slice(0, 300)}` };
    }
    const message = await gitText(['log', '-1', '--format=%B', request.commit], { cwd: repo.root });
    const [title = '', ...rest] = message.trim().split('\n');
    // the commit's trailers name the tag, which whoever pushes tags chooses: shown, never rendered
    const trailers = rest.join('\n').trim();
    const body = [
      trailers === '' ? '' : markdownCodeBlock(trailers),
      '',
      `Opened by \`slsa-ledger record --via-pr\`: one ledger entry (${markdownCodeSpan(request.tag)}, run ${request.runId}) in ${markdownCodeSpan(request.manifestPath)}.`,
    ].join('\n');
    const { client, owner, repo: name } = this.options;
    let number: number;
    let url: string;
    let nodeId: string;
    let reused = false;
    try {
      const created = await client.request('open pull request', 'POST /repos/{owner}/{repo}/pulls', {
        owner,
        repo: name,
        title,
        head: branch,
        base: request.branch,
        body,
        maintainer_can_modify: false,
      });
      ({ number, html_url: url, node_id: nodeId } = readPullRequest(created.data, 'open pull request'));
    } catch (error) {
      const existing =
        isSlsaLedgerError(error) && error.details?.status === 422 ? await this.findOpen(branch) : undefined;
      if (existing === undefined) {
        await this.deleteBranch(request, branch);
        const reason = isSlsaLedgerError(error) ? error.message : String(error);
        return { kind: 'refused', reason: `pull request refused: ${reason}` };
      }
      ({ number, html_url: url, node_id: nodeId } = existing);
      reused = true;
    }
    this.logger.info(`${reused ? 'updated' : 'opened'} pull request #${number}: ${url}`);
    let autoMerge: PullRequestInfo['auto_merge'] = 'disabled';
    let autoMergeReason: string | null = null;
    if (this.options.autoMerge !== false) {
      try {
        await client.graphql(
          'enable auto-merge',
          `mutation($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) {
            enablePullRequestAutoMerge(input: { pullRequestId: $pullRequestId, mergeMethod: $mergeMethod }) {
              pullRequest { number }
            }
          }`,
          { pullRequestId: nodeId, mergeMethod: this.options.mergeMethod ?? 'REBASE' },
        );
        autoMerge = 'enabled';
      } catch (error) {
        // not permitted (auto-merge off in the repository settings, no branch protection, or a token
        // without the right): the pull request stays open for a human to merge
        autoMergeReason = isSlsaLedgerError(error) ? error.message : String(error);
        autoMerge = /not allowed|not enabled|auto.?merge|protected|UNPROCESSABLE|FORBIDDEN/i.test(
          autoMergeReason,
        )
          ? 'not-allowed'
          : 'failed';
        this.logger.warn(`auto-merge not enabled for #${number}: ${autoMergeReason}`);
      }
    }
    this.pullRequest = {
      number,
      url,
      branch,
      reused,
      auto_merge: autoMerge,
      auto_merge_reason: autoMergeReason,
    };
    return { kind: 'landed' };
  }

  private async findOpen(
    branch: string,
  ): Promise<{ number: number; html_url: string; node_id: string } | undefined> {
    try {
      const listed = await this.options.client.request(
        'find pull request',
        'GET /repos/{owner}/{repo}/pulls',
        {
          owner: this.options.owner,
          repo: this.options.repo,
          head: `${this.options.owner}:${branch}`,
          state: 'open',
        },
      );
      return readFirstPullRequest(listed.data, 'find pull request');
    } catch {
      return undefined;
    }
  }

  private async deleteBranch(request: PublishRequest, branch: string): Promise<void> {
    await runGit(['push', '--quiet', request.repo.remote, `:refs/heads/${branch}`], {
      cwd: request.repo.root,
      allowFailure: true,
    }).catch(() => undefined);
  }
}
