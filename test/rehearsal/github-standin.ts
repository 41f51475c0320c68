// A local GitHub for the rehearsal: the REST endpoints the shipped workflows and `gh` call, with
// GitHub's documented refusals (each cited where it is enforced). Plain node:http on 127.0.0.1:0.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Level = 'read' | 'write';

export interface TokenInfo {
  /** who the token acts as: GITHUB_TOKEN (github-actions[bot]), a GitHub App installation, a PAT */
  readonly kind: 'github-actions' | 'app' | 'pat';
  readonly login: string;
  /** the token's permissions (GITHUB_TOKEN: the job's `permissions:`) */
  readonly permissions: Readonly<Record<string, Level>>;
  /** a PAT's expiry; after it the API answers 401 Bad credentials */
  readonly expiresAt?: Date;
  readonly runId?: number;
  /** a repository admin (a ruleset may list the admin role as a bypass actor) */
  readonly admin?: boolean;
}

export interface ReleaseAsset {
  readonly id: number;
  readonly name: string;
  readonly bytes: Buffer;
}

export interface Release {
  readonly id: number;
  readonly tag_name: string;
  name: string;
  draft: boolean;
  /** published while the repository had immutable releases on */
  immutable: boolean;
  readonly assets: ReleaseAsset[];
}

export interface Issue {
  readonly number: number;
  readonly title: string;
  readonly body: string;
  readonly labels: string[];
  state: 'open' | 'closed';
  readonly comments: string[];
}

export interface Ruleset {
  /** refs/heads/… patterns (exact names or a trailing `*`) */
  readonly branches: readonly string[];
  /** App logins allowed through (a bypass actor); github-actions[bot] can never be one */
  readonly bypassApps: readonly string[];
  /** the Repository admin role is a bypass actor (default true) */
  readonly bypassAdmins?: boolean;
  /**
   * The ruleset's rules (https://docs.github.com/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/available-rules-for-rulesets):
   * `update` (only bypass actors may push; "Changes must be made through a pull request"),
   * `non_fast_forward` ("Block force pushes"), `required_linear_history` ("Require linear
   * history": no merge commits), `deletion` ("Restrict deletions"). Default: `update`.
   */
  readonly rules?: readonly RuleType[];
}

export type RuleType = 'update' | 'non_fast_forward' | 'required_linear_history' | 'deletion';

/** One ref of a push, as the pre-receive hook saw it. */
export interface PushUpdate {
  readonly ref: string;
  readonly deletion: boolean;
  readonly nonFastForward: boolean;
  readonly mergeCommits: boolean;
}

export interface DispatchRequest {
  readonly workflow: string;
  readonly ref: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly token: TokenInfo;
}

export interface RepoSettings {
  readonly owner: string;
  readonly name: string;
  readonly private: boolean;
  readonly defaultBranch: string;
  readonly immutableReleases: boolean;
  rulesets: Ruleset[];
  /** the workflow files on the default branch */
  workflows: string[];
  /** tags that exist in the repository (for `--verify-tag`) */
  readonly tagExists: (tag: string) => boolean;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  body,
  headers,
});

/** The message GitHub answers for a permission the token lacks (REST: "Resource not accessible by integration"). */
const forbidden = (): Reply => json(403, { message: 'Resource not accessible by integration' });

export class GithubStandin {
  readonly tokens = new Map<string, TokenInfo>();
  readonly releases: Release[] = [];
  readonly issues: Issue[] = [];
  readonly pulls: { number: number; head: string; base: string; byToken: TokenInfo['kind'] }[] = [];
  /** every refusal answered, for the report: `METHOD path: status message` */
  readonly refusals: string[] = [];
  readonly requests: string[] = [];
  /** pushes the pre-receive hook refused, with GitHub's message */
  readonly pushRefusals: string[] = [];
  private nextId = 1;
  private nextRunId = 70_000_001;
  private server: Server | undefined;
  url = '';

  constructor(
    readonly repo: RepoSettings,
    /** called for a workflow_dispatch GitHub accepts; returns the new run's id */
    private readonly onDispatch: (request: DispatchRequest, runId: number) => void,
  ) {}

  get fullName(): string {
    return `${this.repo.owner}/${this.repo.name}`;
  }

