import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeEntry } from '../../../test/support/ledger.js';
import {
  MAX_FINDINGS_PER_FILE_AND_CODE,
  checkLedgerFindings,
  type LedgerCommit,
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
