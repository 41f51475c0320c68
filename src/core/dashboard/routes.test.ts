import { describe, expect, it } from 'vitest';
import { httpStatusOf, isFetchSiteAllowed, isHostAllowed, matchRoute } from './routes.js';

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
    ['0.0.0.0', 'dash.internal:8080', true],
    ['10.1.2.3', undefined, true],
  ] as const)('bound %s, Host %s -> %s', (bound, header, allowed) => {
    expect(isHostAllowed(bound, header)).toBe(allowed);
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
