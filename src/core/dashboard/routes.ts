import { SlsaLedgerError, type ErrorCode } from '../../errors.js';
import { checkTagText, parseRunId } from './query.js';

// The dashboard's routes, decided purely from the method and the raw (still percent-encoded) path.

/** Static files the page needs; the only files the server ever sends. */
export const staticAssets = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/vendor/uPlot.iife.min.js': { file: 'vendor:uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  '/vendor/uPlot.min.css': { file: 'vendor:uPlot.min.css', type: 'text/css; charset=utf-8' },
} as const;
export type AssetPath = keyof typeof staticAssets;

export type Route =
  | { readonly kind: 'health' }
  | { readonly kind: 'kpi' }
  | { readonly kind: 'manifests' }
  | { readonly kind: 'runs' }
  | { readonly kind: 'run'; readonly tag: string; readonly runId: number }
  | { readonly kind: 'asset'; readonly path: AssetPath };

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch (error) {
    throw new SlsaLedgerError('DASHBOARD_PATH_INVALID', 'the path has malformed percent-encoding', {
      cause: error,
    });
  }
}

/**
 * Matches a request. Throws DASHBOARD_METHOD_NOT_ALLOWED for anything but GET and HEAD (the API is
 * read-only), DASHBOARD_NOT_FOUND for unknown paths. In `/api/runs/:tag/:run_id` the tag is
 * URL-encoded; as tags may contain `/`, an unencoded tag also works: every segment between
 * `/api/runs/` and the last one is the tag.
 */
export function matchRoute(method: string, rawPath: string): Route {
  if (method !== 'GET' && method !== 'HEAD') {
    throw new SlsaLedgerError(
      'DASHBOARD_METHOD_NOT_ALLOWED',
      `method ${method.slice(0, 20)} is not allowed: the API is read-only`,
      {
        details: { allow: ['GET', 'HEAD'] },
      },
    );
  }
  if (Object.hasOwn(staticAssets, rawPath)) return { kind: 'asset', path: rawPath as AssetPath };
  if (rawPath === '/healthz') return { kind: 'health' };
  if (rawPath === '/api/kpi') return { kind: 'kpi' };
  if (rawPath === '/api/manifests') return { kind: 'manifests' };
  if (rawPath === '/api/runs' || rawPath === '/api/runs/') return { kind: 'runs' };
  if (rawPath.startsWith('/api/runs/')) {
    const segments = rawPath.slice('/api/runs/'.length).split('/');
    if (segments.length >= 2 && segments.every((s) => s !== '')) {
      const runId = parseRunId(decodeSegment(segments[segments.length - 1] ?? ''));
      const tag = checkTagText('tag', segments.slice(0, -1).map(decodeSegment).join('/'));
      return { kind: 'run', tag, runId };
    }
  }
  throw new SlsaLedgerError('DASHBOARD_NOT_FOUND', `no such path: ${rawPath.slice(0, 100)}`);
}

/** The HTTP status for an error code met while answering a request. */
const statusByCode: Partial<Record<ErrorCode, number>> = {
  DASHBOARD_NOT_FOUND: 404,
  DASHBOARD_RUN_NOT_FOUND: 404,
  DASHBOARD_METHOD_NOT_ALLOWED: 405,
  DASHBOARD_HOST_REFUSED: 421,
  DASHBOARD_CROSS_SITE_REFUSED: 403,
  DASHBOARD_PARAM_INVALID: 400,
  DASHBOARD_PARAM_UNKNOWN: 400,
  DASHBOARD_PATH_INVALID: 400,
  DASHBOARD_BODY_REFUSED: 413,
  DASHBOARD_RATE_LIMITED: 429,
  DASHBOARD_TOO_MANY_CONNECTIONS: 503,
};

export function httpStatusOf(code: ErrorCode): number {
  // every database failure is 'database unavailable' to a client, whatever the driver said
  return statusByCode[code] ?? (code.startsWith('DB_') ? 503 : 500);
}

