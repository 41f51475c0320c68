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
  it.each(['0', '-1', '1e3', '9007199254740992', 'abc', '', '00000000000000001', ' 1', '1 ', '+1', '0x1'])(
    'refuses run id %j',
    (raw) => {
      expect(() => parseRunId(raw)).toThrowCode('DASHBOARD_PARAM_INVALID');
    },
  );
  it('checks tag text', () => {
    expect(checkTagText('tag', 'v1<script>')).toBe('v1<script>');
    expect(() => checkTagText('tag', 'v1\n')).toThrowCode('DASHBOARD_PARAM_INVALID');
  });
  it('refuses any query parameter where none is taken', () => {
    expect(() => parseNoQuery([['x', '1']])).toThrowCode('DASHBOARD_PARAM_UNKNOWN');
    expect(parseNoQuery([])).toBeUndefined();
  });
});

// Mutation audit of the dashboard core (twentieth session): each test below failed with a mutant
// the tests above let through.
describe('hostile query parameters', () => {
  const codeOf = (run: () => unknown): { code: string; message: string; details: any } => {
    try {
      run();
    } catch (error) {
      return error as { code: string; message: string; details: any };
    }
    throw new Error('no error thrown');
  };

  it('takes an empty since, until, page, per_page and limit as absent', () => {
    expect(
      parseKpiQuery(
        [
          ['since', ''],
          ['until', ''],
        ],
        now,
      ),
    ).toEqual({});
    expect(
      parseRunsQuery(
        [
          ['page', ''],
          ['per_page', ''],
        ],
        now,
      ),
    ).toEqual({ page: 1, perPage: 50, sort: 'timestamp', order: 'desc' });
    expect(parseManifestsQuery([['limit', '']], now)).toEqual({ limit: defaultManifestLimit });
  });

  it('refuses per_page=0 (per_page is 1 to 200)', () => {
    expect(() => parseRunsQuery([['per_page', '0']], now)).toThrowCode('DASHBOARD_PARAM_INVALID');
    expect(parseRunsQuery([['per_page', '1']], now).perPage).toBe(1);
  });

  it('refuses a number of more than nine digits, leading zeros too', () => {
    expect(() => parseRunsQuery([['page', '0000000001']], now)).toThrowCode('DASHBOARD_PARAM_INVALID');
    expect(parseRunsQuery([['page', '000000001']], now).page).toBe(1);
  });

  it('refuses repository on an endpoint that takes no parameter', () => {
    expect(() => parseNoQuery([['repository', 'acme/a']])).toThrowCode('DASHBOARD_PARAM_UNKNOWN');
  });

  it('bounds what an error repeats of a long name or value', () => {
    const name = `n${'x'.repeat(5_000)}`;
    const unknown = codeOf(() => parseKpiQuery([[name, '1']], now));
    expect(unknown.code).toBe('DASHBOARD_PARAM_UNKNOWN');
    expect(unknown.details.param).toHaveLength(50);
    expect(unknown.message.length).toBeLessThan(200);
    const page = codeOf(() => parseRunsQuery([['page', '9'.repeat(5_000)]], now));
    expect(page.details).toEqual({ param: 'page', value: '9'.repeat(100) });
    const cursor = codeOf(() => parseManifestsQuery([['after', 'A'.repeat(5_000)]], now));
    expect(cursor.details).toEqual({ param: 'after', value: 'A'.repeat(100) });
    // short enough to be decoded, not JSON: the decoder's own error
    const undecodable = codeOf(() => parseManifestsQuery([['after', 'A'.repeat(2_000)]], now));
    expect(undecodable.details).toEqual({ param: 'after', value: 'A'.repeat(100) });
  });
});

describe('tag text, repositories and owners from a URL', () => {
  it('counts a tag in UTF-8 bytes: 255 bytes pass, 256 do not, whatever the characters', () => {
    expect(checkTagText('tag', 'é'.repeat(127) + 'x')).toHaveLength(128); // 255 bytes
    expect(() => checkTagText('tag', 'é'.repeat(128))).toThrowCode('DASHBOARD_PARAM_INVALID'); // 256 bytes
    expect(() => parseRunsQuery([['tag_prefix', '€'.repeat(86)]], now)).toThrowCode(
      'DASHBOARD_PARAM_INVALID',
    );
  });

  it('refuses DEL as it refuses the C0 controls, in a tag and in a cursor path', () => {
    expect(() => checkTagText('tag', 'v1\u007f')).toThrowCode('DASHBOARD_PARAM_INVALID');
    const after = Buffer.from(JSON.stringify(['acme/a', 'docs/\u007f.json']), 'utf8').toString('base64url');
    expect(() => decodeManifestCursor(after)).toThrowCode('DASHBOARD_PARAM_INVALID');
  });

  it('takes at most 100 repository parameters', () => {
    const repos = (n: number) => Array.from({ length: n }, (_, i) => ['repository', `acme/r${i}`] as const);
    expect(parseKpiQuery(repos(100), now).scope?.repositories).toHaveLength(100);
    expect(() => parseKpiQuery(repos(101), now)).toThrowCode('DASHBOARD_PARAM_INVALID');
    expect(() => parseRunsQuery(repos(101), now)).toThrowCode('DASHBOARD_PARAM_INVALID');
  });

  it('takes an empty repository or owner as absent (all repositories)', () => {
    expect(
      parseKpiQuery(
        [
          ['repository', ''],
          ['owner', ''],
        ],
        now,
      ),
    ).toEqual({});
    expect(
      parseKpiQuery(
        [
          ['repository', ''],
          ['repository', 'acme/a'],
        ],
        now,
      ),
    ).toEqual({ scope: { repositories: ['acme/a'] } });
    expect(parseRunQuery([['repository', '']])).toEqual({});
  });

  it.each(['x/acme', 'acme/', 'acme/x', 'ac me', '.', '..', 'a'.repeat(101), 'acme\n', '%2e%2e'])(
    'refuses owner=%j',
    (owner) => {
      expect(() => parseKpiQuery([['owner', owner]], now)).toThrowCode('DASHBOARD_PARAM_INVALID');
    },
  );

  it('takes an owner name of 1 to 100 characters, dots inside too', () => {
    for (const owner of ['a', 'a'.repeat(100), 'acme.io', '..acme', 'a_b-c']) {
      expect(parseKpiQuery([['owner', owner]], now)).toEqual({ scope: { owner } });
    }
  });
});

