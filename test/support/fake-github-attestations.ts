// A stand-in for GitHub's attestations API on 127.0.0.1, enforcing its documented behaviour:
// - GET /repos/{owner}/{repo}/attestations/{subject_digest} (docs.github.com/rest/repos/repos#list-attestations)
//   and GET /orgs/{org}/attestations/{subject_digest} (docs.github.com/rest/orgs/orgs#list-attestations):
//   `subject_digest` in the form `sha256:HEX_DIGEST` (the page's form; also `sha512:HEX`, what gh
//   sends with `--digest-alg sha512`; else 422 "Validation Failed"); owner and repo
//   names are not case sensitive; `per_page` at most 100 (default 30); `before`/`after` cursors,
//   the next page named by `Link: <…>; rel="next"` (docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api);
//   a repository the caller cannot read is 404, as one without attestations; a renamed or
//   transferred repository answers 301 to `/repositories/{id}/…`
//   (docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api, "Follow redirects"); `predicate_type` keeps
//   the attestations of that predicate type (gh sends it: cli/cli pkg/cmd/attestation/api/client.go,
//   FetchParams.PredicateType), matched here on the full URI;
// - items `{bundle, repository_id, bundle_url}`: with `bundleUrls` the bundle is not inline
//   (`bundle: null`) and `bundle_url` is a signed, short-lived URL serving the bundle compressed with
//   raw snappy (what gh's api/client.go reads); an unsigned or expired URL is 403, and the URL is
//   refused when a GitHub token is sent to it (a blob store is another host);
// - a bad token is 401 "Bad credentials"; rate limits (docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api,
//   "Exceeding the rate limit"): the primary limit is "a 403 or 429 response, and the
//   x-ratelimit-remaining header will be 0" (with `x-ratelimit-reset`); a secondary limit is "a 403
//   or 429 response and an error message that indicates that you exceeded a secondary rate limit",
//   `retry-after` only sometimes ("otherwise, wait for at least one minute"). `rateLimit` picks one
//   of those answers; `rateLimitPages` answers it only after that many pages were served.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compress } from 'snappyjs';

export interface StoredAttestation {
  readonly owner: string;
  readonly repo: string;
  readonly repositoryId: number;
  /** `sha256:HEX` the attestation is listed under */
  readonly digest: string;
  readonly bundle: unknown;
}

export interface FakeGithubAttestationsOptions {
  readonly attestations: readonly StoredAttestation[];
  /** serve bundles by `bundle_url` (snappy) instead of inline */
  readonly bundleUrls?: boolean;
  /** the token that is valid; requests without one are anonymous (public data) */
  readonly token?: string;
  /** repositories only the token may read (`owner/repo`) */
  readonly privateRepos?: readonly string[];
  readonly rateLimit?: RateLimitAnswer;
  /** renamed repositories: `old-owner/old-name` -> `owner/name` (answered with a 301) */
  readonly renamed?: Readonly<Record<string, string>>;
  /** answer every api request with a 307 to this base url (another origin) */
  readonly redirectTo?: string;
  /** at most this many items a page whatever `per_page` asks (the client must follow `Link`) */
  readonly pageSize?: number;
  /** pages served before the rate limit answers (default 0: the first request is limited) */
  readonly rateLimitAfter?: number;
}

/** The documented ways GitHub answers a request over a rate limit. */
export type RateLimitAnswer =
  | 'primary' // 403, x-ratelimit-remaining: 0, x-ratelimit-reset
  | 'primary-429' // 429, x-ratelimit-remaining: 0, x-ratelimit-reset
  | 'secondary' // 429 with retry-after
  | 'secondary-403' // 403 with retry-after
  | 'secondary-403-bare'; // 403, the message only (no retry-after, remaining not 0)

export interface FakeGithubAttestations {
  readonly url: string;
  /** every request: method, path and query, and whether it carried a token */
  readonly requests: { path: string; authorized: boolean }[];
  close(): Promise<void>;
}

const DIGEST = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

