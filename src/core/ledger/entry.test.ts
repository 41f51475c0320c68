import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checkEntryClock,
  checkEntryUrls,
  compareTags,
  entryProblems,
  isEntryValid,
  ledgerEntrySchema,
  manifestDayOf,
  manifestPathFor,
  jsonDepthOver,
  parseDayFile,
  parseEntry,
  parseManifest,
  serializeManifest,
  sortEntries,
  tagProblem,
  urlCredentialProblem,
  type LedgerEntry,
} from './entry.js';
import { makeEntry } from '../../../test/support/ledger.js';

function problemPaths(value: unknown): string[] {
  return entryProblems(value).map((p) => p.path);
}

describe('parseEntry', () => {
  it('accepts a minimal and a full entry', () => {
    expect(parseEntry(makeEntry())).toEqual(makeEntry());
    const full = makeEntry({
      governance_flag: 'provenance-ready',
      release_url: 'https://github.com/o/r/releases/tag/v1.2.3',
      governance_history: [{ flag: 'manifest-queued', timestamp: '2025-11-24T09:00:00Z', run_id: 101 }],
      provenance: {
        digest: `sha256:${'b'.repeat(64)}`,
        predicate_type: 'https://slsa.dev/provenance/v1',
        builder_id: 'https://github.com/o/r/.github/workflows/release.yml@refs/heads/main',
        subjects: [{ name: 'app.tgz', sha256: 'c'.repeat(64) }],
      },
      validation: { status: 'passed', validated_at: '2025-11-24T11:00:00.123Z', validator_run_id: 7 },
      metrics: {
        dispatch_token_expires_at: '2026-01-01T00:00:00Z',
        dispatch_token_rotated_at: '2025-10-01T00:00:00Z',
        dispatch_token_last_used_run_id: 100,
        artifact_upload_latency_s: 1.5,
        lock_wait_s: 0,
        notify: { attempts: 2, delivered: 1 },
      },
    });
    expect(parseEntry(full)).toEqual(full);
    expect(isEntryValid(full)).toBe(true);
    expect(ledgerEntrySchema.safeParse(full).success).toBe(true);
    expect(parseEntry(makeEntry({ sha: 'd'.repeat(64) })).sha).toHaveLength(64);
  });

  it.each(['https://10.0.0.1/x', 'https://0x7f.0.0.1/x', 'https://a1.b2/x', 'https://1a.example/x'])(
    'accepts %s (an IPv4 host the parser takes, labels that are not numbers)',
    (url) => {
      expect(parseEntry(makeEntry({ artifact_url: url })).artifact_url).toBe(url);
    },
  );

  it('accepts a failure with a null artifact_url and a reason', () => {
    const e = makeEntry({
      status: 'failure',
      artifact_url: null,
      failure_reason: 'build broke\n\tat step 3',
    });
    expect(parseEntry(e).artifact_url).toBeNull();
  });

  it.each([
    ['no tag', { tag: undefined }, 'tag'],
    ['tag ../../x', { tag: '../../x' }, 'tag'],
    ['tag with leading -', { tag: '-v1' }, 'tag'],
    ['tag too long', { tag: `v${'1'.repeat(255)}` }, 'tag'],
    ['tag not text', { tag: 12 }, 'tag'],
    ['bad sha', { sha: 'ABC' }, 'sha'],
    ['upper-case sha', { sha: 'A'.repeat(40) }, 'sha'],
    ['non-utc timestamp', { timestamp: '2025-11-24T10:00:00+01:00' }, 'timestamp'],
    ['date-only timestamp', { timestamp: '2025-11-24' }, 'timestamp'],
    ['impossible date', { timestamp: '2025-02-30T10:00:00Z' }, 'timestamp'],
    ['run_id 0', { run_id: 0 }, 'run_id'],
    ['run_id above 2^53-1', { run_id: 2 ** 53 }, 'run_id'],
    ['run_id fractional', { run_id: 1.5 }, 'run_id'],
    ['run_id as text', { run_id: '5' }, 'run_id'],
    ['http artifact url', { artifact_url: 'http://x.example/a' }, 'artifact_url'],
    ['url with credentials', { artifact_url: 'https://u:p@x.example/a' }, 'artifact_url'],
    // a host ending in a number is an IPv4 address to the WHATWG parser, which refuses these
    ['ipv4 host out of range', { artifact_url: 'https://999.1.1.1/x' }, 'artifact_url'],
    ['ipv4 host of five parts', { artifact_url: 'https://1.2.3.4.5/x' }, 'artifact_url'],
    ['host ending in a number', { artifact_url: 'https://a.1/x' }, 'artifact_url'],
    ['host ending in a hex number', { release_url: 'https://a.0x1f/x' }, 'release_url'],
    ['host ending in a bare 0x', { release_url: 'https://a.0X/x' }, 'release_url'],
    ['host ending in an upper-case hex number', { artifact_url: 'https://b.0XAB' }, 'artifact_url'],
    ['null artifact on success', { artifact_url: null }, 'artifact_url'],
    ['missing artifact_url', { artifact_url: undefined }, 'artifact_url'],
    ['bad status', { status: 'ok' }, 'status'],
    ['failure without reason', { status: 'failure' }, 'failure_reason'],
    ['flag not kebab-case', { governance_flag: 'Provenance_Ready' }, 'governance_flag'],
    ['actor with control char', { actor: 'bob\u0007' }, 'actor'],
    ['empty actor', { actor: ' ' }, 'actor'],
    ['release_url not a url', { release_url: 'releases/v1' }, 'release_url'],
    ['unknown field', { extra: true }, 'extra'],
    [
      'bad provenance digest',
      {
        provenance: {
          digest: 'x',
          predicate_type: 'p',
          builder_id: 'b',
          subjects: [{ name: 'a', sha256: 'c'.repeat(64) }],
        },
      },
      'provenance.digest',
    ],
    ['provenance not an object', { provenance: 3 }, 'provenance'],
    [
      'no subjects',
      {
        provenance: {
          digest: `sha256:${'b'.repeat(64)}`,
          predicate_type: 'p',
          builder_id: 'b',
          subjects: [],
        },
      },
      'provenance.subjects',
    ],
    [
      'bad validation status',
      { validation: { status: 'ok', validated_at: '2025-11-24T10:00:00Z' } },
      'validation.status',
    ],
    ['negative lock wait', { metrics: { lock_wait_s: -1 } }, 'metrics.lock_wait_s'],
    ['unknown metric', { metrics: { foo: 1 } }, 'metrics.foo'],
    [
      'more deliveries than attempts',
      { metrics: { notify: { attempts: 1, delivered: 9 } } },
      'metrics.notify.delivered',
    ],
    [
      'bad history item',
      { governance_history: [{ flag: 'x', timestamp: 'now', run_id: 1 }] },
      'governance_history.0.timestamp',
    ],
  ])('refuses %s with LEDGER_ENTRY_INVALID naming the field', (_name, overrides, path) => {
    const value = { ...makeEntry(), ...overrides };
    expect(() => parseEntry(value)).toThrowCode('LEDGER_ENTRY_INVALID');
    expect(problemPaths(value)).toContain(path);
    // the fast path and the zod schema agree
    expect(isEntryValid(value)).toBe(false);
    expect(ledgerEntrySchema.safeParse(value).success).toBe(false);
  });

  it('lists every problem, one per field', () => {
    const value = {
      run_id: -1,
      tag: '../../x',
      sha: 'x',
      extra: 1,
      timestamp: 'yesterday',
      status: 'failure',
    };
    const paths = problemPaths(value);
    expect(paths).toEqual([
      'run_id',
      'tag',
      'sha',
      'artifact_url',
      'actor',
      'timestamp',
      'failure_reason',
      'extra',
    ]);
    try {
      parseEntry(value);
    } catch (error) {
      expect((error as { details: { problems: unknown[] } }).details.problems).toHaveLength(paths.length);
    }
  });

  it('refuses a non-object', () => {
    expect(() => parseEntry([])).toThrowCode('LEDGER_ENTRY_INVALID');
    expect(() => parseEntry(null)).toThrowCode('LEDGER_ENTRY_INVALID');
    expect(problemPaths('x')).toEqual(['']);
  });
});

