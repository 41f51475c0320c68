import { describe, expect, it } from 'vitest';
import { httpStatusOf, isFetchSiteAllowed, isHostAllowed, matchRoute, parseAllowedHost } from './routes.js';

describe('matchRoute', () => {
  it.each([
    ['/', { kind: 'asset', path: '/' }],
    ['/app.js', { kind: 'asset', path: '/app.js' }],
    ['/vendor/uPlot.iife.min.js', { kind: 'asset', path: '/vendor/uPlot.iife.min.js' }],
    ['/healthz', { kind: 'health' }],
    ['/api/kpi', { kind: 'kpi' }],
    ['/api/manifests', { kind: 'manifests' }],
    ['/api/runs', { kind: 'runs' }],
    ['/api/runs/v1.2.3/42', { kind: 'run', tag: 'v1.2.3', runId: 42 }],
    ['/api/runs/release%2Fv1/7', { kind: 'run', tag: 'release/v1', runId: 7 }],
    ['/api/runs/release/v1/7', { kind: 'run', tag: 'release/v1', runId: 7 }],
    ['/api/runs/%3Cimg%3E/7', { kind: 'run', tag: '<img>', runId: 7 }],
  ])('GET %s', (path, route) => {
    expect(matchRoute('GET', path)).toEqual(route);
  });

  it('answers HEAD like GET', () => {
    expect(matchRoute('HEAD', '/healthz')).toEqual({ kind: 'health' });
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('refuses %s', (method) => {
    expect(() => matchRoute(method, '/api/runs')).toThrowCode('DASHBOARD_METHOD_NOT_ALLOWED');
  });

  it.each([
    '/nope',
    '/api',
    '/api/runs/v1',
    '/api/runs//1',
    '/../etc/passwd',
    '/app.js/',
    '/src/app/serve.ts',
  ])('404 for %s', (path) => {
    expect(() => matchRoute('GET', path)).toThrowCode('DASHBOARD_NOT_FOUND');
  });

  it('refuses malformed percent-encoding and a bad run id', () => {
    expect(() => matchRoute('GET', '/api/runs/%E0%A4%A/1')).toThrowCode('DASHBOARD_PATH_INVALID');
    expect(() => matchRoute('GET', '/api/runs/v1/abc')).toThrowCode('DASHBOARD_PARAM_INVALID');
    expect(() => matchRoute('GET', '/api/runs/v1%0A/1')).toThrowCode('DASHBOARD_PARAM_INVALID');
  });
});

describe('httpStatusOf', () => {
  it.each([
    ['DASHBOARD_NOT_FOUND', 404],
    ['DASHBOARD_RUN_NOT_FOUND', 404],
    ['DASHBOARD_METHOD_NOT_ALLOWED', 405],
    ['DASHBOARD_HOST_REFUSED', 421],
    ['DASHBOARD_CROSS_SITE_REFUSED', 403],
    ['DASHBOARD_PARAM_INVALID', 400],
    ['DASHBOARD_PARAM_UNKNOWN', 400],
    ['DASHBOARD_PATH_INVALID', 400],
    ['DB_UNAVAILABLE', 503],
    ['DB_QUERY_FAILED', 503],
    ['DB_PERMISSION_DENIED', 503],
    ['DB_QUERY_TIMEOUT', 503],
    ['DASHBOARD_RATE_LIMITED', 429],
    ['DASHBOARD_BODY_REFUSED', 413],
    ['INTERNAL', 500],
    ['DASHBOARD_ASSETS_MISSING', 500],
  ] as const)('%s -> %d', (code, status) => {
    expect(httpStatusOf(code)).toBe(status);
  });
});

describe('isHostAllowed', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1:8080', true],
    ['127.0.0.1', 'localhost:8080', true],
    ['127.0.0.1', 'LOCALHOST', true],
    ['127.0.0.1', '[::1]:8080', true],
    ['::1', '[::1]:8080', true],
    ['127.0.0.1', 'evil.example:8080', false],
    ['127.0.0.1', '127.0.0.1.evil.example', false],
    ['127.0.0.1', undefined, false],
    // `--host LOCALHOST` is loopback (no --allow-remote needed), so the check must apply to it too
    ['LOCALHOST', 'evil.example:8080', false],
    ['Localhost', 'localhost:8080', true],
    // beyond loopback: before, every Host was answered, so a DNS-rebinding page reached the API
    ['0.0.0.0', 'dash.internal:8080', false],
    ['0.0.0.0', '10.1.2.3:8080', true],
    ['0.0.0.0', '[2001:db8::1]:8080', true],
    ['0.0.0.0', 'localhost:8080', true],
    ['0.0.0.0', '10.1.2.3.evil.example', false],
    ['0.0.0.0', '999.1.2.3', false],
    ['0.0.0.0', '', false],
    ['10.1.2.3', undefined, true],
  ] as const)('bound %s, Host %s -> %s', (bound, header, allowed) => {
    expect(isHostAllowed(bound, header)).toBe(allowed);
  });

  it.each([
    ['0.0.0.0', 'dash.internal:8080', true],
    ['0.0.0.0', 'DASH.Internal.', true],
    ['0.0.0.0', 'dash.internal.evil.example', false],
    ['0.0.0.0', 'other.internal', false],
    // a loopback server behind a proxy on the same machine that keeps the public name
    ['127.0.0.1', 'dash.internal', true],
    ['127.0.0.1', 'evil.example', false],
  ] as const)('--allowed-host dash.internal: bound %s, Host %s -> %s', (bound, header, allowed) => {
    expect(isHostAllowed(bound, header, ['dash.internal'])).toBe(allowed);
  });
});

