import { describe, expect, it } from 'vitest';
import { makeEntry } from '../../../test/support/ledger.js';
import { isMarkedCanonical, parseDayFile, serializeManifest, type LedgerEntry } from './entry.js';
import { applyMergeRule, compareTimestamps, type ManifestDay } from './merge.js';

const P23 = 'docs/reports/2025-11-23/manifest.json';
const P24 = 'docs/reports/2025-11-24/manifest.json';

function days(): ManifestDay[] {
  return [
    {
      path: P23,
      entries: [
        makeEntry({
          tag: 'v1.0.0',
          run_id: 1,
          timestamp: '2025-11-23T10:00:00Z',
          governance_flag: 'provenance-ready',
        }),
      ],
    },
    { path: P24, entries: [makeEntry({ tag: 'v1.0.9', run_id: 2, timestamp: '2025-11-24T10:00:00Z' })] },
  ];
}

describe('applyMergeRule', () => {
  it.each<[string, Record<string, unknown>, string, string]>([
    [
      'new key, new day',
      { tag: 'v1.0.10', run_id: 3, timestamp: '2025-11-25T01:00:00Z' },
      'inserted',
      'docs/reports/2025-11-25/manifest.json',
    ],
    [
      'new key, existing day',
      { tag: 'v1.0.10', run_id: 3, timestamp: '2025-11-24T12:00:00Z' },
      'inserted',
      P24,
    ],
    [
      'new run of an existing tag',
      { tag: 'v1.0.9', run_id: 4, timestamp: '2025-11-24T12:00:00Z' },
      'inserted',
      P24,
    ],
    [
      'update',
      {
        tag: 'v1.0.9',
        run_id: 2,
        timestamp: '2025-11-24T11:00:00Z',
        status: 'failure',
        artifact_url: null,
        failure_reason: 'upload failed',
      },
      'updated',
      P24,
    ],
    [
      'same timestamp, new content',
      { tag: 'v1.0.9', run_id: 2, timestamp: '2025-11-24T10:00:00Z', governance_flag: 'validated' },
      'updated',
      P24,
    ],
    [
      'stale',
      {
        tag: 'v1.0.9',
        run_id: 2,
        timestamp: '2025-11-24T09:00:00Z',
        status: 'failure',
        artifact_url: null,
        failure_reason: 'x',
      },
      'stale',
      P24,
    ],
    ['identical', { tag: 'v1.0.9', run_id: 2, timestamp: '2025-11-24T10:00:00Z' }, 'unchanged', P24],
    [
      'update of an entry in an earlier day file',
      { tag: 'v1.0.0', run_id: 1, timestamp: '2025-11-26T10:00:00Z', governance_flag: 'validated' },
      'updated',
      P23,
    ],
  ])('%s', (_name, overrides, outcome, path) => {
    const input = days();
    const before = JSON.stringify(input);
    const result = applyMergeRule(input, makeEntry(overrides));
    expect(result.outcome).toBe(outcome);
    expect(result.path).toBe(path);
    expect(JSON.stringify(input)).toBe(before); // arguments never mutated
    if (outcome === 'inserted' || outcome === 'updated') {
      expect(result.files).toHaveLength(1);
      expect(result.files[0]!.path).toBe(path);
      expect(result.files[0]!.text).toBe(serializeManifest(result.files[0]!.entries));
      expect(result.files[0]!.entries).toContainEqual(result.entry);
    } else {
      expect(result.files).toEqual([]);
    }
  });

  it('updates status, artifact_url, timestamp and failure_reason, keeps identity fields', () => {
    const r = applyMergeRule(
      days(),
      makeEntry({
        tag: 'v1.0.9',
        run_id: 2,
        timestamp: '2025-11-24T11:00:00Z',
        status: 'failure',
        artifact_url: null,
        failure_reason: 'upload failed',
      }),
    );
    expect(r.entry).toMatchObject({
      status: 'failure',
      artifact_url: null,
      failure_reason: 'upload failed',
      timestamp: '2025-11-24T11:00:00Z',
    });
    const back = applyMergeRule(
      [{ path: P24, entries: [r.entry] }],
      makeEntry({ tag: 'v1.0.9', run_id: 2, timestamp: '2025-11-24T12:00:00Z' }),
    );
    expect(back.entry.failure_reason).toBeUndefined();
    expect(back.entry.status).toBe('success');
  });

  it('pushes the old governance_flag onto the history, oldest first', () => {
    const first = applyMergeRule(
      days(),
      makeEntry({
        tag: 'v1.0.0',
        run_id: 1,
        timestamp: '2025-11-23T11:00:00Z',
        governance_flag: 'validated',
      }),
    );
    expect(first.entry.governance_flag).toBe('validated');
    expect(first.entry.governance_history).toEqual([
      { flag: 'provenance-ready', timestamp: '2025-11-23T10:00:00Z', run_id: 1 },
    ]);
    const second = applyMergeRule(
      first.files.map((f) => ({ path: f.path, entries: f.entries })),
      makeEntry({
        tag: 'v1.0.0',
        run_id: 1,
        timestamp: '2025-11-23T12:00:00Z',
        governance_flag: 'validation-failed',
      }),
    );
    expect(second.entry.governance_history!.map((h) => h.flag)).toEqual(['provenance-ready', 'validated']);
    // no flag given: the flag and history stay
    const third = applyMergeRule(
      second.files.map((f) => ({ path: f.path, entries: f.entries })),
      makeEntry({ tag: 'v1.0.0', run_id: 1, timestamp: '2025-11-23T13:00:00Z' }),
    );
    expect(third.entry.governance_flag).toBe('validation-failed');
    expect(third.entry.governance_history).toHaveLength(2);
  });

  it.each([
    ['sha', { sha: 'b'.repeat(40) }],
    ['actor', { actor: 'mallory' }],
  ])('refuses a different %s with LEDGER_CONFLICT', (_name, overrides) => {
    expect(() =>
      applyMergeRule(
        days(),
        makeEntry({ tag: 'v1.0.9', run_id: 2, timestamp: '2025-11-24T11:00:00Z', ...overrides }),
      ),
    ).toThrowCode('LEDGER_CONFLICT');
  });

  it('refuses a different release_url, accepts one filled in later', () => {
    const withUrl = applyMergeRule(
      days(),
      makeEntry({
        tag: 'v1.0.9',
        run_id: 2,
        timestamp: '2025-11-24T11:00:00Z',
        release_url: 'https://x.example/r/1',
      }),
    );
    expect(withUrl.outcome).toBe('updated');
    const d = withUrl.files.map((f) => ({ path: f.path, entries: f.entries }));
    expect(() =>
      applyMergeRule(
        d,
        makeEntry({
          tag: 'v1.0.9',
          run_id: 2,
          timestamp: '2025-11-24T12:00:00Z',
          release_url: 'https://x.example/r/2',
        }),
      ),
    ).toThrowCode('LEDGER_CONFLICT');
    // a conflict wins over stale: an older entry with another sha is still refused
    expect(() =>
      applyMergeRule(
        d,
        makeEntry({ tag: 'v1.0.9', run_id: 2, timestamp: '2025-11-24T01:00:00Z', sha: 'c'.repeat(40) }),
      ),
    ).toThrowCode('LEDGER_CONFLICT');
  });

  it('merges metrics, keeps tool-written fields the incoming entry lacks, and records lock wait only on change', () => {
    const provenance = {
      digest: `sha256:${'b'.repeat(64)}`,
      predicate_type: 'https://slsa.dev/provenance/v1',
      builder_id: 'https://b.example',
      subjects: [{ name: 'a', sha256: 'c'.repeat(64) }],
    };
    const a = applyMergeRule([], makeEntry({ provenance, metrics: { artifact_upload_latency_s: 2 } }), {
      lockWaitS: 0.25,
    });
    expect(a.entry.metrics).toEqual({ artifact_upload_latency_s: 2, lock_wait_s: 0.25 });
    const d: ManifestDay[] = a.files.map((f) => ({ path: f.path, entries: f.entries }));
    expect(
      applyMergeRule(d, makeEntry({ provenance, metrics: { artifact_upload_latency_s: 2 } }), {
        lockWaitS: 3,
      }).outcome,
    ).toBe('unchanged');
    const v = applyMergeRule(
      d,
      makeEntry({
        validation: { status: 'passed', validated_at: '2025-11-24T10:30:00Z' },
        metrics: { notify: { attempts: 1, delivered: 1 } },
      }),
      { lockWaitS: 0.5 },
    );
    expect(v.outcome).toBe('updated');
    expect(v.entry.provenance).toEqual(provenance);
    expect(v.entry.metrics).toEqual({
      artifact_upload_latency_s: 2,
      lock_wait_s: 0.5,
      notify: { attempts: 1, delivered: 1 },
    });
  });

  it('never lets an older verdict replace a newer one, alone or carried by an update', () => {
    const days = (r: {
      files: readonly { path: string; entries: readonly LedgerEntry[] }[];
    }): ManifestDay[] => r.files.map((f) => ({ path: f.path, entries: f.entries }));
    const passed = makeEntry({
      governance_flag: 'validated',
      validation: { status: 'passed', validated_at: '2025-11-24T12:00:00Z' },
    });
    const first = applyMergeRule([], passed);
    const failed = applyMergeRule(
      days(first),
      makeEntry({
        governance_flag: 'validation-failed',
        validation: { status: 'failed', validated_at: '2025-11-24T13:00:00Z', reason: 'revoked' },
      }),
    );
    expect(failed.outcome).toBe('updated');
    // the superseded passed verdict again (same entry timestamp): nothing changes
    const replay = applyMergeRule(days(failed), passed);
    expect(replay.outcome).toBe('unchanged');
    expect(replay.entry.validation?.status).toBe('failed');
    // an update signed before the newer verdict carries the old one: it lands, the verdict stays
    const update = applyMergeRule(days(failed), { ...passed, timestamp: '2025-11-24T14:00:00Z' });
    expect(update.outcome).toBe('updated');
    expect(update.entry).toMatchObject({
      timestamp: '2025-11-24T14:00:00Z',
      governance_flag: 'validation-failed',
      validation: { status: 'failed', validated_at: '2025-11-24T13:00:00Z' },
    });
  });

  it('keeps the day file sorted on insert', () => {
    let d: ManifestDay[] = [];
    const tags = ['v1.10', 'v1.2', 'v1.9', 'v1.2', 'v1.1'];
    tags.forEach((tag, i) => {
      const r = applyMergeRule(d, makeEntry({ tag, run_id: 10 - i }));
      d = r.files.map((f) => ({ path: f.path, entries: f.entries }));
    });
    expect(d[0]!.entries.map((e: LedgerEntry) => `${e.tag}/${e.run_id}`)).toEqual([
      'v1.1/6',
      'v1.2/7',
      'v1.2/9',
      'v1.9/8',
      'v1.10/10',
    ]);
  });
});

