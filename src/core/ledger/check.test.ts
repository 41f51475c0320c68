import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeEntry } from '../../../test/support/ledger.js';
import {
  MAX_FINDINGS_PER_FILE_AND_CODE,
  TRAILERS,
  checkLedgerFindings,
  findManifestProblems,
  findUnexpectedPaths,
  type LedgerCommit,
  type ManifestChange,
  type ManifestSnapshot,
} from './check.js';
import { serializeManifest, type LedgerEntry } from './entry.js';

const P23 = 'docs/reports/2025-11-23/manifest.json';
const P24 = 'docs/reports/2025-11-24/manifest.json';
const sha = (t: string): string => createHash('sha256').update(t).digest('hex');
const snap = (path: string, text: string): ManifestSnapshot => ({ path, text, sha256: sha(text) });

function recordCommit(
  n: number,
  path: string,
  before: string | undefined,
  after: string,
  e: Pick<LedgerEntry, 'tag' | 'run_id'>,
  hash = sha(after),
): LedgerCommit {
  return {
    commit: String(n).repeat(40).slice(0, 40),
    subject: `provenance: record ${e.tag} (run ${e.run_id}, success)`,
    trailers: {
      'Provenance-Run-Id': [String(e.run_id)],
      'Provenance-Tag': [e.tag],
      'Manifest-Path': [path],
      'Manifest-Sha256': [hash],
    },
    changes: [{ path, ...(before === undefined ? {} : { before }), after, afterSha256: sha(after) }],
  };
}

const e1 = makeEntry({ tag: 'v1.0.0', run_id: 1, timestamp: '2025-11-23T10:00:00Z' });
const e2 = makeEntry({ tag: 'v1.0.1', run_id: 2, timestamp: '2025-11-24T10:00:00Z' });
const e3 = makeEntry({ tag: 'v1.0.2', run_id: 3, timestamp: '2025-11-24T11:00:00Z' });
const t23 = serializeManifest([e1]);
const t24a = serializeManifest([e2]);
const t24b = serializeManifest([e2, e3]);
const cleanHistory = [
  recordCommit(1, P23, undefined, t23, e1),
  recordCommit(2, P24, undefined, t24a, e2),
  recordCommit(3, P24, t24a, t24b, e3),
];

function codes(files: ManifestSnapshot[], commits: LedgerCommit[], requireSigned = false): string[] {
  return checkLedgerFindings({ files, commits, requireSigned }).map((f) => f.code);
}