describe('tagProblem', () => {
  it.each(['v1.2.3', 'release/2025-11', 'v2025.11.9', 'a@b', 'ünï'])('accepts %s', (tag) => {
    expect(tagProblem(tag)).toBeUndefined();
  });
  it.each([
    '',
    '-x',
    'a..b',
    'a b',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[',
    'a\\b',
    'a@{1}',
    '@',
    '/a',
    'a/',
    'a//b',
    'a.',
    '.a',
    'a/.b',
    'a.lock',
    'a/b.lock/c',
    'a\tb',
  ])('refuses %j', (tag) => {
    expect(tagProblem(tag)).toBeDefined();
  });
});

describe('messages never carry invisible or control characters raw', () => {
  it.each([
    ['a right-to-left override', 'v1.0.0\u202e', "'v1.0.0\\u202e'"],
    ['a zero-width space', 'v1\u200b.0', "'v1\\u200b.0'"],
    ['a trailing U+FEFF', 'v1.0.0\ufeff', "'v1.0.0\\ufeff'"],
    ['a terminal escape', 'v1\u001b[2J', "'v1\\u001b[2J'"],
    ['a lone surrogate', 'v1\ud800', "'v1\\ud800'"],
    ['an invisible tag character', 'v1\u{e0041}', "'v1\\u{e0041}'"],
  ])('%s in a tag is shown escaped', (_name, tag, shown) => {
    const [problem] = entryProblems(makeEntry({ tag }));
    expect(problem!.message).toContain(shown);
    for (const raw of ['\u202e', '\u200b', '\ufeff', '\u001b', '\ud800', '\u{e0041}'])
      expect(problem!.message.includes(raw)).toBe(false);
  });
});

describe('compareTags and sortEntries', () => {
  it('orders digit runs as numbers', () => {
    expect(compareTags('v2025.11.9', 'v2025.11.12')).toBeLessThan(0);
    expect(compareTags('v10', 'v9')).toBeGreaterThan(0);
    expect(compareTags('v1.0', 'v1.0-rc1')).toBeLessThan(0);
    expect(compareTags('v1', 'v1')).toBe(0);
    expect(compareTags('v01', 'v1')).not.toBe(0);
    expect(compareTags('a', 'b')).toBeLessThan(0);
    expect(compareTags('99999999999999999999999', '100000000000000000000000')).toBeLessThan(0);
  });
  it('is a total order consistent in both directions', () => {
    const tags = [
      'v1',
      'v01',
      'v1.0',
      'v1.0-rc1',
      'v1.0-rc10',
      'v1.0-rc2',
      'a',
      'v2025.11.9',
      'v2025.11.12',
      '1',
      'x1y',
    ];
    for (const a of tags)
      for (const b of tags) expect(Math.sign(compareTags(a, b)) + Math.sign(compareTags(b, a))).toBe(0);
  });
  it('sorts by tag, then run_id, without mutating', () => {
    const input = [
      makeEntry({ tag: 'v2', run_id: 3 }),
      makeEntry({ tag: 'v10', run_id: 1 }),
      makeEntry({ tag: 'v2', run_id: 1 }),
    ];
    const sorted = sortEntries(input);
    expect(sorted.map((e) => `${e.tag}/${e.run_id}`)).toEqual(['v2/1', 'v2/3', 'v10/1']);
    expect(input[0]!.run_id).toBe(3);
  });
});

describe('serializeManifest', () => {
  it('writes canonical bytes: sorted, keys in order, 2-space indent, final newline', () => {
    const a = {
      status: 'success',
      timestamp: '2025-11-24T10:00:00Z',
      actor: 'x',
      artifact_url: 'https://a.example/x',
      sha: 'a'.repeat(40),
      tag: 'v2',
      run_id: 2,
    } as LedgerEntry;
    const b = makeEntry({
      tag: 'v1',
      run_id: 1,
      metrics: { notify: { delivered: 1, attempts: 1 }, lock_wait_s: 0.5 },
    });
    const text = serializeManifest([a, b]);
    expect(text).toBe(serializeManifest([b, a]));
    expect(text.endsWith('}\n]\n')).toBe(true);
    expect(text.startsWith('[\n  {\n    "run_id": 1,\n    "tag": "v1",')).toBe(true);
    expect(text).toContain(
      '"metrics": {\n      "lock_wait_s": 0.5,\n      "notify": {\n        "attempts": 1,',
    );
    expect(serializeManifest([])).toBe('[]\n');
    expect(parseManifest(text, 'm.json')).toEqual(sortEntries([parseEntry(a), parseEntry(b)]));
  });
});

describe('parseManifest', () => {
  it('refuses non-json, a non-array and bad entries with their index', () => {
    expect(() => parseManifest('{', 'm.json')).toThrowCode('LEDGER_MANIFEST_INVALID');
    expect(() => parseManifest('{}', 'm.json')).toThrowCode('LEDGER_MANIFEST_INVALID');
    try {
      parseManifest(JSON.stringify([makeEntry(), makeEntry({ sha: 'x' })]), 'm.json');
      expect.unreachable();
    } catch (error) {
      expect(error).toThrowCode('LEDGER_MANIFEST_INVALID');
      expect(
        (error as { details: { problems: { index: number; path: string }[] } }).details.problems,
      ).toEqual([expect.objectContaining({ index: 1, path: 'sha' })]);
    }
  });
});

describe('manifestPathFor', () => {
  it('uses the utc date of the timestamp', () => {
    expect(manifestPathFor(makeEntry({ timestamp: '2025-11-24T23:59:59.9Z' }))).toBe(
      'docs/reports/2025-11-24/manifest.json',
    );
    expect(manifestPathFor(makeEntry(), 'ledger/')).toBe('ledger/2025-11-24/manifest.json');
    expect(() => manifestPathFor({ timestamp: 'x' })).toThrowCode('LEDGER_ENTRY_INVALID');
  });
  it('reads the day back from a path', () => {
    expect(manifestDayOf('docs/reports/2025-11-24/manifest.json')).toBe('2025-11-24');
    expect(manifestDayOf('docs/reports/2025-13-24/manifest.json')).toBeUndefined();
    expect(manifestDayOf('docs/reports/2025-11-24/manifest-queue.json')).toBeUndefined();
    expect(manifestDayOf('other/2025-11-24/manifest.json')).toBeUndefined();
  });
});

// The fast paths of entry validation and tag order (issue 4) against the general code they skip.
describe('fast paths', () => {
  const zodAgrees = (value: unknown): void => {
    expect(isEntryValid(value)).toBe(ledgerEntrySchema.safeParse(value).success);
  };

  it('the plain timestamp check gives the verdict of the schema', () => {
    // fields around their limits (plus any digits), so that every bound of the check is hit
    const num = (lo: number, hi: number, width: number) =>
      fc.integer({ min: lo, max: hi }).map((n) => String(n).padStart(width, '0'));
    const plainish = fc
      .tuple(
        fc.oneof(num(1965, 2030, 4), num(0, 9999, 4)),
        num(0, 13, 2),
        num(0, 32, 2),
        num(0, 25, 2),
        num(0, 61, 2),
        num(0, 61, 2),
      )
      .map(([y, mo, d, h, mi, s]) => `${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
    fc.assert(
      fc.property(fc.oneof(plainish, fc.string({ maxLength: 24 })), (timestamp) => {
        zodAgrees({ ...makeEntry(), timestamp });
        zodAgrees({ ...makeEntry(), metrics: { dispatch_token_expires_at: timestamp } });
      }),
      { numRuns: 2000 },
    );
    for (const t of [
      '2024-02-29T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '1969-12-31T23:59:59Z',
      '2025-04-31T00:00:00Z',
    ])
      zodAgrees({ ...makeEntry(), timestamp: t });
    expect(isEntryValid({ ...makeEntry(), timestamp: '2025-11-24T10:00:00.5Z' })).toBe(true);
  });

  it('the plain tag check gives the verdict of tagProblem', () => {
    const tag = fc
      .array(fc.constantFrom(...'av0.9-_+/@{l.ock~ '), { minLength: 0, maxLength: 12 })
      .map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(tag, fc.string()), (t) => {
        const value = { ...makeEntry(), tag: t };
        expect(isEntryValid(value)).toBe(tagProblem(t) === undefined);
        zodAgrees(value);
      }),
      { numRuns: 3000 },
    );
    for (const t of ['v1.lock', 'v1.', 'v1..2', '.v1', '-v1', 'a'.repeat(255), 'a'.repeat(256)])
      zodAgrees({ ...makeEntry(), tag: t });
  });

  it('the plain url check gives the verdict of the schema', () => {
    const url = fc
      .array(fc.constantFrom(...'hts:/a.b-x@\\ \t%?#1'), { maxLength: 20 })
      .map((a) => `https://${a.join('')}`);
    fc.assert(
      fc.property(fc.oneof(url, fc.webUrl(), fc.string()), (u) => {
        zodAgrees({ ...makeEntry(), artifact_url: u });
        zodAgrees({ ...makeEntry(), release_url: u });
      }),
      { numRuns: 2000 },
    );
    zodAgrees({ ...makeEntry(), artifact_url: `https://a.example/${'x'.repeat(2040)}` });
  });

  it('compareTags starting at the first difference orders as the walk from the start', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...'v0019.-a'), { maxLength: 10 }).map((a) => a.join('')),
        fc.array(fc.constantFrom(...'v0019.-a'), { maxLength: 10 }).map((a) => a.join('')),
        (a, b) => {
          expect(Math.sign(compareTags(a, b))).toBe(Math.sign(referenceCompareTags(a, b)));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('parseManifest keeps canonical entries and reorders the others, with the same bytes out', () => {
    const canonical = makeEntry({
      tag: 'v1',
      run_id: 1,
      metrics: { lock_wait_s: 0.5, notify: { attempts: 1, delivered: 1 } },
    });
    const text = serializeManifest([canonical]);
    const [kept] = parseManifest(text, 'm.json');
    expect(serializeManifest([kept!])).toBe(text);
    // keys out of order at the top and in a nested object: the slow path puts them in order
    const shuffled = `[${JSON.stringify({
      metrics: { notify: { delivered: 1, attempts: 1 }, lock_wait_s: 0.5 },
      ...Object.fromEntries(
        Object.entries(canonical)
          .filter(([k]) => k !== 'metrics')
          .reverse(),
      ),
    })}]`;
    const [reordered] = parseManifest(shuffled, 'm.json');
    expect(Object.keys(reordered!)).toEqual(Object.keys(kept!));
    expect(Object.keys(reordered!.metrics!)).toEqual(['lock_wait_s', 'notify']);
    expect(serializeManifest([reordered!])).toBe(text);
  });

  const provenance = {
    digest: `sha256:${'b'.repeat(64)}`,
    predicate_type: 'https://slsa.dev/provenance/v1',
    builder_id: 'https://github.com/acme/builder',
    subjects: [{ name: 'app.tgz', sha256: 'c'.repeat(64) }],
  };
  it.each([
    ['history not a list', { governance_history: { flag: 'x' } }],
    ['history item not an object', { governance_history: ['x'] }],
    [
      'history item with an unknown key',
      { governance_history: [{ flag: 'a', timestamp: '2025-11-24T10:00:00Z', run_id: 1, x: 1 }] },
    ],
    ['provenance not an object', { provenance: 'x' }],
    ['provenance with an unknown key', { provenance: { ...provenance, x: 1 } }],
    ['subject not an object', { provenance: { ...provenance, subjects: ['x'] } }],
    [
      'subject with an unknown key',
      { provenance: { ...provenance, subjects: [{ name: 'a', sha256: 'c'.repeat(64), x: 1 }] } },
    ],
    ['validation not an object', { validation: [] }],
    [
      'validation with an unknown key',
      { validation: { status: 'passed', validated_at: '2025-11-24T10:00:00Z', x: 1 } },
    ],
    ['metrics not an object', { metrics: null }],
    ['notify not an object', { metrics: { notify: 1 } }],
    ['notify with an unknown key', { metrics: { notify: { attempts: 1, delivered: 1, x: 1 } } }],
    ['a year with a letter', { timestamp: '2O25-11-24T10:00:00Z' }],
  ])('the one-walk check refuses %s, as the schema does', (_name, overrides) => {
    const value = { ...makeEntry(), ...overrides };
    expect(isEntryValid(value)).toBe(false);
    zodAgrees(value);
    expect(() => parseManifest(JSON.stringify([value]), 'm.json')).toThrowCode('LEDGER_MANIFEST_INVALID');
  });

  it('parseManifest puts nested objects out of order into canonical order', () => {
    const entry = makeEntry({
      governance_history: [{ flag: 'a', timestamp: '2025-11-24T10:00:00Z', run_id: 1 }],
      provenance,
      validation: { status: 'passed', validated_at: '2025-11-24T10:00:00Z', validator_run_id: 2 },
    });
    const text = serializeManifest([entry]);
    const shuffled = JSON.stringify([
      {
        ...entry,
        governance_history: [{ run_id: 1, flag: 'a', timestamp: '2025-11-24T10:00:00Z' }],
        provenance: { ...provenance, subjects: [{ sha256: 'c'.repeat(64), name: 'app.tgz' }] },
        validation: { validator_run_id: 2, status: 'passed', validated_at: '2025-11-24T10:00:00Z' },
      },
    ]);
    for (const input of [
      shuffled,
      JSON.stringify([{ ...entry, provenance: Object.fromEntries(Object.entries(provenance).reverse()) }]),
    ])
      expect(serializeManifest(parseManifest(input, 'm.json'))).toBe(text);
    // an undefined optional field (possible in memory, never in json) is left out
    expect(serializeManifest([parseEntry({ ...entry, release_url: undefined })])).toBe(
      text.replace(/\n {4}"release_url": [^\n]*/, ''),
    );
  });

  it('an invalid entry out of canonical order still fails with its problems', () => {
    const bad = { ...makeEntry({ tag: 'v1' }), sha: 'x', timestamp: '2025-02-30T00:00:00Z' };
    const { timestamp, ...rest } = bad;
    const reordered = { timestamp, ...rest }; // out of canonical order and invalid
    try {
      parseManifest(JSON.stringify([makeEntry(), reordered]), 'm.json');
      expect.unreachable();
    } catch (error) {
      expect(error).toThrowCode('LEDGER_MANIFEST_INVALID');
      expect((error as { details: { problems: unknown[] } }).details.problems).toEqual(
        entryProblems(reordered).map((p) => ({ ...p, index: 1 })),
      );
    }
  });
});

// compareTags as it was before the first-difference start (walks from index 0)
function referenceCompareTags(a: string, b: string): number {
  const isDigit = (c: number): boolean => c >= 48 && c <= 57;
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      let ej = j;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      const x = a.slice(i, ei).replace(/^0+(?=.)/, '');
      const y = b.slice(j, ej).replace(/^0+(?=.)/, '');
      if (x.length !== y.length) return x.length < y.length ? -1 : 1;
      if (x !== y) return x < y ? -1 : 1;
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) {
      if (isDigit(ca) !== isDigit(cb)) return isDigit(ca) ? -1 : 1;
      return ca < cb ? -1 : 1;
    }
    i++;
    j++;
  }
  if (i < a.length || j < b.length) return i < a.length ? 1 : -1;
  return a < b ? -1 : 1;
}