  /** Mints a token for a run's job or an outside actor. */
  issueToken(info: TokenInfo): string {
    const token = `ghs_rehearsal_${this.nextId++}_${Math.random().toString(36).slice(2, 12)}`;
    this.tokens.set(token, info);
    return token;
  }

  allocateRunId(): number {
    return this.nextRunId++;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  /**
   * Decides a git push (called by the bare repository's pre-receive hook). Documented behaviour:
   * - without credentials, or a token without `contents: write`, the push is refused;
   * - a branch under a ruleset refuses every actor that is not a bypass actor, and
   *   github-actions[bot] cannot be one ("must be part of the ruleset source or owner
   *   organization": https://docs.github.com/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/creating-rulesets-for-a-repository#granting-bypass-permissions-for-your-ruleset);
   * - a ruleset of history rules only (block force pushes, require linear history, restrict
   *   deletions) lets fast-forward pushes of linear commits through and refuses a force-push, a push
   *   bringing merge commits, or a deletion, with GitHub's GH013 lines for each.
   */
  decidePush(
    token: string | undefined,
    refs: readonly string[],
    updates: readonly PushUpdate[] = refs.map((ref) => ({
      ref,
      deletion: false,
      nonFastForward: false,
      mergeCommits: false,
    })),
  ): { ok: true } | { ok: false; message: string } {
    const info = token === undefined ? undefined : this.tokens.get(token);
    if (info === undefined || (info.expiresAt !== undefined && info.expiresAt.getTime() < Date.now())) {
      return {
        ok: false,
        message:
          'remote: Invalid username or token. Password authentication is not supported for Git operations.',
      };
    }
    if (info.permissions.contents !== 'write') {
      return { ok: false, message: `remote: Permission to ${this.fullName}.git denied to ${info.login}.` };
    }
    for (const u of updates) {
      if (!u.ref.startsWith('refs/heads/')) continue;
      const branch = u.ref.replace(/^refs\/heads\//, '');
      // every ruleset that targets the branch applies (rulesets layer)
      const violations: string[] = [];
      for (const rule of this.repo.rulesets.filter((r) => r.branches.some((p) => matchBranch(p, branch)))) {
        const bypass =
          (info.kind === 'app' && rule.bypassApps.includes(info.login)) ||
          (info.admin === true && rule.bypassAdmins !== false);
        if (bypass) continue;
        const rules = rule.rules ?? ['update'];
        if (rules.includes('deletion') && u.deletion) violations.push('Cannot delete this branch');
        if (rules.includes('non_fast_forward') && u.nonFastForward)
          violations.push('Cannot force-push to this branch');
        if (rules.includes('required_linear_history') && u.mergeCommits)
          violations.push('This branch must not contain merge commits.');
        if (rules.includes('update')) violations.push('Changes must be made through a pull request.');
      }
      if (violations.length > 0) {
        return {
          ok: false,
          message: `remote: error: GH013: Repository rule violations found for ${u.ref}.\n${[...new Set(violations)].map((v) => `remote: - ${v}`).join('\n')}`,
        };
      }
    }
    return { ok: true };
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let reply: Reply;
    try {
      reply = this.route(req.method ?? 'GET', url, req.headers, body);
    } catch (error) {
      reply = json(500, { message: `stand-in error: ${(error as Error).message}` });
    }
    this.requests.push(`${req.method ?? ''} ${url.pathname} ${reply.status}`);
    if (reply.status >= 400) {
      const message = (reply.body as { message?: string } | undefined)?.message ?? '';
      this.refusals.push(`${req.method ?? ''} ${url.pathname}: ${reply.status} ${message}`);
    }
    const isBytes = Buffer.isBuffer(reply.body);
    res.writeHead(reply.status, {
      'content-type': isBytes ? 'application/octet-stream' : 'application/json; charset=utf-8',
      ...reply.headers,
    });
    res.end(isBytes ? reply.body : reply.body === undefined ? '' : JSON.stringify(reply.body));
  }

  private route(method: string, url: URL, headers: IncomingMessage['headers'], body: Buffer): Reply {
    const p = url.pathname;
    if (p === '/__rehearsal/push' && method === 'POST') {
      const { token, refs, updates } = JSON.parse(body.toString('utf8')) as {
        token?: string;
        refs: string[];
        updates?: PushUpdate[];
      };
      const decision = this.decidePush(token || undefined, refs, updates);
      if (!decision.ok) this.pushRefusals.push(`${refs.join(',')}: ${decision.message}`);
      return json(200, decision);
    }
    const auth = /^(?:token|Bearer) (.+)$/i.exec(String(headers.authorization ?? ''))?.[1];
    const info = auth === undefined ? undefined : this.tokens.get(auth);
    // https://docs.github.com/rest/authentication/authenticating-to-the-rest-api: a bad or
    // expired token is 401 "Bad credentials", never an anonymous answer
    if (
      auth !== undefined &&
      (info === undefined || (info.expiresAt !== undefined && info.expiresAt.getTime() < Date.now()))
    ) {
      return json(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    const expiry: Record<string, string> =
      info?.expiresAt === undefined
        ? {}
        : {
            'github-authentication-token-expiration': info.expiresAt
              .toISOString()
              .replace('T', ' ')
              .replace(/\.\d+Z$/, ' UTC'),
          };
    const can = (scope: string, level: Level): boolean =>
      info !== undefined && (info.permissions[scope] === 'write' || info.permissions[scope] === level);
    // a private repository is invisible without a token that can read it
    if (this.repo.private && info === undefined) return json(404, { message: 'Not Found' });
    const prefix = `/repos/${this.fullName}`;
    if (!p.startsWith(prefix)) return json(404, { message: 'Not Found' });
    const rest = p.slice(prefix.length);
    const out = (r: Reply): Reply => ({ ...r, headers: { ...expiry, ...r.headers } });
    let m: RegExpExecArray | null;

    if (rest === '' && method === 'GET') {
      return out(
        json(200, {
          full_name: this.fullName,
          private: this.repo.private,
          visibility: this.repo.private ? 'private' : 'public',
          default_branch: this.repo.defaultBranch,
        }),
      );
    }

    // releases: https://docs.github.com/rest/releases/releases
    if (rest === '/releases' && method === 'GET') {
      if (!can('contents', 'read') && this.repo.private) return out(forbidden());
      // "Only users with push access will receive listings for draft releases."
      const list = this.releases.filter((r) => !r.draft || can('contents', 'write'));
      return out(
        json(
          200,
          list.map((r) => this.releaseJson(r)),
        ),
      );
    }
    if ((m = /^\/releases\/tags\/(.+)$/.exec(rest)) && method === 'GET') {
      // "Get a release by tag name" never returns a draft
      const r = this.releases.find((x) => x.tag_name === decodeURIComponent(m![1]!) && !x.draft);
      return out(r === undefined ? json(404, { message: 'Not Found' }) : json(200, this.releaseJson(r)));
    }
    if (rest === '/releases' && method === 'POST') {
      if (!can('contents', 'write')) return out(forbidden());
      const b = JSON.parse(body.toString('utf8')) as { tag_name?: string; name?: string; draft?: boolean };
      if (typeof b.tag_name !== 'string') return out(json(422, { message: 'Validation Failed' }));
      if (this.releases.some((r) => r.tag_name === b.tag_name)) {
        return out(
          json(422, {
            message: 'Validation Failed',
            errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
          }),
        );
      }
      const release: Release = {
        id: this.nextId++,
        tag_name: b.tag_name,
        name: b.name ?? b.tag_name,
        draft: b.draft === true,
        immutable: b.draft !== true && this.repo.immutableReleases,
        assets: [],
      };
      this.releases.push(release);
      return out(json(201, this.releaseJson(release)));
    }
    if ((m = /^\/releases\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      if (!can('contents', 'write')) return out(forbidden());
      const r = this.releases.find((x) => x.id === Number(m![1]));
      if (r === undefined) return out(json(404, { message: 'Not Found' }));
      const b = JSON.parse(body.toString('utf8')) as { draft?: boolean; name?: string };
      if (b.draft === true && !r.draft) {
        return out(
          json(422, { message: 'Validation Failed: a published release cannot become a draft again' }),
        );
      }
      if (r.immutable && b.name !== undefined && b.name !== r.name) {
        return out(json(422, { message: 'Cannot modify an immutable release' }));
      }
      if (b.draft === false && r.draft) {
        r.draft = false;
        // https://docs.github.com/code-security/supply-chain-security/understanding-your-software-supply-chain/immutable-releases:
        // once published, its assets and tag are locked
        r.immutable = this.repo.immutableReleases;
      }
      if (b.name !== undefined) r.name = b.name;
      return out(json(200, this.releaseJson(r)));
    }
    if ((m = /^\/releases\/(\d+)\/assets$/.exec(rest)) && method === 'POST') {
      // uploads (uploads.github.com in production; the same host here)
      if (!can('contents', 'write')) return out(forbidden());
      const r = this.releases.find((x) => x.id === Number(m![1]));
      if (r === undefined) return out(json(404, { message: 'Not Found' }));
      if (r.immutable) {
        // immutable releases: "assets cannot be added, modified or deleted" after publication
        return out(json(422, { message: 'Cannot upload assets to an immutable release.' }));
      }
      const name = url.searchParams.get('name') ?? '';
      if (name === '' || r.assets.some((a) => a.name === name)) {
        return out(
          json(422, {
            message: 'Validation Failed',
            errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }],
          }),
        );
      }
      const asset = { id: this.nextId++, name, bytes: Buffer.from(body) };
      r.assets.push(asset);
      return out(json(201, this.assetJson(asset)));
    }
    if ((m = /^\/releases\/assets\/(\d+)$/.exec(rest))) {
      const id = Number(m[1]);
      const r = this.releases.find((x) => x.assets.some((a) => a.id === id));
      const asset = r?.assets.find((a) => a.id === id);
      if (r === undefined || asset === undefined || (r.draft && !can('contents', 'write'))) {
        return out(json(404, { message: 'Not Found' }));
      }
      if (method === 'DELETE') {
        if (!can('contents', 'write')) return out(forbidden());
        if (r.immutable) return out(json(422, { message: 'Cannot delete assets of an immutable release.' }));
        r.assets.splice(r.assets.indexOf(asset), 1);
        return out({ status: 204 });
      }
      if (method === 'GET') {
        if (this.repo.private && !can('contents', 'read')) return out(json(404, { message: 'Not Found' }));
        return String(headers.accept ?? '').includes('application/octet-stream')
          ? out({ status: 200, body: asset.bytes })
          : out(json(200, this.assetJson(asset)));
      }
    }

    if ((m = /^\/git\/ref\/tags\/(.+)$/.exec(rest)) && method === 'GET') {
      const tag = decodeURIComponent(m[1]!);
      return out(
        this.repo.tagExists(tag)
          ? json(200, { ref: `refs/tags/${tag}` })
          : json(404, { message: 'Not Found' }),
      );
    }

    // workflow_dispatch: https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event
    if ((m = /^\/actions\/workflows\/([^/]+)\/dispatches$/.exec(rest)) && method === 'POST') {
      if (!can('actions', 'write')) return out(forbidden());
      const workflow = decodeURIComponent(m[1]!);
      if (!this.repo.workflows.includes(workflow)) return out(json(404, { message: 'Not Found' }));
      const b = JSON.parse(body.toString('utf8')) as {
        ref?: string;
        inputs?: Record<string, string>;
        return_run_details?: boolean;
      };
      if (typeof b.ref !== 'string')
        return out(json(422, { message: 'Invalid request.\n\n"ref" wasn\'t supplied.' }));
      const ref = b.ref.replace(/^refs\/(heads|tags)\//, '');
      if (!this.repo.tagExists(ref) && ref !== this.repo.defaultBranch) {
        return out(json(422, { message: `No ref found for: ${b.ref}` }));
      }
      const runId = this.allocateRunId();
      this.onDispatch({ workflow, ref: b.ref, inputs: b.inputs ?? {}, token: info! }, runId);
      return b.return_run_details === true
        ? out(
            json(200, {
              workflow_run_id: runId,
              run_url: `${this.url}${prefix}/actions/runs/${runId}`,
              html_url: `https://github.com/${this.fullName}/actions/runs/${runId}`,
            }),
          )
        : out({ status: 204 });
    }
    if ((m = /^\/actions\/runs\/(\d+)$/.exec(rest)) && method === 'GET') {
      return out(
        json(200, { id: Number(m[1]), run_started_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }),
      );
    }

    // issues: https://docs.github.com/rest/issues/issues (newest first, paginated, Link header)
    if (rest === '/issues' && method === 'GET') {
      if (!can('issues', 'read') && this.repo.private) return out(forbidden());
      const labels = (url.searchParams.get('labels') ?? '').split(',').filter(Boolean);
      const state = url.searchParams.get('state') ?? 'open';
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? '30') || 30);
      const page = Math.max(1, Number(url.searchParams.get('page') ?? '1') || 1);
      const list = this.issues
        .filter((i) => labels.every((l) => i.labels.includes(l)) && (state === 'all' || i.state === state))
        .sort((a, b) => b.number - a.number);
      const more = page * perPage < list.length;
      return out({
        status: 200,
        body: list.slice((page - 1) * perPage, page * perPage).map((i) => this.issueJson(i)),
        headers: more
          ? { link: `<${this.url}${prefix}/issues?page=${page + 1}&per_page=${perPage}>; rel="next"` }
          : {},
      });
    }
    if (rest === '/issues' && method === 'POST') {
      if (!can('issues', 'write')) return out(forbidden());
      const b = JSON.parse(body.toString('utf8')) as { title?: string; body?: string; labels?: string[] };
      if (typeof b.title !== 'string' || b.title === '')
        return out(json(422, { message: 'Validation Failed' }));
      const issue: Issue = {
        number: this.issues.length + this.pulls.length + 1,
        title: b.title,
        body: b.body ?? '',
        labels: b.labels ?? [],
        state: 'open',
        comments: [],
      };
      this.issues.push(issue);
      return out(json(201, this.issueJson(issue)));
    }
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest)) && method === 'POST') {
      if (!can('issues', 'write')) return out(forbidden());
      const issue = this.issues.find((i) => i.number === Number(m![1]));
      if (issue === undefined) return out(json(404, { message: 'Not Found' }));
      issue.comments.push((JSON.parse(body.toString('utf8')) as { body: string }).body);
      return out(
        json(201, {
          id: this.nextId++,
          html_url: `https://github.com/${this.fullName}/issues/${issue.number}`,
        }),
      );
    }
    if ((m = /^\/issues\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      if (!can('issues', 'write')) return out(forbidden());
      const issue = this.issues.find((i) => i.number === Number(m![1]));
      if (issue === undefined) return out(json(404, { message: 'Not Found' }));
      const b = JSON.parse(body.toString('utf8')) as { state?: 'open' | 'closed' };
      if (b.state !== undefined) issue.state = b.state;
      return out(json(200, this.issueJson(issue)));
    }

    // pull requests: https://docs.github.com/rest/pulls/pulls#create-a-pull-request. One opened
    // with GITHUB_TOKEN triggers no workflow run ("events triggered by the GITHUB_TOKEN ... will not
    // create a new workflow run": https://docs.github.com/actions/security-for-github-actions/security-guides/automatic-token-authentication#using-the-github_token-in-a-workflow)
    if (rest === '/pulls' && method === 'POST') {
      if (!can('pull-requests', 'write')) return out(forbidden());
      const b = JSON.parse(body.toString('utf8')) as { head?: string; base?: string };
      const pull = {
        number: this.issues.length + this.pulls.length + 1,
        head: b.head ?? '',
        base: b.base ?? '',
        byToken: info!.kind,
      };
      this.pulls.push(pull);
      return out(
        json(201, {
          number: pull.number,
          html_url: `https://github.com/${this.fullName}/pull/${pull.number}`,
        }),
      );
    }
    return out(json(404, { message: 'Not Found' }));
  }

  private releaseJson(r: Release): Record<string, unknown> {
    return {
      id: r.id,
      tag_name: r.tag_name,
      name: r.name,
      draft: r.draft,
      immutable: r.immutable,
      html_url: `https://github.com/${this.fullName}/releases/tag/${r.tag_name}`,
      upload_url: `${this.url}/repos/${this.fullName}/releases/${r.id}/assets{?name,label}`,
      assets: r.assets.map((a) => this.assetJson(a)),
    };
  }

  private assetJson(a: ReleaseAsset): Record<string, unknown> {
    return {
      id: a.id,
      name: a.name,
      size: a.bytes.length,
      url: `${this.url}/repos/${this.fullName}/releases/assets/${a.id}`,
    };
  }

  private issueJson(i: Issue): Record<string, unknown> {
    return {
      number: i.number,
      title: i.title,
      state: i.state,
      labels: i.labels.map((name) => ({ name })),
      html_url: `https://github.com/${this.fullName}/issues/${i.number}`,
    };
  }
}

function matchBranch(pattern: string, branch: string): boolean {
  const p = pattern.replace(/^refs\/heads\//, '');
  return p.endsWith('*') ? branch.startsWith(p.slice(0, -1)) : p === branch;
}
