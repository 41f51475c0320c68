import { crc32, deflateRawSync } from 'node:zlib';
import {
  jsonBody,
  mountFake,
  type FakeHandler,
  type FakeRequest,
  type FakeResponse,
  type MountedFake,
} from './http-fake.js';

// A fake GitHub REST/GraphQL API enforcing the documented contracts slsa-ledger relies on
// (https://docs.github.com/rest): methods, paths, `Authorization: token|Bearer`, a User-Agent,
// request bodies (unknown keys refused with 422), and the answers 200/201/204/302/400/401/404/422.

export interface FakeRun {
  id: number;
  event: string;
  head_branch: string;
  created_at: string;
  html_url: string;
  workflow: string;
}

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: 'open' | 'closed';
  comments: string[];
}

export interface FakeGithubOptions {
  /** the token the server accepts */
  readonly token: string;
  /** tokens answered with 401 Bad credentials */
  readonly expiredTokens?: readonly string[];
  /** `github-authentication-token-expiration` on every authenticated answer */
  readonly tokenExpiration?: string;
  readonly owner?: string;
  readonly repo?: string;
  readonly workflows?: readonly string[];
  readonly refs?: readonly string[];
  /**
   * run-details: 200 with workflow_run_id (current github.com); legacy-400: 400 to
   * return_run_details, 204 without it; legacy-204: ignores the field and answers 204.
   */
  readonly dispatchMode?: 'run-details' | 'legacy-400' | 'legacy-204';
  /** listings that return no run before the dispatched run shows up */
  readonly runDelayListings?: number;
  /** runs created before the test (not ours) */
  readonly existingRuns?: readonly FakeRun[];
  /** answer the dispatch with this status instead (e.g. 500) */
  readonly dispatchStatus?: number;
  /** for artifacts: where the 302 points (the second origin) */
  readonly artifactOrigin?: string;
  /** artifacts by id: name and zip bytes */
  readonly artifacts?: Readonly<Record<number, { name: string; runId: number; zip: Uint8Array }>>;
  /** pull requests: `refuse` answers 422, `no-auto-merge` refuses the GraphQL mutation */
  readonly pullMode?: 'ok' | 'refuse' | 'no-auto-merge';
  /** whether a branch exists on the remote (a pull request's head must) */
  readonly branchExists?: (branch: string) => boolean;
  /** repository files served by the contents API (a private repository: token required) */
  readonly files?: Readonly<Record<string, string>>;
}

export class FakeGithub {
  readonly requests: FakeRequest[] = [];
  readonly runs: FakeRun[];
  readonly issues: FakeIssue[] = [];
  /** list-issues requests answered (one per page) */
  issueListings = 0;
  readonly pulls: {
    number: number;
    title: string;
    head: string;
    base: string;
    body: string;
    autoMerge: boolean;
    mergeMethod?: string;
  }[] = [];
  mounted: MountedFake | undefined;
  private nextRunId = 9_000_001;
  private listings = 0;
  private readonly o: Required<
    Omit<FakeGithubOptions, 'tokenExpiration' | 'artifactOrigin' | 'dispatchStatus' | 'branchExists'>
  > &
    FakeGithubOptions;

  constructor(options: FakeGithubOptions) {
    this.o = {
      expiredTokens: [],
      owner: 'acme',
      repo: 'app',
      workflows: ['provenance.yml'],
      refs: ['main', 'v1.2.3'],
      dispatchMode: 'run-details',
      runDelayListings: 0,
      existingRuns: [],
      artifacts: {},
      pullMode: 'ok',
      files: {},
      ...options,
    };
    this.runs = [...this.o.existingRuns];
  }

  async mount(): Promise<string> {
    this.mounted = await mountFake(this.handler);
    return this.mounted.url;
  }

  readonly handler: FakeHandler = (request) => {
    this.requests.push(request);
    return this.handle(request);
  };

