import { describe, expect, it } from 'vitest';
import {
  checkTagText,
  decodeManifestCursor,
  defaultManifestLimit,
  encodeManifestCursor,
  maxManifestLimit,
  parseKpiQuery,
  parseManifestsQuery,
  parseNoQuery,
  parseRunQuery,
  parseRunId,
  parseRunsQuery,
  parseTimeBound,
  resolveRequestWindow,
} from './query.js';

const now = new Date('2026-11-26T12:00:00Z');

describe('parseTimeBound', () => {
  it.each([
    ['2026-11-01', 'since', '2026-11-01T00:00:00.000Z'],
    ['2026-11-01', 'until', '2026-11-02T00:00:00.000Z'],
    ['2026-11-01T10:20:30Z', 'since', '2026-11-01T10:20:30.000Z'],
    ['2026-11-01T10:20:30.5+02:00', 'until', '2026-11-01T08:20:30.500Z'],
    ['7d', 'since', '2026-11-19T12:00:00.000Z'],
    ['12h', 'since', '2026-11-26T00:00:00.000Z'],
  ] as const)('%s as %s -> %s', (raw, bound, expected) => {
    expect(parseTimeBound(bound, raw, bound, now)).toBe(expected);
  });

  it.each(['2026-02-30', 'yesterday', '2026-11-01 10:00', '1w', '', '2026-13-01T00:00:00Z'])(
    'refuses %j',
    (raw) => {
      expect(() => parseTimeBound('since', raw, 'since', now)).toThrowCode('DASHBOARD_PARAM_INVALID');
    },
  );
});

describe('resolveRequestWindow', () => {
  it('defaults until to now and since to 30 days before until', () => {
    expect(resolveRequestWindow({}, now)).toEqual({
      since: '2026-10-27T12:00:00.000Z',
      until: '2026-11-26T12:00:00.000Z',
    });
    expect(resolveRequestWindow({ until: '2026-11-02T00:00:00.000Z' }, now)).toEqual({
      since: '2026-10-03T00:00:00.000Z',
      until: '2026-11-02T00:00:00.000Z',
    });
  });

  // `/api/kpi?since=9999-12-31` answered 200 with a window that ended before it began
  it.each([
    [{ since: '9999-12-31T00:00:00.000Z' }, 'since'],
    [{ since: now.toISOString() }, 'since'],
  ] as const)('refuses %j, left empty by the default until', (parsed, param) => {
    expect(() => resolveRequestWindow(parsed, now)).toThrowCode('DASHBOARD_PARAM_INVALID');
    try {
      resolveRequestWindow(parsed, now);
    } catch (error) {
      expect((error as { details: { param: string } }).details.param).toBe(param);
    }
  });
});

describe('parseKpiQuery', () => {
  it('takes since and until', () => {
    expect(
      parseKpiQuery(
        [
          ['since', '2026-11-01'],
          ['until', '2026-11-02'],
        ],
        now,
      ),
    ).toEqual({
      since: '2026-11-01T00:00:00.000Z',
      until: '2026-11-03T00:00:00.000Z',
    });
    expect(parseKpiQuery([], now)).toEqual({});
  });
  it('refuses an unknown parameter', () => {
    expect(() => parseKpiQuery([['sinse', '7d']], now)).toThrowCode('DASHBOARD_PARAM_UNKNOWN');
  });
  it('refuses a repeated parameter and an empty window', () => {
    expect(() =>
      parseKpiQuery(
        [
          ['since', '7d'],
          ['since', '8d'],
        ],
        now,
      ),
    ).toThrowCode('DASHBOARD_PARAM_INVALID');
    expect(() =>
      parseKpiQuery(
        [
          ['since', '2026-11-02'],
          ['until', '2026-11-01'],
        ],
        now,
      ),
    ).toThrowCode('DASHBOARD_PARAM_INVALID');
  });
});