describe('checkLedgerFindings', () => {
  it('finds nothing in a clean ledger', () => {
    expect(codes([snap(P23, t23), snap(P24, t24b)], cleanHistory)).toEqual([]);
  });

  it.each<[string, () => [ManifestSnapshot[], LedgerCommit[]], string]>([
    ['invalid json', () => [[snap(P23, '[')], []], 'CHECK_MANIFEST_INVALID'],
    ['not an array', () => [[snap(P23, '{}\n')], []], 'CHECK_MANIFEST_INVALID'],
    [
      'schema',
      () => [[snap(P23, JSON.stringify([{ ...e1, sha: 'x' }], null, 2) + '\n')], []],
      'CHECK_SCHEMA_INVALID',
    ],
    [
      'missing failure_reason',
      () => [[snap(P23, JSON.stringify([{ ...e1, status: 'failure' }], null, 2) + '\n')], []],
      'CHECK_FAILURE_REASON_MISSING',
    ],
    ['reordered file', () => [[snap(P24, JSON.stringify([e3, e2], null, 2) + '\n')], []], 'CHECK_ORDER'],
    ['non-canonical bytes', () => [[snap(P24, JSON.stringify([e2, e3]) + '\n')], []], 'CHECK_NOT_CANONICAL'],
    [
      'duplicate in one file',
      () => [[snap(P24, JSON.stringify([e2, e2], null, 2) + '\n')], []],
      'CHECK_DUPLICATE_KEY',
    ],
    [
      'duplicate across days',
      () => [
        [snap(P23, t23), snap(P24, serializeManifest([{ ...e1, timestamp: '2025-11-24T01:00:00Z' }]))],
        [],
      ],
      'CHECK_DUPLICATE_KEY',
    ],
    ['entry older than its day', () => [[snap(P24, serializeManifest([e1]))], []], 'CHECK_WRONG_DAY'],
    [
      'commit without trailers',
      () => [[snap(P23, t23)], [{ ...recordCommit(1, P23, undefined, t23, e1), trailers: {} }]],
      'CHECK_TRAILERS_MISSING',
    ],
    [
      'trailer path not changed',
      () => [
        [snap(P23, t23)],
        [
          recordCommit(1, P23, undefined, t23, e1),
          { ...recordCommit(2, P24, undefined, t24a, e2), changes: [] },
        ],
      ],
      'CHECK_TRAILERS_MISMATCH',
    ],
    [
      'trailer hash wrong in its commit',
      () => [[snap(P23, t23)], [recordCommit(1, P23, undefined, t23, e1, sha('other'))]],
      'CHECK_HASH_MISMATCH',
    ],
    [
      'hand edit after the last record',
      () => [
        [snap(P23, serializeManifest([{ ...e1, actor: 'mallory' }]))],
        [recordCommit(1, P23, undefined, t23, e1)],
      ],
      'CHECK_HASH_MISMATCH',
    ],
    ['file never written with a trailer', () => [[snap(P23, t23)], []], 'CHECK_HASH_MISMATCH'],
    [
      'commit changing another run',
      () => [
        [snap(P24, t24b)],
        [
          recordCommit(2, P24, undefined, t24a, e2),
          recordCommit(3, P24, t24a, serializeManifest([{ ...e2, actor: 'x' }, e3]), e3),
        ],
      ],
      'CHECK_FOREIGN_RUN_CHANGED',
    ],
  ])('finds %s', (_name, make, code) => {
    const [files, commits] = make();
    expect(codes(files, commits)).toContain(code);
  });

  it('reports unsigned commits only when signatures are required', () => {
    const files = [snap(P23, t23), snap(P24, t24b)];
    expect(codes(files, cleanHistory, false)).toEqual([]);
    expect(codes(files, cleanHistory, true)).toEqual([
      'CHECK_UNSIGNED_COMMIT',
      'CHECK_UNSIGNED_COMMIT',
      'CHECK_UNSIGNED_COMMIT',
    ]);
    expect(
      codes(
        files,
        cleanHistory.map((c) => ({ ...c, signed: true })),
        true,
      ),
    ).toEqual([]);
  });

  it('names path, commit and run in findings', () => {
    const [f] = checkLedgerFindings({
      files: [snap(P23, t23)],
      commits: [{ ...recordCommit(1, P23, undefined, t23, e1), trailers: {} }],
    });
    expect(f).toMatchObject({ code: 'CHECK_TRAILERS_MISSING', path: P23, commit: '1'.repeat(40) });
  });

  it("lists at most 100 findings of a code per file: day files of 50,000 '{}' (twenty of them, a 100 KB push, were 7 million)", () => {
    // before the cap: 7,000,000 findings, 3 GB, and exit 70 printing them (issue 13)
    const objects = `[${Array.from({ length: 50_000 }, () => '{}').join(',')}]\n`;
    const files = Array.from({ length: 3 }, (_, i) =>
      snap(`docs/reports/2025-11-${String(i + 10)}/manifest.json`, objects),
    );
    const findings = checkLedgerFindings({ files, commits: [] });
    const perFile = findings.filter((f) => f.path === files[0]!.path);
    const schema = perFile.filter((f) => f.code === 'CHECK_SCHEMA_INVALID');
    expect(schema).toHaveLength(MAX_FINDINGS_PER_FILE_AND_CODE + 1);
    expect(schema.at(-1)!.message).toMatch(/^and \d+ more CHECK_SCHEMA_INVALID findings in this file/);
    expect(findings.length).toBeLessThan(3 * 10 * (MAX_FINDINGS_PER_FILE_AND_CODE + 1));
  });

  it('lists at most 100 findings of a code per change of a file in history', () => {
    const many = Array.from({ length: 500 }, (_, i) =>
      makeEntry({ tag: `v2.0.${i}`, run_id: i + 10, timestamp: '2025-11-23T12:00:00Z' }),
    );
    const before = serializeManifest([e1, ...many]);
    const after = serializeManifest([e1, ...many.map((e) => ({ ...e, actor: 'mallory' }))]);
    const findings = checkLedgerFindings({
      files: [snap(P23, after)],
      commits: [recordCommit(1, P23, undefined, before, e1), recordCommit(2, P23, before, after, e1)],
    });
    for (const code of ['CHECK_FOREIGN_RUN_CHANGED', 'CHECK_MERGE_RULE_BROKEN']) {
      const found = findings.filter((f) => f.code === code && f.commit === '2'.repeat(40));
      expect(found).toHaveLength(MAX_FINDINGS_PER_FILE_AND_CODE + 1);
      expect(found.at(-1)!.message).toMatch(/^and 400 more .* in this change of the file by 2222/);
    }
  });

  it('reports an entry stamped ahead of the clock (a hand push of 9999-12-31) only with a clock', () => {
    const future = makeEntry({ tag: 'v9.0.0', run_id: 9, timestamp: '9999-12-31T23:59:59Z' });
    const later = makeEntry({
      tag: 'v9.0.1',
      run_id: 10,
      timestamp: '2025-11-23T10:00:00Z',
      validation: { status: 'passed', validated_at: '2025-11-23T10:10:00Z', validator_run_id: 11 },
    });
    const text = serializeManifest([future, later]);
    const clock = { now: new Date('2025-11-23T10:00:00Z'), skewS: 300 };
    const found = (c?: typeof clock) =>
      checkLedgerFindings({ files: [snap(P23, text)], commits: [], ...(c === undefined ? {} : { clock: c }) })
        .filter((f) => f.code === 'CHECK_TIMESTAMP_FUTURE')
        .map((f) => f.tag);
    expect(found()).toEqual([]);
    expect(found(clock)).toEqual(['v9.0.0', 'v9.0.1']);
    expect(found({ ...clock, skewS: 3600 })).toEqual(['v9.0.0']);
  });
});