describe('manifest cursors from a URL', () => {
  const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
  const valid = encodeManifestCursor({ repository: 'acme/a', path: 'docs/reports/2026-11-01/manifest.json' });

  it('takes limit 1 to 5,000 (the documented bounds, not the constant)', () => {
    expect(parseManifestsQuery([['limit', '5000']], now).limit).toBe(5_000);
    expect(parseManifestsQuery([['limit', '1']], now).limit).toBe(1);
    expect(() => parseManifestsQuery([['limit', '5001']], now)).toThrowCode('DASHBOARD_PARAM_INVALID');
    expect(defaultManifestLimit).toBe(500);
  });

  it('takes an empty after as the first page', () => {
    expect(parseManifestsQuery([['after', '']], now)).toEqual({ limit: defaultManifestLimit });
  });

  it('refuses a well-formed cursor longer than 2,800 characters', () => {
    const long = encodeManifestCursor({ repository: 'acme/a', path: '€'.repeat(1_000) });
    expect(long.length).toBeGreaterThan(2_800);
    expect(() => decodeManifestCursor(long)).toThrowCode('DASHBOARD_PARAM_INVALID');
  });

  it('refuses what atob would forgive: padding, white space', () => {
    expect(decodeManifestCursor(valid)).toEqual({
      repository: 'acme/a',
      path: 'docs/reports/2026-11-01/manifest.json',
    });
    expect(valid.length % 4).not.toBe(0);
    const padded = valid + '='.repeat(4 - (valid.length % 4));
    expect(() => decodeManifestCursor(padded)).toThrowCode('DASHBOARD_PARAM_INVALID');
    expect(() => decodeManifestCursor(`${valid.slice(0, 8)} ${valid.slice(8)}`)).toThrowCode(
      'DASHBOARD_PARAM_INVALID',
    );
  });

  it('refuses invalid UTF-8 inside a string of an otherwise good pair', () => {
    const bytes = Buffer.concat([Buffer.from('["acme/a","docs/'), Buffer.from([0xff]), Buffer.from('"]')]);
    expect(() => decodeManifestCursor(b64(bytes))).toThrowCode('DASHBOARD_PARAM_INVALID');
  });

  it.each([
    ['three items', ['acme/a', 'docs/x', 'y']],
    ['a number as repository', [7, 'docs/x']],
    ['an escaped control character', ['acme/a', 'docs/\u0007x']],
    ['an escaped NUL', ['acme/a', 'docs/\u0000']],
  ])('refuses a JSON cursor of %s', (_label, value) => {
    expect(() => decodeManifestCursor(b64(JSON.stringify(value)))).toThrowCode('DASHBOARD_PARAM_INVALID');
  });
});

describe('run filters and sorting', () => {
  it.each(['validated-', 'validated;drop', 'validated ', '-validated', 'a--b', 'validated\n'])(
    'refuses governance_flag=%j',
    (flag) => {
      expect(() => parseRunsQuery([['governance_flag', flag]], now)).toThrowCode('DASHBOARD_PARAM_INVALID');
    },
  );

  it('takes a kebab-case flag of 64 characters', () => {
    const flag = `a-${'b'.repeat(62)}`;
    expect(parseRunsQuery([['governance_flag', flag]], now).governanceFlag).toBe(flag);
  });

  it('sorts both times newest first by default, everything else A to Z', () => {
    expect(parseRunsQuery([['sort', 'validated_at']], now).order).toBe('desc');
    expect(parseRunsQuery([['sort', 'timestamp']], now).order).toBe('desc');
    expect(parseRunsQuery([['sort', 'actor']], now).order).toBe('asc');
    expect(
      parseRunsQuery(
        [
          ['sort', 'validated_at'],
          ['order', 'asc'],
        ],
        now,
      ).order,
    ).toBe('asc');
  });
});

describe('repository parameters per endpoint', () => {
  it('takes one repository for a single run, never two', () => {
    expect(() =>
      parseRunQuery([
        ['repository', 'acme/a'],
        ['repository', 'acme/b'],
      ]),
    ).toThrowCode('DASHBOARD_PARAM_INVALID');
    expect(() => parseRunQuery([['owner', 'acme']])).toThrowCode('DASHBOARD_PARAM_UNKNOWN');
  });

  it('lists a repository given twice once', () => {
    expect(
      parseKpiQuery(
        [
          ['repository', 'acme/a'],
          ['repository', 'acme/a'],
        ],
        now,
      ).scope,
    ).toEqual({ repositories: ['acme/a'] });
  });

  it.each(['after', 'limit', 'page', 'tag_prefix'])('refuses %s on /api/kpi', (name) => {
    expect(() => parseKpiQuery([[name, '1']], now)).toThrowCode('DASHBOARD_PARAM_UNKNOWN');
  });
});