describe('compareTimestamps', () => {
  it('compares instants, including sub-millisecond fractions', () => {
    expect(compareTimestamps('2025-11-24T10:00:00Z', '2025-11-24T10:00:00.000Z')).toBe(0);
    expect(compareTimestamps('2025-11-24T10:00:00.0001Z', '2025-11-24T10:00:00Z')).toBeGreaterThan(0);
    expect(compareTimestamps('2025-11-24T09:59:59.999Z', '2025-11-24T10:00:00Z')).toBeLessThan(0);
  });
});

describe('lists parsed from a canonical file (marked canonical)', () => {
  const path = 'docs/reports/2025-11-24/manifest.json';
  const list = [
    makeEntry({ tag: 'v1.0.1', run_id: 1, timestamp: '2025-11-24T10:00:00Z' }),
    makeEntry({ tag: 'v1.0.3', run_id: 3, timestamp: '2025-11-24T10:00:00Z' }),
  ];
  // a file written with its keys out of canonical order: the parser copies those entries
  const shuffled = `[${list.map((e) => JSON.stringify(Object.fromEntries(Object.entries(e).reverse()))).join(',')}]`;

  it.each([
    ['insert', makeEntry({ tag: 'v1.0.2', run_id: 2, timestamp: '2025-11-24T11:00:00Z' })],
    [
      'update',
      {
        ...list[1]!,
        timestamp: '2025-11-24T12:00:00Z',
        status: 'failure',
        artifact_url: null,
        failure_reason: 'x',
      },
    ],
  ] as const)('%s: the same bytes as the same entries unmarked', (_, incoming) => {
    for (const text of [serializeManifest(list), shuffled]) {
      const parsed = parseDayFile(Buffer.from(text), path);
      expect(isMarkedCanonical(parsed)).toBe(true);
      const marked = applyMergeRule([{ path, entries: parsed }], incoming, { lockWaitS: 0.5 });
      const plain = applyMergeRule([{ path, entries: [...parsed] }], incoming, {
        lockWaitS: 0.5,
      });
      expect(isMarkedCanonical([...parsed])).toBe(false);
      expect(isMarkedCanonical(marked.files[0]!.entries)).toBe(true);
      expect(marked.files[0]!.text).toBe(plain.files[0]!.text);
      expect(marked.files[0]!.text).toBe(
        serializeManifest(JSON.parse(marked.files[0]!.text) as LedgerEntry[]),
      );
    }
  });
});