describe('parseAllowedHost', () => {
  it('takes a DNS name or an IP address, in lower case', () => {
    expect(parseAllowedHost('Dash.Internal')).toBe('dash.internal');
    expect(parseAllowedHost('dash.internal.')).toBe('dash.internal');
    expect(parseAllowedHost('10.0.0.5')).toBe('10.0.0.5');
  });
  it.each([
    '',
    '*',
    'https://dash.internal',
    'dash.internal:8080',
    'dash.internal/x',
    '-dash',
    'a..b',
    'x'.repeat(64),
  ])('refuses %j', (raw) => {
    expect(() => parseAllowedHost(raw)).toThrowCode('USAGE_INVALID_FLAG');
  });
});

describe('isFetchSiteAllowed', () => {
  it.each([
    [{}, true],
    [{ 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' }, true],
    [{ 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }, true],
    [{ 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }, true],
    [{ 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'empty' }, false],
    [{ 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' }, false],
    [{ 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script' }, false],
    [{ 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' }, false],
    [{ 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' }, false],
    [{ 'sec-fetch-site': 'bogus' }, false],
  ] as const)('%j -> %s', (headers, allowed) => {
    expect(isFetchSiteAllowed(headers)).toBe(allowed);
  });
});

// Mutation audit of the dashboard core (twentieth session)
describe('matchRoute on hostile request lines', () => {
  it.each([
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    '/api/runsv1/7',
    '/healthz/',
    '/api/kpi/',
  ])('404 for %j (own routes only, exact paths)', (path) => {
    expect(() => matchRoute('GET', path)).toThrowCode('DASHBOARD_NOT_FOUND');
  });

  it('takes /api/runs/ as /api/runs', () => {
    expect(matchRoute('GET', '/api/runs/')).toEqual({ kind: 'runs' });
  });

  it.each(['get', 'head', 'Get'])('refuses the method %j (methods are case-sensitive)', (method) => {
    expect(() => matchRoute(method, '/healthz')).toThrowCode('DASHBOARD_METHOD_NOT_ALLOWED');
  });

  it('decodes the run id segment and checks the decoded tag', () => {
    expect(matchRoute('GET', '/api/runs/v1/%34%32')).toEqual({ kind: 'run', tag: 'v1', runId: 42 });
    expect(() => matchRoute('GET', `/api/runs/${'%C3%A9'.repeat(128)}/1`)).toThrowCode(
      'DASHBOARD_PARAM_INVALID',
    );
    expect(() => matchRoute('GET', '/api/runs/v1%7F/1')).toThrowCode('DASHBOARD_PARAM_INVALID');
  });
});

describe('isHostAllowed on look-alike names', () => {
  it.each([
    ['127.0.0.1', 'evil-localhost', false],
    ['127.0.0.1', 'x.localhost.evil', false],
    ['127.0.0.1', '127x0x0x1', false],
    ['127.0.0.1', '127-0-0-1:8080', false],
    ['0.0.0.0', '256.1.2.3', false],
    ['0.0.0.0', '255.255.255.255:80', true],
    ['0.0.0.0', '[fe80::1]:8080', true],
    // an IPv6 Host is bracketed; bare, its first group reads as the name
    ['0.0.0.0', 'fe80::1', false],
    ['127.0.0.1', '10.1.2.3', false],
    ['0.0.0.0', 'abc', false],
    ['0.0.0.0', 'dead:beef.evil', false],
    // `--host LOCALHOST` is a loopback bind: no IP literal, no missing Host
    ['LOCALHOST', '10.1.2.3', false],
    ['LOCALHOST', undefined, false],
    ['[::1]', '10.1.2.3', false],
    // not `host [":" port]`: refused whole, not read up to the first `]` or `:`
    ['127.0.0.1', '[::1]evil', false],
    ['127.0.0.1', '[::1]evil.example:8080', false],
    ['127.0.0.1', 'localhost:8080:evil', false],
    ['127.0.0.1', 'localhost:evil', false],
    ['127.0.0.1', 'localhost:123456', false],
    ['127.0.0.1', '[::1', false],
    ['127.0.0.1', 'localhost]', false],
    ['0.0.0.0', '10.1.2.3:80x', false],
    ['127.0.0.1', '[::1]:', true],
    ['127.0.0.1', 'localhost:', true],
  ] as const)('bound %s, Host %s -> %s', (bound, header, allowed) => {
    expect(isHostAllowed(bound, header)).toBe(allowed);
  });
});

describe('parseAllowedHost lengths', () => {
  it('takes a name of 253 characters, not 254', () => {
    const label = 'a'.repeat(63);
    const name253 = `${label}.${label}.${label}.${'b'.repeat(61)}`;
    expect(name253).toHaveLength(253);
    expect(parseAllowedHost(name253)).toBe(name253);
    expect(() => parseAllowedHost(`${name253.slice(0, -1)}.cc`)).toThrowCode('USAGE_INVALID_FLAG');
    expect(parseAllowedHost('x'.repeat(63))).toBe('x'.repeat(63));
  });
});

describe('isFetchSiteAllowed needs both navigate and document', () => {
  it.each([
    [{ 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'document' }, false],
    [{ 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'document' }, false],
    [{ 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'navigate' }, false],
    [{ 'sec-fetch-site': 'none' }, true],
  ] as const)('%j -> %s', (headers, allowed) => {
    expect(isFetchSiteAllowed(headers)).toBe(allowed);
  });
});