describe('entries that mean one thing and that Postgres stores (issue 13 items 3, 4)', () => {
  it.each([
    ['a zero-width space', 'v1.2\u200b.3'],
    ['a right-to-left override', 'v1.2.3\u202e'],
    ['a trailing U+FEFF', 'v1.2.3\ufeff'],
    ['a soft hyphen', 'v1.\u00ad2.3'],
    ['a left-to-right mark', '\u200ev1.2.3'],
    ['an isolate', 'v1\u2066.2.3'],
    ['a no-break space', 'v1.2.3\u00a0'],
    ['a combining grapheme joiner', 'v1.2.3\u034f'],
    ['a non-NFC form', 'v1-cafe\u0301'],
    ['a lone surrogate', 'v1.2.3\ud800'],
  ])('refuses a tag with %s', (_name, tag) => {
    expect(() => parseEntry(makeEntry({ tag }))).toThrowCode('LEDGER_ENTRY_INVALID');
    expect(problemPaths(makeEntry({ tag }))).toEqual(['tag']);
  });

  it('accepts an NFC tag with non-ASCII letters', () => {
    expect(parseEntry(makeEntry({ tag: 'v1-caf\u00e9' })).tag).toBe('v1-caf\u00e9');
  });

  it('refuses a run_id that is a string, never coerced', () => {
    expect(problemPaths(makeEntry({ run_id: '1' }))).toEqual(['run_id']);
    expect(problemPaths(makeEntry({ run_id: 1.5 }))).toEqual(['run_id']);
  });

  it('refuses what Postgres cannot store: counts over int4, lone surrogates in text', () => {
    expect(
      problemPaths(makeEntry({ metrics: { notify: { attempts: 3_000_000_000, delivered: 0 } } })),
    ).toEqual(['metrics.notify.attempts']);
    expect(isEntryValid(makeEntry({ metrics: { notify: { attempts: 2_147_483_647, delivered: 0 } } }))).toBe(
      true,
    );
    expect(problemPaths(makeEntry({ actor: 'bot\ud800' }))).toEqual(['actor']);
    expect(problemPaths(makeEntry({ status: 'failure', failure_reason: '\udc00x' }))).toEqual([
      'failure_reason',
    ]);
    expect(problemPaths(makeEntry({ actor: 'bot \ud83d\ude00' }))).toEqual([]);
  });

  it('metrics.notify.latency_s (seed §4.4, the notify_latency_s column): a non-negative number of seconds', () => {
    const parsed = parseEntry(
      makeEntry({ metrics: { notify: { latency_s: 0.25, delivered: 1, attempts: 1 } } }),
    );
    expect(parsed.metrics!.notify).toEqual({ attempts: 1, delivered: 1, latency_s: 0.25 });
    expect(Object.keys(parsed.metrics!.notify!)).toEqual(['attempts', 'delivered', 'latency_s']);
    expect(
      problemPaths(makeEntry({ metrics: { notify: { attempts: 1, delivered: 1, latency_s: -1 } } })),
    ).toEqual(['metrics.notify.latency_s']);
    expect(
      problemPaths(makeEntry({ metrics: { notify: { attempts: 1, delivered: 1, latency_s: '1' } } })),
    ).toEqual(['metrics.notify.latency_s']);
  });

  it('one schema orders: any key order in, canonical order out', () => {
    const e = makeEntry({ metrics: { notify: { delivered: 1, attempts: 2 }, lock_wait_s: 1 } });
    const shuffled = Object.fromEntries(Object.entries(e).reverse());
    const parsed = parseEntry(shuffled);
    expect(Object.keys(parsed)).toEqual(Object.keys(e).filter((k) => k in parsed));
    expect(Object.keys(parsed.metrics!)).toEqual(['lock_wait_s', 'notify']);
    expect(Object.keys(parsed.metrics!.notify!)).toEqual(['attempts', 'delivered']);
  });
});