// Pinned by the hand mutation audit of check.ts (docs/status.md): each test fails with one mutant.
describe('checkLedgerFindings: trailers', () => {
  const c1 = recordCommit(1, P23, undefined, t23, e1);

  it('takes the last value of a repeated trailer and matches trailer keys in any case, as git does', () => {
    const twice = { ...c1, trailers: { ...c1.trailers, 'Manifest-Sha256': [sha('other'), sha(t23)] } };
    expect(codes([snap(P23, t23)], [twice])).toEqual([]);
    const lower = Object.fromEntries(Object.entries(c1.trailers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(codes([snap(P23, t23)], [{ ...c1, trailers: lower }])).toEqual([]);
  });

  it.each(TRAILERS)('reports a commit without %s alone as CHECK_TRAILERS_MISSING', (key) => {
    const { [key]: _dropped, ...rest } = c1.trailers;
    const [f] = checkLedgerFindings({ files: [snap(P23, t23)], commits: [{ ...c1, trailers: rest }] });
    expect(f).toMatchObject({ code: 'CHECK_TRAILERS_MISSING', commit: c1.commit });
    expect(f!.message).toContain(key);
  });

  it.each(['01', '1 ', ' 1', '+1', '1.0', '1e0', '0x1'])(
    'compares Provenance-Run-Id exactly: %j does not name run 1',
    (runId) => {
      const c = { ...c1, trailers: { ...c1.trailers, 'Provenance-Run-Id': [runId] } };
      expect(codes([snap(P23, t23)], [c])).toEqual(['CHECK_FOREIGN_RUN_CHANGED']);
    },
  );

  it('reports a Manifest-Path naming a file the commit did not change, whatever else it changed', () => {
    // names P23 (with the hash of the P24 bytes it wrote) but changes only P24
    const c = {
      ...recordCommit(2, P24, undefined, t24a, e2),
      trailers: { ...recordCommit(2, P24, undefined, t24a, e2).trailers, 'Manifest-Path': [P23] },
    };
    const found = checkLedgerFindings({ files: [snap(P23, t23), snap(P24, t24a)], commits: [c1, c] });
    expect(found.filter((f) => f.commit === c.commit).map((f) => f.code)).toContain(
      'CHECK_TRAILERS_MISMATCH',
    );
    // and its trailer hash does not stand for P23, which it did not write
    expect(found.filter((f) => f.code === 'CHECK_HASH_MISMATCH' && f.path === P23)).toEqual([]);
  });
});

describe('checkLedgerFindings: history states', () => {
  const c1 = recordCommit(1, P23, undefined, t23, e1);
  const edited = serializeManifest([{ ...e1, actor: 'mallory' }]);

  it('compares each change with the last state it saw, not with the `before` of a later change', () => {
    // the app passes `before` only for the first change of a path
    const { before: _b, ...change } = recordCommit(2, P23, t23, edited, e1).changes[0]!;
    const later = { ...recordCommit(2, P23, t23, edited, e1), changes: [change] };
    expect(codes([snap(P23, edited)], [c1, later])).toEqual(['CHECK_MERGE_RULE_BROKEN']);
    const lying = recordCommit(2, P23, edited, edited, e1);
    expect(codes([snap(P23, edited)], [c1, lying])).toEqual(['CHECK_MERGE_RULE_BROKEN']);
  });

  it('reports an entry removed from a day file', () => {
    const c = recordCommit(2, P24, t24b, t24a, e3);
    expect(codes([snap(P24, t24a)], [cleanHistory[1]!, cleanHistory[2]!, c])).toEqual([
      'CHECK_MERGE_RULE_BROKEN',
    ]);
  });

  it.each<[string, Partial<LedgerEntry>]>([
    ['another tag of the same run', { tag: 'v9.9.9' }],
    ['another run of the same tag', { run_id: 99 }],
  ])('reports a commit that changes %s than its trailers name', (_name, other) => {
    const foreign = makeEntry({ ...e1, ...other, timestamp: '2025-11-23T11:00:00Z' });
    const both = serializeManifest(
      [e1, foreign].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : a.run_id - b.run_id)),
    );
    expect(codes([snap(P23, both)], [c1, recordCommit(2, P23, t23, both, e1)])).toEqual([
      'CHECK_FOREIGN_RUN_CHANGED',
    ]);
  });

  it.each<[string, Partial<ManifestChange>]>([
    ['not json', { after: '[', afterSha256: sha('[') }],
    ['not an array', { after: '{}\n', afterSha256: sha('{}\n') }],
    ['not read (a symlink)', { afterRefused: { code: 'INPUT_FILE_NOT_REGULAR', message: 'a symlink' } }],
  ])(
    'reports a commit writing a day file that is %s, and the next state is compared with the last readable one',
    (_name, bad) => {
      const broken: LedgerCommit = {
        ...recordCommit(2, P23, t23, t23, e1),
        changes: [{ path: P23, ...bad }],
      };
      // a refused blob has no hash to compare its trailer with: only CHECK_HISTORY_BLOB_INVALID
      (broken.trailers as Record<string, string[]>)['Manifest-Sha256'] = [bad.afterSha256 ?? sha('unread')];
      const third = recordCommit(3, P23, bad.after, edited, e1);
      const { before: _b, ...change } = third.changes[0]!;
      const found = checkLedgerFindings({
        files: [snap(P23, edited)],
        commits: [c1, broken, { ...third, changes: [change] }],
      });
      expect(found.filter((f) => f.commit === broken.commit).map((f) => f.code)).toEqual([
        'CHECK_HISTORY_BLOB_INVALID',
      ]);
      expect(found.filter((f) => f.commit === third.commit).map((f) => f.code)).toEqual([
        'CHECK_MERGE_RULE_BROKEN',
      ]);
    },
  );
});