/**
 * True for a loopback address or name, in any case (`LOCALHOST` listens where `localhost` does).
 * `serve` decides with it both whether `--host` needs `--allow-remote` and whether the Host check
 * applies: with two predicates, `--host LOCALHOST` passed as loopback and turned the check off.
 */
export function isLoopbackName(host: string): boolean {
  return /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|\[::1\])$/i.test(host);
}

/** An IPv4 or IPv6 literal (IPv6 with or without brackets). */
function isIpLiteral(name: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return name.split('.').every((o) => Number(o) <= 255);
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  return bare.includes(':') && /^[0-9a-f:.]+$/i.test(bare);
}

/**
 * The host name of a `Host` header, lower case, without its port or a trailing dot; '' (refused)
 * when the header is not `host [":" port]` (RFC 9110 §7.2, RFC 3986 §3.2.2): a bracketed IPv6
 * literal or a name without `:`, `[` or `]`, then at most a port of digits. Read loosely,
 * `[::1]evil` was the loopback name `[::1]` and `evil:80:x` the name `evil`.
 */
export function hostNameOf(hostHeader: string): string {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^[\]:]*)(?::\d{0,5})?$/.exec(hostHeader);
  if (m === null) return '';
  return (m[1] ?? '').toLowerCase().replace(/\.$/, '');
}

/**
 * A `--allowed-host` value: a DNS name or an IP address, without scheme, port or path, normalised
 * to lower case. Throws USAGE_INVALID_FLAG otherwise.
 */
export function parseAllowedHost(raw: string): string {
  const name = raw.trim().toLowerCase().replace(/\.$/, '');
  const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
  const dns = new RegExp(`^${label}(?:\\.${label})*$`);
  if (name.length > 253 || !(dns.test(name) || isIpLiteral(name))) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `--allowed-host takes a host name such as dashboard.example.com (no scheme, port or path), got '${raw.slice(0, 100)}'`,
      { details: { flag: 'allowed-host', value: raw.slice(0, 100) } },
    );
  }
  return name;
}

/**
 * Host-header check against DNS rebinding: a web page on another origin that re-points its own name
 * at the server's address sends its own name as `Host`. Answered: loopback names, the names given
 * with `--allowed-host` (any case, any port) and, on a server bound beyond loopback, IP literals
 * (a page whose origin is an IP address is the server's own origin: an address cannot be rebound).
 * Every other name is refused, on loopback and beyond: before, a server bound to 0.0.0.0 answered
 * any Host, so a rebinding page read its API through the browser of anyone who could reach it. A
 * request without `Host` (HTTP/1.0; browsers always send one) is answered beyond loopback only.
 */
export function isHostAllowed(
  boundHost: string,
  hostHeader: string | undefined,
  allowedHosts: readonly string[] = [],
): boolean {
  const loopbackBind = isLoopbackName(boundHost);
  if (hostHeader === undefined) return !loopbackBind;
  const name = hostNameOf(hostHeader);
  if (name === '') return false;
  if (isLoopbackName(name) || allowedHosts.includes(name)) return true;
  return !loopbackBind && isIpLiteral(name);
}

/**
 * Fetch Metadata resource isolation (W3C "Fetch Metadata Request Headers"): a browser says in
 * `Sec-Fetch-Site` whose page made a request. The page only ever calls its own origin, so a request
 * another site's (or another port's) page made is refused: CORS already keeps its answer from that
 * page, but the request still ran, and a page open in the operator's browser could send thousands of
 * the costliest queries to a loopback server whose Host check it passes. A top-level navigation (a
 * link to the dashboard, `Sec-Fetch-Mode: navigate` with `Sec-Fetch-Dest: document`) is let through,
 * and so is a client that sends no such header (curl, scripts, older browsers).
 */
export function isFetchSiteAllowed(headers: Readonly<Record<string, string | undefined>>): boolean {
  const site = headers['sec-fetch-site'];
  if (site === undefined || site === 'same-origin' || site === 'none') return true;
  return headers['sec-fetch-mode'] === 'navigate' && headers['sec-fetch-dest'] === 'document';
}