describe('checkEntryClock', () => {
  const now = new Date('2025-11-24T10:00:00Z');
  it('allows the skew, refuses beyond it', () => {
    expect(() => checkEntryClock(makeEntry({ timestamp: '2025-11-24T10:05:00Z' }), now, 300)).not.toThrow();
    expect(() => checkEntryClock(makeEntry({ timestamp: '2025-11-24T10:05:01Z' }), now, 300)).toThrowCode(
      'LEDGER_ENTRY_INVALID',
    );
    expect(() => checkEntryClock(makeEntry({ timestamp: '9999-12-31T23:59:59Z' }), now, 300)).toThrowCode(
      'LEDGER_ENTRY_INVALID',
    );
    expect(() =>
      checkEntryClock(
        makeEntry({ validation: { status: 'passed', validated_at: '2030-01-01T00:00:00Z' } }),
        now,
        300,
      ),
    ).toThrowCode('LEDGER_ENTRY_INVALID');
  });
});

describe('parseDayFile: limits before the value is built', () => {
  it.each([
    ['too deep', `[${'['.repeat(20)}${']'.repeat(20)}]`, 'INPUT_LIMIT_EXCEEDED'],
    ['not utf-8', Buffer.from([0x5b, 0xff, 0x5d]), 'INPUT_JSON_MALFORMED'],
    ['not json', 'not json', 'INPUT_JSON_MALFORMED'],
  ])('%s', (_n, text, code) => {
    try {
      parseDayFile(typeof text === 'string' ? Buffer.from(text) : text, 'd');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'LEDGER_MANIFEST_INVALID', details: { cause_code: code } });
    }
  });
  it('reads a canonical file', () => {
    const text = serializeManifest([makeEntry()]);
    expect(parseDayFile(Buffer.from(text), 'd')).toEqual([makeEntry()]);
  });
  it('reads ASCII and non-ASCII text alike, from a Buffer or a plain Uint8Array inside a larger one', () => {
    for (const entry of [makeEntry(), makeEntry({ actor: 'José-Ångström' }), makeEntry({ actor: 'bot😀' })]) {
      const bytes = Buffer.from(`xyz${serializeManifest([entry])}`);
      const view = new Uint8Array(bytes.buffer, bytes.byteOffset + 3, bytes.length - 3);
      expect(parseDayFile(view, 'd')).toEqual([entry]);
      expect(parseDayFile(Buffer.from(view), 'd')).toEqual([entry]);
    }
    // a byte-order mark before the array is dropped, as the decoder did before the ASCII path
    expect(parseDayFile(Buffer.from(`\ufeff${serializeManifest([makeEntry()])}`), 'd')).toEqual([
      makeEntry(),
    ]);
    // Latin-1 bytes that are not UTF-8 are refused, not read as Latin-1
    try {
      parseDayFile(Buffer.from('["caf\xe9"]', 'latin1'), 'd');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ details: { cause_code: 'INPUT_JSON_MALFORMED' } });
    }
  });
});