describe('checkLedgerFindings: day files', () => {
  it('reports a day file at the head that was not read (a symlink, over a limit)', () => {
    const refused: ManifestSnapshot = {
      path: P23,
      text: '',
      sha256: sha(''),
      refused: { code: 'INPUT_FILE_NOT_REGULAR', message: 'a symlink' },
    };
    expect(codes([refused], [recordCommit(1, P23, undefined, t23, e1)])).toEqual(['CHECK_MANIFEST_INVALID']);
  });

  it('adds no closing finding when a change has exactly 100 findings of a code', () => {
    const many = Array.from({ length: MAX_FINDINGS_PER_FILE_AND_CODE }, (_, i) =>
      makeEntry({ tag: `v2.0.${i}`, run_id: i + 10, timestamp: '2025-11-23T12:00:00Z' }),
    );
    const before = serializeManifest([e1, ...many]);
    const after = serializeManifest([e1, ...many.map((e) => ({ ...e, actor: 'mallory' }))]);
    const found = checkLedgerFindings({
      files: [snap(P23, after)],
      commits: [recordCommit(1, P23, undefined, before, e1), recordCommit(2, P23, before, after, e1)],
    }).filter((f) => f.code === 'CHECK_FOREIGN_RUN_CHANGED' && f.commit === '2'.repeat(40));
    expect(found).toHaveLength(MAX_FINDINGS_PER_FILE_AND_CODE);
    expect(found.filter((f) => f.message.startsWith('and '))).toEqual([]);
  });

  it('allows a time exactly the skew ahead of the clock ("more than 300 s" is the finding)', () => {
    const text = serializeManifest([
      makeEntry({ tag: 'v3.0.0', run_id: 30, timestamp: '2025-11-23T10:05:00Z' }),
    ]);
    const future = (now: string): number =>
      findManifestProblems([snap(P23, text)], undefined, { now: new Date(now), skewS: 300 }).filter(
        (f) => f.code === 'CHECK_TIMESTAMP_FUTURE',
      ).length;
    expect(future('2025-11-23T10:00:00Z')).toBe(0);
    expect(future('2025-11-23T09:59:59.999Z')).toBe(1);
  });

  it('checks order and bytes only in a file whose entries are all valid', () => {
    const text = JSON.stringify([e3, { ...e2, sha: 'x' }], null, 2) + '\n';
    expect(findManifestProblems([snap(P24, text)]).map((f) => f.code)).toEqual(['CHECK_SCHEMA_INVALID']);
  });

  it('reports a key twice in one file as a duplicate, not as out of order', () => {
    const text = serializeManifest([e2, e2]);
    expect(findManifestProblems([snap(P24, text)]).map((f) => f.code)).toEqual(['CHECK_DUPLICATE_KEY']);
  });

  it('hands the key index check only the day files the writers read (every entry valid)', () => {
    const days = new Map<string, readonly LedgerEntry[]>();
    const bad = JSON.stringify([e2, { ...e3, sha: 'x' }], null, 2) + '\n';
    findManifestProblems([snap(P23, t23), snap(P24, bad)], undefined, undefined, days);
    expect([...days]).toEqual([['2025-11-23', [e1]]]);
  });
});