// Mutation audit (issue 14, seventeenth session): each case fails on a plausible bug in the merge
// rule that no test above caught.
describe('applyMergeRule, mutation audit', () => {
  const daysOf = (r: {
    files: readonly { path: string; entries: readonly LedgerEntry[] }[];
  }): ManifestDay[] => r.files.map((f) => ({ path: f.path, entries: f.entries }));

  it('keys on tag and run id together: another tag of the same run is a new entry', () => {
    const r = applyMergeRule(
      days(),
      makeEntry({ tag: 'v2.0.0', run_id: 2, timestamp: '2025-11-24T11:00:00Z' }),
    );
    expect(r.outcome).toBe('inserted');
    expect(r.entry.tag).toBe('v2.0.0');
    expect(r.files[0]!.entries.map((e) => e.tag)).toEqual(['v1.0.9', 'v2.0.0']);
  });

  it('keeps a stored release_url when a later update does not carry one (no conflict)', () => {
    const withUrl = applyMergeRule(
      days(),
      makeEntry({
        tag: 'v1.0.9',
        run_id: 2,
        timestamp: '2025-11-24T11:00:00Z',
        release_url: 'https://x.example/r/1',
      }),
    );
    const later = applyMergeRule(
      daysOf(withUrl),
      makeEntry({
        tag: 'v1.0.9',
        run_id: 2,
        timestamp: '2025-11-24T12:00:00Z',
        status: 'failure',
        failure_reason: 'x',
        artifact_url: null,
      }),
    );
    expect(later.outcome).toBe('updated');
    expect(later.entry.release_url).toBe('https://x.example/r/1');
  });

  it('starts no history when an entry gets its first flag', () => {
    const r = applyMergeRule(
      days(),
      makeEntry({
        tag: 'v1.0.9',
        run_id: 2,
        timestamp: '2025-11-24T11:00:00Z',
        governance_flag: 'provenance-ready',
      }),
    );
    expect(r.entry.governance_flag).toBe('provenance-ready');
    expect(r.entry.governance_history).toBeUndefined();
  });

  it('an update carrying an older verdict keeps the newer verdict but lands its own non-verdict flag', () => {
    const judged = applyMergeRule(
      [],
      makeEntry({
        governance_flag: 'validation-failed',
        validation: { status: 'failed', validated_at: '2025-11-24T13:00:00Z', reason: 'revoked' },
      }),
    );
    const update = applyMergeRule(
      daysOf(judged),
      makeEntry({
        timestamp: '2025-11-24T14:00:00Z',
        governance_flag: 'artifact-missing',
        validation: { status: 'passed', validated_at: '2025-11-24T12:00:00Z' },
      }),
    );
    expect(update.entry).toMatchObject({
      governance_flag: 'artifact-missing',
      validation: { status: 'failed', validated_at: '2025-11-24T13:00:00Z' },
      governance_history: [{ flag: 'validation-failed' }],
    });
  });
});