describe('jsonDepthOver: strings crossed by indexOf', () => {
  // the byte loop it replaced, as the reference
  const reference = (bytes: Uint8Array, max: number): number | undefined => {
    let depth = 0;
    let inString = false;
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (inString) {
        if (c === 0x5c) i++;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x5b || c === 0x7b) {
        if (++depth > max) return i;
      } else if (c === 0x5d || c === 0x7d) depth--;
    }
    return undefined;
  };
  it.each([
    ['brackets inside a string', '["[[[[[[[[[[{{{{{{{{"]', 3, undefined],
    ['an escaped quote keeps the string open', '["a\\"[[[[[[[[[["]', 3, undefined],
    ['two backslashes close it', '["a\\\\",[[[[[[]]]]]]]', 3, 9],
    ['three backslashes do not', '["a\\\\\\"[[[[[["]', 3, undefined],
    ['deep after strings', '[{"k":"v","l":[[["x"]]]}]', 4, 16],
    ['exactly at the limit', '[[[[]]]]', 4, undefined],
    ['an unclosed string ends the scan', '["abc', 1, undefined],
    ['a quote as the last byte', '[[[[["', 4, 4],
  ])('%s', (_n, text, max, at) => {
    const bytes = Buffer.from(text);
    expect(reference(bytes, max)).toBe(at);
    expect(jsonDepthOver(bytes, max)).toBe(at);
  });
  it('agrees with the byte loop on any mix of quotes, backslashes and brackets, Buffer or not', () => {
    const alphabet = ['"', '\\', '[', ']', '{', '}', 'a', ' ', ','];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...alphabet), { maxLength: 200 }),
        fc.integer({ min: 0, max: 6 }),
        (chars, max) => {
          const text = chars.join('');
          const bytes = Buffer.from(`xx${text}`);
          // a plain Uint8Array that starts inside a larger buffer
          const plain = new Uint8Array(bytes.buffer, bytes.byteOffset + 2, bytes.length - 2);
          const want = reference(Buffer.from(text), max);
          expect(jsonDepthOver(Buffer.from(text), max)).toBe(want);
          expect(jsonDepthOver(plain, max)).toBe(want);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('urlCredentialProblem (a write rule: record refuses, the readable schema does not)', () => {
  const secret = 'S3CR3TVALUE0123';
  it.each([
    `https://b.s3.amazonaws.com/a.tgz?X-Amz-Credential=AKIA&X-Amz-Signature=${secret}`,
    `https://b.s3.amazonaws.com/a.tgz?AWSAccessKeyId=AKIA&Signature=${secret}&Expires=1`,
    `https://storage.googleapis.com/b/a.tgz?X-Goog-Signature=${secret}`,
    `https://a.blob.core.windows.net/c/a.tgz?sv=2024&sig=${secret}`,
    `https://d.cloudfront.net/a.tgz?Key-Pair-Id=K&Policy=p`,
    `https://e.com/a.tgz?token=${secret}`,
    `https://e.com/a.tgz?access_token=${secret}`,
    `https://gitlab.com/api/v4/a?private_token=${secret}`,
    `https://e.com/a?API_KEY=${secret}`,
    `https://e.com/a?x=1;jwt=${secret}`,
    `https://e.com/a?%74oken=${secret}`,
    `https://e.com/a#access_token=${secret}`,
    `https://user:${secret}@e.com/a.tgz`,
    `https://${secret}@e.com/a.tgz`,
  ])('refuses %s without echoing the value', (url) => {
    const message = urlCredentialProblem(url, 'artifact_url');
    expect(message).toMatch(/^artifact_url must not carry (a credential|credentials)/);
    expect(message).not.toContain(secret);
    expect(() => checkEntryUrls(makeEntry({ artifact_url: url }))).toThrowCode('LEDGER_URL_CREDENTIAL');
    // entries already in a ledger stay readable: the schema takes a signed query
    if (!url.includes('@')) expect(entryProblems(makeEntry({ artifact_url: url }))).toEqual([]);
  });

  it.each([
    'https://github.com/o/r/releases/download/v1.2.3/app.tgz',
    'https://e.com/dl?file=app.tgz&version=1.2&tokenizer=x&signed=true',
    'https://e.com/a?q=a@b',
    'https://e.com/a@b/c',
  ])('accepts %s', (url) => {
    expect(urlCredentialProblem(url, 'artifact_url')).toBeUndefined();
    expect(() => checkEntryUrls(makeEntry({ artifact_url: url }))).not.toThrow();
  });

  it("the schema's own url messages never show userinfo, query or fragment", () => {
    for (const url of [
      `https://u:${secret}@e.com/a b`,
      `https://e.com/a b?token=${secret}`,
      `https://u:${secret}@`,
    ]) {
      const problems = entryProblems(makeEntry({ artifact_url: url }));
      expect(problems.length).toBeGreaterThan(0);
      expect(JSON.stringify(problems)).not.toContain(secret);
    }
  });
});

describe('durations (seconds)', () => {
  // the ingest function refuses more than 1e9 (slsa_check_seconds): an entry the schema accepted
  // but the database refused held every later ingest's watermark back for good
  it.each([
    ['metrics.lock_wait_s', { lock_wait_s: 1e9 + 1 }],
    ['metrics.artifact_upload_latency_s', { artifact_upload_latency_s: 1e300 }],
    ['metrics.notify.latency_s', { notify: { attempts: 1, delivered: 1, latency_s: 2e9 } }],
  ])('refuses %s beyond 1e9', (path, metrics) => {
    expect(entryProblems(makeEntry({ metrics }))).toEqual([
      { path, message: expect.stringContaining('must be a number of seconds from 0 to 1e9') },
    ]);
  });
  it('takes 0 and 1e9', () => {
    expect(entryProblems(makeEntry({ metrics: { lock_wait_s: 0, artifact_upload_latency_s: 1e9 } }))).toEqual(
      [],
    );
  });
});

// Mutation audit (issue 14, seventeenth session): the fast paths (`isPlainTimestamp`, `tagFast`)
// must refuse every value the full checks refuse, and the full checks must keep the calendar.
describe('entry timestamps and tags, mutation audit', () => {
  const timestampProblems = (timestamp: string) =>
    entryProblems({ ...makeEntry(), timestamp }).filter((p) => p.path === 'timestamp');
  it.each([
    '2025-02-29T00:00:00Z', // not a leap year (fast path)
    '2025-04-31T00:00:00Z', // a 30-day month (fast path)
    '1969-12-31T23:59:59Z', // before 1970 (fast path)
    '2025-01-01T00:00:60Z', // a leap second (fast path)
    '2025-01-01T24:00:00Z', // hour 24 (full check)
    '2100-02-29T00:00:00Z', // a century that is no leap year (full check)
    '2025-02-29T00:00:00.5Z', // with a fraction: the full check
  ])('refuses %s', (timestamp) => {
    expect(timestampProblems(timestamp)).toHaveLength(1);
  });
  it.each(['2024-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '2000-02-29T00:00:00.5Z', '2025-12-31T23:59:59Z'])(
    'accepts %s',
    (timestamp) => {
      expect(timestampProblems(timestamp)).toEqual([]);
    },
  );
  it('refuses a tag ending in .lock (git check-ref-format)', () => {
    expect(entryProblems(makeEntry({ tag: 'v1.2.3.lock' })).map((p) => p.path)).toEqual(['tag']);
  });
});