export async function startFakeGithubAttestations(
  options: FakeGithubAttestationsOptions,
): Promise<FakeGithubAttestations> {
  const requests: { path: string; authorized: boolean }[] = [];
  const blobs = new Map<string, Buffer>();
  let blobCounter = 0;
  let pagesServed = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const auth = req.headers.authorization;
    requests.push({ path: `${url.pathname}${url.search}`, authorized: auth !== undefined });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };

    if (url.pathname.startsWith('/blobs/')) {
      if (auth !== undefined) return json(400, { message: 'a signed url takes no authorization header' });
      const blob = blobs.get(url.pathname);
      const expires = Number(url.searchParams.get('se') ?? '0');
      if (blob === undefined || url.searchParams.get('sig') !== 'signed' || expires < Date.now()) {
        return json(403, { message: 'Server failed to authenticate the request' });
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void res.end(blob);
    }

    const limited = options.rateLimit;
    if (limited !== undefined && (pagesServed += 1) > (options.rateLimitAfter ?? 0)) {
      const primary = {
        'x-ratelimit-limit': '60',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      };
      const secondary = {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      };
      switch (limited) {
        case 'primary':
          return json(403, { message: 'API rate limit exceeded' }, primary);
        case 'primary-429':
          return json(429, { message: 'API rate limit exceeded' }, primary);
        case 'secondary':
          return json(429, secondary, { 'retry-after': '60' });
        case 'secondary-403':
          return json(403, secondary, { 'retry-after': '60' });
        case 'secondary-403-bare':
          return json(403, secondary, { 'x-ratelimit-remaining': '4321' });
      }
    }
    let authorized = false;
    if (auth !== undefined) {
      if (options.token === undefined || auth !== `Bearer ${options.token}`)
        return json(401, { message: 'Bad credentials' });
      authorized = true;
    }
    if (options.redirectTo !== undefined) {
      res.writeHead(307, { location: `${options.redirectTo}${url.pathname}${url.search}` });
      return void res.end();
    }
    // a renamed repository: 301 to /repositories/{id}/…, which answers for the repository it is now
    const renamedId = /^\/repos\/([^/]+\/[^/]+)\//.exec(url.pathname)?.[1]?.toLowerCase();
    const renamedTo = renamedId === undefined ? undefined : options.renamed?.[renamedId];
    if (renamedTo !== undefined) {
      const id = options.attestations.find(
        (a) => `${a.owner}/${a.repo}`.toLowerCase() === renamedTo.toLowerCase(),
      )?.repositoryId;
      const rest = url.pathname.replace(/^\/repos\/[^/]+\/[^/]+/, '');
      const port = (server.address() as AddressInfo).port;
      res.writeHead(301, {
        location: `http://127.0.0.1:${port}/repositories/${id ?? 0}${rest}${url.search}`,
      });
      return void res.end(JSON.stringify({ message: 'Moved Permanently' }));
    }
    const byId = /^\/repositories\/(\d+)(\/.*)$/.exec(url.pathname);
    const current =
      byId === null ? undefined : options.attestations.find((a) => a.repositoryId === Number(byId[1]));
    const path =
      current === undefined ? url.pathname : `/repos/${current.owner}/${current.repo}${byId?.[2] ?? ''}`;
    const m = /^\/(?:repos\/([^/]+)\/([^/]+)|orgs\/([^/]+))\/attestations\/([^/]+)$/.exec(path);
    if (m === null || req.method !== 'GET') return json(404, { message: 'Not Found' });
    const [, owner, repo, org, rawDigest] = m;
    const digest = decodeURIComponent(rawDigest ?? '');
    if (!DIGEST.test(digest)) {
      return json(422, {
        message: 'Validation Failed',
        errors: [{ field: 'subject_digest', code: 'invalid' }],
      });
    }
    const scopeOwner = (owner ?? org ?? '').toLowerCase();
    const scopeRepo = repo?.toLowerCase();
    const readable = (a: StoredAttestation): boolean =>
      authorized ||
      !(options.privateRepos ?? []).some((p) => p.toLowerCase() === `${a.owner}/${a.repo}`.toLowerCase());
    if (
      scopeRepo !== undefined &&
      !(
        authorized ||
        !(options.privateRepos ?? []).some((p) => p.toLowerCase() === `${scopeOwner}/${scopeRepo}`)
      )
    ) {
      return json(404, { message: 'Not Found' });
    }
    const listed = options.attestations.filter(
      (a) =>
        a.digest === digest &&
        a.owner.toLowerCase() === scopeOwner &&
        (scopeRepo === undefined || a.repo.toLowerCase() === scopeRepo) &&
        readable(a),
    );
    const predicateType = url.searchParams.get('predicate_type');
    const all = listed.filter((a) => predicateType === null || predicateTypeOf(a.bundle) === predicateType);
    if (all.length === 0) return json(404, { message: 'Not Found' });
    const perPage = Math.min(
      Math.max(Number(url.searchParams.get('per_page') ?? '30') || 30, 1),
      100,
      options.pageSize ?? 100,
    );
    const after = Number(url.searchParams.get('after') ?? '0') || 0;
    const page = all.slice(after, after + perPage);
    const next = after + perPage < all.length ? after + perPage : undefined;
    const headers: Record<string, string> = {};
    if (next !== undefined) {
      const n = new URL(url.toString());
      n.searchParams.set('after', String(next));
      headers.link = `<http://127.0.0.1:${(server.address() as AddressInfo).port}${n.pathname}${n.search}>; rel="next"`;
    }
    json(
      200,
      {
        attestations: page.map((a) => {
          if (options.bundleUrls !== true) return { bundle: a.bundle, repository_id: a.repositoryId };
          const path = `/blobs/${(blobCounter += 1)}`;
          blobs.set(path, compress(Buffer.from(JSON.stringify(a.bundle))));
          const port = (server.address() as AddressInfo).port;
          return {
            bundle: null,
            repository_id: a.repositoryId,
            bundle_url: `http://127.0.0.1:${port}${path}?sig=signed&se=${Date.now() + 60_000}`,
          };
        }),
      },
      headers,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The predicate type of a bundle's DSSE statement (what the API indexes attestations by). */
function predicateTypeOf(bundle: unknown): string | undefined {
  const payload = (bundle as { dsseEnvelope?: { payload?: unknown } } | null)?.dsseEnvelope?.payload;
  if (typeof payload !== 'string') return undefined;
  try {
    const statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as {
      predicateType?: unknown;
    };
    return typeof statement.predicateType === 'string' ? statement.predicateType : undefined;
  } catch {
    return undefined;
  }
}