  private handle(r: FakeRequest): FakeResponse {
    if (!r.headers['user-agent'])
      return {
        status: 403,
        body: {
          message:
            'Request forbidden by administrative rules. Please make sure your request has a User-Agent header',
        },
      };
    const auth = /^(?:token|Bearer) (.+)$/.exec(r.headers.authorization ?? '')?.[1];
    if (auth === undefined || auth !== this.o.token) {
      return {
        status: 401,
        body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' },
      };
    }
    const h: Record<string, string> = this.o.tokenExpiration
      ? { 'github-authentication-token-expiration': this.o.tokenExpiration }
      : {};
    const withHeaders = (res: FakeResponse): FakeResponse => ({ ...res, headers: { ...h, ...res.headers } });
    const repoPrefix = `/repos/${this.o.owner}/${this.o.repo}`;
    const p = r.path;
    if (r.method === 'POST' && p === '/graphql') return withHeaders(this.graphql(r));
    if (!p.startsWith(`${repoPrefix}/`)) return { status: 404, body: { message: 'Not Found' } };
    const rest = p.slice(repoPrefix.length);
    let m: RegExpExecArray | null;
    if ((m = /^\/actions\/workflows\/([^/]+)\/dispatches$/.exec(rest)) && r.method === 'POST') {
      return withHeaders(this.dispatch(decodeURIComponent(m[1]!), r));
    }
    if ((m = /^\/actions\/workflows\/([^/]+)\/runs$/.exec(rest)) && r.method === 'GET') {
      return withHeaders(this.listRuns(decodeURIComponent(m[1]!), r));
    }
    if ((m = /^\/actions\/artifacts\/(\d+)\/zip$/.exec(rest)) && r.method === 'GET') {
      const a = this.o.artifacts[Number(m[1])];
      if (a === undefined || this.o.artifactOrigin === undefined)
        return { status: 404, body: { message: 'Not Found' } };
      return withHeaders({
        status: 302,
        headers: { location: `${this.o.artifactOrigin}/blob/${m[1]}.zip?sig=signed-url-part` },
      });
    }
    if ((m = /^\/actions\/runs\/(\d+)\/artifacts$/.exec(rest)) && r.method === 'GET') {
      const runId = Number(m[1]);
      const list = Object.entries(this.o.artifacts)
        .filter(([, a]) => a.runId === runId)
        .map(([id, a]) => ({
          id: Number(id),
          name: a.name,
          expired: false,
          archive_download_url: `${this.mounted?.url ?? ''}${repoPrefix}/actions/artifacts/${id}/zip`,
        }));
      return withHeaders({ status: 200, body: { total_count: list.length, artifacts: list } });
    }
    if ((m = /^\/contents\/(.+)$/.exec(rest)) && r.method === 'GET') {
      const file = this.o.files[decodeURIComponent(m[1]!)];
      if (file === undefined) return withHeaders({ status: 404, body: { message: 'Not Found' } });
      if ((r.headers.accept ?? '').includes('application/vnd.github.raw')) {
        return withHeaders({
          status: 200,
          headers: { 'content-type': 'application/vnd.github.raw' },
          body: file,
        });
      }
      return withHeaders({
        status: 200,
        body: { type: 'file', encoding: 'base64', content: Buffer.from(file).toString('base64') },
      });
    }
    if (rest === '/issues' && r.method === 'GET') return withHeaders(this.listIssues(r));
    if (rest === '/issues' && r.method === 'POST') return withHeaders(this.createIssue(r));
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest)) && r.method === 'POST')
      return withHeaders(this.comment(Number(m[1]), r));
    if ((m = /^\/issues\/(\d+)$/.exec(rest)) && r.method === 'PATCH')
      return withHeaders(this.patchIssue(Number(m[1]), r));
    if (rest === '/pulls' && r.method === 'POST') return withHeaders(this.createPull(r));
    if (rest === '/pulls' && r.method === 'GET') {
      const head = r.query.get('head');
      const list = this.pulls.filter((p) => head === null || `${this.o.owner}:${p.head}` === head);
      return withHeaders({
        status: 200,
        body: list.map((p) => ({
          number: p.number,
          node_id: `PR_node_${p.number}`,
          html_url: `https://github.com/${this.o.owner}/${this.o.repo}/pull/${p.number}`,
        })),
      });
    }
    return { status: 404, body: { message: 'Not Found' } };
  }

  private dispatch(workflow: string, r: FakeRequest): FakeResponse {
    if (!this.o.workflows.includes(workflow)) return { status: 404, body: { message: 'Not Found' } };
    if (this.o.dispatchStatus !== undefined)
      return { status: this.o.dispatchStatus, body: { message: 'Server Error' } };
    const body = jsonBody(r) as Record<string, unknown> | undefined;
    if (body === undefined || typeof body !== 'object' || typeof body.ref !== 'string') {
      return { status: 422, body: { message: 'Invalid request.\n\n"ref" wasn\'t supplied.' } };
    }
    const allowed =
      this.o.dispatchMode === 'legacy-400' ? ['ref', 'inputs'] : ['ref', 'inputs', 'return_run_details'];
    const unknown = Object.keys(body).find((k) => !allowed.includes(k));
    if (unknown !== undefined) {
      const status = this.o.dispatchMode === 'legacy-400' ? 400 : 422;
      return { status, body: { message: `Invalid request.\n\n${unknown} is not a permitted key.` } };
    }
    const inputs = (body.inputs ?? {}) as Record<string, unknown>;
    if (
      typeof inputs !== 'object' ||
      Object.keys(inputs).length > 25 ||
      Object.values(inputs).some((v) => typeof v !== 'string')
    ) {
      return { status: 422, body: { message: 'Invalid inputs' } };
    }
    const ref = body.ref.replace(/^refs\/(heads|tags)\//, '');
    if (!this.o.refs.includes(ref))
      return { status: 422, body: { message: `No ref found for: ${body.ref}` } };
    const run: FakeRun = {
      id: this.nextRunId++,
      event: 'workflow_dispatch',
      head_branch: ref,
      created_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      html_url: `https://github.com/${this.o.owner}/${this.o.repo}/actions/runs/${this.nextRunId - 1}`,
      workflow,
    };
    this.runs.push(run);
    if (this.o.dispatchMode === 'run-details' && body.return_run_details === true) {
      return {
        status: 200,
        body: {
          workflow_run_id: run.id,
          run_url: `${this.mounted?.url ?? ''}/repos/${this.o.owner}/${this.o.repo}/actions/runs/${run.id}`,
          html_url: run.html_url,
        },
      };
    }
    return { status: 204 };
  }

  private listRuns(workflow: string, r: FakeRequest): FakeResponse {
    if (!this.o.workflows.includes(workflow)) return { status: 404, body: { message: 'Not Found' } };
    this.listings++;
    const event = r.query.get('event');
    const branch = r.query.get('branch');
    const created = r.query.get('created');
    const since = created?.startsWith('>=') ? Date.parse(created.slice(2)) : Number.NEGATIVE_INFINITY;
    if (created !== null && Number.isNaN(since)) return { status: 422, body: { message: 'Invalid created' } };
    const visible = this.listings > this.o.runDelayListings ? this.runs : this.o.existingRuns;
    const runs = visible.filter(
      (run) =>
        run.workflow === workflow &&
        (event === null || run.event === event) &&
        (branch === null || run.head_branch === branch) &&
        Date.parse(run.created_at) >= since,
    );
    return { status: 200, body: { total_count: runs.length, workflow_runs: [...runs].reverse() } };
  }

  // https://docs.github.com/en/rest/issues/issues#list-repository-issues: newest first
  // (sort=created, direction=desc), `per_page` default 30 and at most 100, `page` from 1, and the
  // next page announced only in the `Link` header
  // (https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api).
  private listIssues(r: FakeRequest): FakeResponse {
    const labels = (r.query.get('labels') ?? '').split(',').filter(Boolean);
    const state = r.query.get('state') ?? 'open';
    const perPage = Math.min(100, Math.max(1, Number(r.query.get('per_page') ?? '30') || 30));
    const page = Math.max(1, Number(r.query.get('page') ?? '1') || 1);
    const list = this.issues
      .filter((i) => labels.every((l) => i.labels.includes(l)) && (state === 'all' || i.state === state))
      .sort((a, b) => b.number - a.number);
    this.issueListings++;
    const pages = Math.max(1, Math.ceil(list.length / perPage));
    const base = `${this.mounted?.url ?? ''}/repos/${this.o.owner}/${this.o.repo}/issues?per_page=${perPage}&state=${state}${labels.length > 0 ? `&labels=${labels.join(',')}` : ''}`;
    const links = [
      ...(page < pages
        ? [`<${base}&page=${page + 1}>; rel="next"`, `<${base}&page=${pages}>; rel="last"`]
        : []),
      ...(page > 1 ? [`<${base}&page=1>; rel="first"`, `<${base}&page=${page - 1}>; rel="prev"`] : []),
    ];
    return {
      status: 200,
      ...(links.length > 0 ? { headers: { link: links.join(', ') } } : {}),
      body: list.slice((page - 1) * perPage, page * perPage).map((i) => ({
        number: i.number,
        title: i.title,
        state: i.state,
        labels: i.labels.map((name) => ({ name })),
        html_url: `https://github.com/${this.o.owner}/${this.o.repo}/issues/${i.number}`,
      })),
    };
  }

  private createIssue(r: FakeRequest): FakeResponse {
    const body = jsonBody(r) as Record<string, unknown> | undefined;
    if (typeof body?.title !== 'string' || body.title === '')
      return { status: 422, body: { message: 'Validation Failed' } };
    const extra = Object.keys(body).find(
      (k) => !['title', 'body', 'labels', 'assignees', 'milestone'].includes(k),
    );
    if (extra !== undefined) return { status: 422, body: { message: `${extra} is not a permitted key.` } };
    const issue: FakeIssue = {
      number: this.issues.length + 1,
      title: body.title,
      body: typeof body.body === 'string' ? body.body : '',
      labels: Array.isArray(body.labels) ? body.labels.map(String) : [],
      state: 'open',
      comments: [],
    };
    this.issues.push(issue);
    return {
      status: 201,
      body: {
        number: issue.number,
        html_url: `https://github.com/${this.o.owner}/${this.o.repo}/issues/${issue.number}`,
      },
    };
  }

  private comment(n: number, r: FakeRequest): FakeResponse {
    const issue = this.issues.find((i) => i.number === n);
    const body = jsonBody(r) as Record<string, unknown> | undefined;
    if (issue === undefined) return { status: 404, body: { message: 'Not Found' } };
    if (typeof body?.body !== 'string' || body.body === '')
      return { status: 422, body: { message: 'Validation Failed' } };
    issue.comments.push(body.body);
    return {
      status: 201,
      body: {
        id: issue.comments.length,
        html_url: `https://github.com/${this.o.owner}/${this.o.repo}/issues/${n}#issuecomment-${issue.comments.length}`,
      },
    };
  }

  private patchIssue(n: number, r: FakeRequest): FakeResponse {
    const issue = this.issues.find((i) => i.number === n);
    const body = jsonBody(r) as Record<string, unknown> | undefined;
    if (issue === undefined) return { status: 404, body: { message: 'Not Found' } };
    if (body?.state !== 'open' && body?.state !== 'closed')
      return { status: 422, body: { message: 'Validation Failed' } };
    issue.state = body.state;
    return { status: 200, body: { number: n, state: issue.state } };
  }

  private createPull(r: FakeRequest): FakeResponse {
    const body = jsonBody(r) as Record<string, unknown> | undefined;
    if (typeof body?.title !== 'string' || typeof body.head !== 'string' || typeof body.base !== 'string') {
      return { status: 422, body: { message: 'Validation Failed' } };
    }
    if (this.o.pullMode === 'refuse')
      return { status: 403, body: { message: 'Resource not accessible by integration' } };
    const allowed = ['title', 'head', 'base', 'body', 'maintainer_can_modify', 'draft'];
    const extra = Object.keys(body).find((k) => !allowed.includes(k));
    if (extra !== undefined) return { status: 422, body: { message: `${extra} is not a permitted key.` } };
    const { head, base } = body;
    if (this.o.branchExists !== undefined && (!this.o.branchExists(head) || !this.o.branchExists(base))) {
      return {
        status: 422,
        body: {
          message: 'Validation Failed',
          errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }],
        },
      };
    }
    if (this.pulls.some((p) => p.head === head && p.base === base)) {
      return {
        status: 422,
        body: {
          message: 'Validation Failed',
          errors: [{ message: `A pull request already exists for ${this.o.owner}:${head}.` }],
        },
      };
    }
    const pull: FakeGithub['pulls'][number] = {
      number: 100 + this.pulls.length + 1,
      title: body.title,
      head,
      base,
      body: typeof body.body === 'string' ? body.body : '',
      autoMerge: false,
    };
    this.pulls.push(pull);
    return {
      status: 201,
      body: {
        number: pull.number,
        node_id: `PR_node_${pull.number}`,
        html_url: `https://github.com/${this.o.owner}/${this.o.repo}/pull/${pull.number}`,
      },
    };
  }

  private graphql(r: FakeRequest): FakeResponse {
    const body = jsonBody(r) as { query?: unknown; variables?: Record<string, unknown> } | undefined;
    if (typeof body?.query !== 'string') return { status: 400, body: { message: 'Problems parsing JSON' } };
    if (!body.query.includes('enablePullRequestAutoMerge'))
      return { status: 200, body: { errors: [{ message: 'unsupported by the fake' }] } };
    const id = body.variables?.pullRequestId;
    const pull = this.pulls.find((p) => `PR_node_${p.number}` === id);
    if (pull === undefined)
      return {
        status: 200,
        body: { errors: [{ type: 'NOT_FOUND', message: 'Could not resolve to a node' }] },
      };
    if (this.o.pullMode === 'no-auto-merge') {
      return {
        status: 200,
        body: {
          data: { enablePullRequestAutoMerge: null },
          errors: [
            { type: 'UNPROCESSABLE', message: 'Pull request Auto merge is not allowed for this repository' },
          ],
        },
      };
    }
    pull.autoMerge = true;
    pull.mergeMethod = String(body.variables?.mergeMethod);
    return {
      status: 200,
      body: {
        data: {
          enablePullRequestAutoMerge: {
            pullRequest: { number: pull.number, autoMergeRequest: { enabledAt: new Date().toISOString() } },
          },
        },
      },
    };
  }
}

/** The second origin a 302 points to (a signed blob URL): it must never receive a token. */
export class FakeBlobStore {
  readonly requests: FakeRequest[] = [];
  constructor(private readonly blobs: Readonly<Record<string, Uint8Array>>) {}
  readonly handler: FakeHandler = (r) => {
    this.requests.push(r);
    if (r.headers.authorization !== undefined)
      return { status: 400, body: 'authorization header must not be forwarded to the blob store' };
    if (r.method !== 'GET' || r.query.get('sig') !== 'signed-url-part')
      return { status: 403, body: 'AuthenticationFailed' };
    const blob = this.blobs[r.path];
    return blob === undefined
      ? { status: 404, body: 'BlobNotFound' }
      : { status: 200, headers: { 'content-type': 'application/zip' }, body: blob };
  };
}

/** A zip archive (deflate) of the given files, as GitHub serves artifacts. */
export function makeZip(files: Readonly<Record<string, string | Uint8Array>>): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    const packed = deflateRawSync(data);
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    locals.push(local, nameBytes, packed);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
