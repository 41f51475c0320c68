// The GitHub REST answers slsa-ledger reads, checked against the shapes the REST reference
// documents before anything uses them. An answer is outside input: a GitHub Enterprise server, a
// proxy or a CDN in front of either may answer a 200 with an HTML page, a list where an object
// belongs, `null` in a list, or an id that is not a JSON number our code can hold (octokit parses
// integers past 2^53 as BigInt, which JSON.stringify refuses). Each of these had ended a command
// as an internal error (exit 70); now it is GITHUB_ANSWER_INVALID (exit 3) naming the field.
import { SlsaLedgerError } from '../../errors.js';
import type { WorkflowRunSummary } from '../dispatch/dispatch-plan.js';

type Fields = Readonly<Record<string, unknown>>;

function invalid(what: string, field: string, problem: string): SlsaLedgerError {
  return new SlsaLedgerError('GITHUB_ANSWER_INVALID', `${what}: github answered ${field} ${problem}`, {
    details: { what, field },
  });
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'text';
  return `a ${typeof value}`;
}

function objectAt(value: unknown, what: string, field: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(what, field, `as ${kindOf(value)}, not an object`);
  }
  return value as Fields;
}

function listAt(value: unknown, what: string, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw invalid(what, field, `as ${kindOf(value)}, not a list`);
  return value;
}

/** A positive integer JavaScript holds exactly (ids, numbers): the REST reference's `integer`. */
function idAt(o: Fields, key: string, what: string, at: string): number {
  const value = o[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalid(what, `${at}.${key}`, `as ${kindOf(value)}, not a positive whole number below 2^53`);
  }
  return value;
}

function textAt(o: Fields, key: string, what: string, at: string): string {
  const value = o[key];
  if (typeof value !== 'string') throw invalid(what, `${at}.${key}`, `as ${kindOf(value)}, not text`);
  return value;
}

function optionalTextAt(o: Fields, key: string, what: string, at: string): string | undefined {
  return o[key] === undefined || o[key] === null ? undefined : textAt(o, key, what, at);
}

/** `GET …/actions/workflows/{id}/runs`: `{ workflow_runs: [{ id, event, head_branch, created_at, html_url }] }`. */
export function readWorkflowRuns(data: unknown, what = 'list workflow runs'): WorkflowRunSummary[] {
  const body = objectAt(data, what, 'the answer');
  return listAt(body.workflow_runs, what, 'workflow_runs').map((item, i) => {
    const at = `workflow_runs[${i}]`;
    const run = objectAt(item, what, at);
    const headBranch = optionalTextAt(run, 'head_branch', what, at);
    const htmlUrl = optionalTextAt(run, 'html_url', what, at);
    return {
      id: idAt(run, 'id', what, at),
      event: textAt(run, 'event', what, at),
      head_branch: headBranch ?? null,
      created_at: textAt(run, 'created_at', what, at),
      ...(htmlUrl === undefined ? {} : { html_url: htmlUrl }),
    };
  });
}

/** One issue of `GET /repos/{o}/{r}/issues` (a pull request is listed there too). */
export interface IssueListItem {
  readonly number: number;
  readonly title: string;
  readonly state: string;
  readonly html_url: string;
  readonly isPullRequest: boolean;
}

/** `GET /repos/{o}/{r}/issues`: a list of issues. */
export function readIssueList(data: unknown, what = 'list issues'): IssueListItem[] {
  return listAt(data, what, 'the answer').map((item, i) => {
    const at = `[${i}]`;
    const issue = objectAt(item, what, at);
    return {
      number: idAt(issue, 'number', what, at),
      title: textAt(issue, 'title', what, at),
      state: textAt(issue, 'state', what, at),
      html_url: textAt(issue, 'html_url', what, at),
      isPullRequest: issue.pull_request !== undefined && issue.pull_request !== null,
    };
  });
}

/** An issue or pull request as created or fetched: `{ number, html_url }` (and `node_id` for GraphQL). */
export function readNumbered(data: unknown, what: string): { number: number; html_url: string } {
  const o = objectAt(data, what, 'the answer');
  return { number: idAt(o, 'number', what, 'answer'), html_url: textAt(o, 'html_url', what, 'answer') };
}

/** A pull request (`POST /repos/{o}/{r}/pulls`, one item of `GET …/pulls`). */
export function readPullRequest(
  data: unknown,
  what: string,
): { number: number; html_url: string; node_id: string } {
  const o = objectAt(data, what, 'the answer');
  return { ...readNumbered(o, what), node_id: textAt(o, 'node_id', what, 'answer') };
}

/** `GET /repos/{o}/{r}/pulls`: the first pull request listed, or undefined for an empty list. */
export function readFirstPullRequest(
  data: unknown,
  what: string,
): { number: number; html_url: string; node_id: string } | undefined {
  const [first] = listAt(data, what, 'the answer');
  return first === undefined ? undefined : readPullRequest(first, what);
}

/** `GET …/actions/runs/{id}/artifacts`: `{ artifacts: [{ id, name, expired }] }`. */
export function readArtifactList(
  data: unknown,
  what: string,
): { id: number; name: string; expired: boolean }[] {
  const body = objectAt(data, what, 'the answer');
  return listAt(body.artifacts, what, 'artifacts').map((item, i) => {
    const at = `artifacts[${i}]`;
    const artifact = objectAt(item, what, at);
    return {
      id: idAt(artifact, 'id', what, at),
      name: textAt(artifact, 'name', what, at),
      expired: artifact.expired === true,
    };
  });
}