describe('parseRunsQuery', () => {
  it('has defaults: page 1 of 50, newest first', () => {
    expect(parseRunsQuery([], now)).toEqual({ page: 1, perPage: 50, sort: 'timestamp', order: 'desc' });
  });
  it('takes every filter', () => {
    expect(
      parseRunsQuery(
        [
          ['tag_prefix', 'release/v1'],
          ['status', 'failure'],
          ['governance_flag', 'artifact-missing'],
          ['since', '2026-11-01'],
          ['page', '3'],
          ['per_page', '200'],
          ['sort', 'tag'],
        ],
        now,
      ),
    ).toEqual({
      tagPrefix: 'release/v1',
      status: 'failure',
      governanceFlag: 'artifact-missing',
      since: '2026-11-01T00:00:00.000Z',
      page: 3,
      perPage: 200,
      sort: 'tag',
      order: 'asc',
    });
  });
  it('treats empty values as absent', () => {
    expect(
      parseRunsQuery(
        [
          ['status', ''],
          ['tag_prefix', ''],
          ['sort', ''],
          ['order', ''],
        ],
        now,
      ),
    ).toEqual({
      page: 1,
      perPage: 50,
      sort: 'timestamp',
      order: 'desc',
    });
  });
  it.each([
    ['status', 'ok'],
    ['governance_flag', 'Not_Kebab'],
    ['governance_flag', 'a'.repeat(65)],
    ['page', '0'],
    ['page', '10001'],
    ['page', '1.5'],
    ['per_page', '201'],
    ['per_page', '-1'],
    ['sort', 'sha; drop table slsa_runs'],
    ['order', 'up'],
    ['since', 'soon'],
    ['tag_prefix', 'a\u0000b'],
    ['tag_prefix', 'x'.repeat(256)],
  ])('refuses %s=%j with DASHBOARD_PARAM_INVALID', (name, value) => {
    expect(() => parseRunsQuery([[name, value]], now)).toThrowCode('DASHBOARD_PARAM_INVALID');
  });
  it('refuses an unknown parameter', () => {
    expect(() => parseRunsQuery([['limit', '10']], now)).toThrowCode('DASHBOARD_PARAM_UNKNOWN');
  });
  it('takes the one-part name an upgraded database gave its earlier runs; refuses other shapes', () => {
    expect(parseRunsQuery([['repository', 'default']], now).scope).toEqual({ repositories: ['default'] });
    expect(parseRunQuery([['repository', 'default']])).toEqual({ repository: 'default' });
    for (const bad of ['a/b/c', '..', 'acme/..', 'a b']) {
      expect(() => parseRunsQuery([['repository', bad]], now)).toThrowCode('DASHBOARD_PARAM_INVALID');
      expect(() => parseRunQuery([['repository', bad]])).toThrowCode('DASHBOARD_PARAM_INVALID');
    }
  });
});

describe('parseManifestsQuery', () => {
  it('has defaults: the first page of the default size', () => {
    expect(parseManifestsQuery([], now)).toEqual({ limit: defaultManifestLimit });
  });

  it('takes a scope, a window, a limit and a cursor', () => {
    const after = encodeManifestCursor({ repository: 'acme/a', path: 'docs/réports/x,"y".json' });
    expect(after).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(
      parseManifestsQuery(
        [
          ['repository', 'acme/a'],
          ['repository', 'acme/b'],
          ['owner', 'acme'],
          ['since', '2026-11-01'],
          ['until', '2026-11-02'],
          ['limit', String(maxManifestLimit)],
          ['after', after],
        ],
        now,
      ),
    ).toEqual({
      scope: { repositories: ['acme/a', 'acme/b'], owner: 'acme' },
      since: '2026-11-01T00:00:00.000Z',
      until: '2026-11-03T00:00:00.000Z',
      limit: maxManifestLimit,
      after: { repository: 'acme/a', path: 'docs/réports/x,"y".json' },
    });
  });

  it.each([['0'], [String(maxManifestLimit + 1)], ['-1'], ['ten'], ['1e3']])('refuses limit=%s', (limit) => {
    expect(() => parseManifestsQuery([['limit', limit]], now)).toThrowCode('DASHBOARD_PARAM_INVALID');
  });

  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
  it.each([
    ['not base64', 'a b'],
    ['one leftover character', 'abcde'],
    ['not JSON', b64('acme/a docs/x')],
    ['not a pair', b64('["acme/a"]')],
    ['not strings', b64('["acme/a", 7]')],
    ['a bad repository', b64('["a/b/c", "docs/x"]')],
    ['an empty path', b64('["acme/a", ""]')],
    ['a control character', b64('["acme/a", "docs/\u0007"]')],
    ['a path too long', b64(JSON.stringify(['acme/a', 'x'.repeat(1025)]))],
    ['too long', 'A'.repeat(3000)],
    ['bad UTF-8', Buffer.from([0x5b, 0x22, 0xff, 0x22, 0x5d]).toString('base64url')],
  ])('refuses a cursor that is %s', (_label, after) => {
    expect(() => parseManifestsQuery([['after', after]], now)).toThrowCode('DASHBOARD_PARAM_INVALID');
    expect(() => decodeManifestCursor(after)).toThrowCode('DASHBOARD_PARAM_INVALID');
  });

  it('refuses an unknown or repeated parameter', () => {
    expect(() => parseManifestsQuery([['page', '2']], now)).toThrowCode('DASHBOARD_PARAM_UNKNOWN');
    expect(() =>
      parseManifestsQuery(
        [
          ['limit', '1'],
          ['limit', '2'],
        ],
        now,
      ),
    ).toThrowCode('DASHBOARD_PARAM_INVALID');
  });
});

describe('run keys', () => {
  it('parses run ids from 1 to 2^53-1', () => {
    expect(parseRunId('1')).toBe(1);
    expect(parseRunId(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });
  it.each(['0', '-1', '1e3', '9007199254740992', 'abc', ''])('refuses run id %j', (raw) => {
    expect(() => parseRunId(raw)).toThrowCode('DASHBOARD_PARAM_INVALID');
  });
  it('checks tag text', () => {
    expect(checkTagText('tag', 'v1<script>')).toBe('v1<script>');
    expect(() => checkTagText('tag', 'v1\n')).toThrowCode('DASHBOARD_PARAM_INVALID');
  });
  it('refuses any query parameter where none is taken', () => {
    expect(() => parseNoQuery([['x', '1']])).toThrowCode('DASHBOARD_PARAM_UNKNOWN');
    expect(parseNoQuery([])).toBeUndefined();
  });
});