describe('findUnexpectedPaths', () => {
  it('reports a path no writer writes and nothing for the day file', () => {
    const found = findUnexpectedPaths([P23, 'docs/reports/2025-11-23/Manifest.json']);
    expect(found.map((f) => [f.code, f.path])).toEqual([
      ['CHECK_UNEXPECTED_PATH', 'docs/reports/2025-11-23/Manifest.json'],
    ]);
  });
});

describe('checkLedgerFindings: a schema-invalid state in between', () => {
  it('hides no rewrite: the merge rule compares with the last schema-valid state of the entry', () => {
    // before: sha rewritten in a commit that also broke the schema (merge rule skipped), then the
    // schema repaired with the new sha kept (merge rule skipped again): no finding at all
    const c1 = recordCommit(1, P23, undefined, t23, e1);
    const rewritten = { ...e1, sha: 'b'.repeat(40) };
    const invalid = JSON.stringify([{ ...rewritten, extra: 1 }], null, 2) + '\n';
    const repaired = serializeManifest([rewritten]);
    const commits = [c1, recordCommit(2, P23, t23, invalid, e1), recordCommit(3, P23, invalid, repaired, e1)];
    const found = checkLedgerFindings({ files: [snap(P23, repaired)], commits });
    expect(found.map((f) => [f.code, f.commit?.[0]])).toEqual([['CHECK_MERGE_RULE_BROKEN', '3']]);
    expect(found[0]!.message).toMatch(/rewrites sha .*last schema-valid state/);
    // a schema-invalid state repaired back to what it was is no finding
    const back = [c1, recordCommit(2, P23, t23, invalid, e1), recordCommit(3, P23, invalid, t23, e1)];
    expect(codes([snap(P23, t23)], back)).toEqual([]);
    // nor does a commit in between that leaves the invalid entry as it is
    const other = makeEntry({ tag: 'v1.1.0', run_id: 4, timestamp: '2025-11-23T12:00:00Z' });
    const invalidAndOther = JSON.stringify([{ ...rewritten, extra: 1 }, other], null, 2) + '\n';
    const repairedAndOther = serializeManifest([rewritten, other]);
    const later = [
      c1,
      recordCommit(2, P23, t23, invalid, e1),
      recordCommit(3, P23, invalid, invalidAndOther, other),
      recordCommit(4, P23, invalidAndOther, repairedAndOther, e1),
    ];
    expect(
      checkLedgerFindings({ files: [snap(P23, repairedAndOther)], commits: later }).map((f) => [
        f.code,
        f.commit?.[0],
      ]),
    ).toEqual([['CHECK_MERGE_RULE_BROKEN', '4']]);
  });
});

describe('checkLedgerFindings: attribution and loose states', () => {
  it('names the last commit that wrote a file no Manifest-Sha256 trailer stands for', () => {
    const c = { ...recordCommit(4, P23, undefined, t23, e1), trailers: {} };
    const found = checkLedgerFindings({ files: [snap(P23, t23)], commits: [c] });
    expect(found.find((f) => f.code === 'CHECK_HASH_MISMATCH')).toMatchObject({ commit: c.commit });
  });

  it('tracks in a first `before` only what it tracks after: items with a text tag', () => {
    const junk = JSON.stringify([{ tag: 1, run_id: 1 }, e1], null, 2) + '\n';
    expect(codes([snap(P23, t23)], [recordCommit(1, P23, junk, t23, e1)])).toEqual([]);
  });
});
