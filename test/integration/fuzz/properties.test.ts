// Issue 13 "Tests": property tests (fast-check) over entries, day files, commit histories and queue
// files, in process: every reader either answers or throws a coded SlsaLedgerError (never an
// uncoded error, which the CLI would turn into exit 70), and the history audit has no false
// positives on histories the merge rule allows. The seeds are fixed so a failure reproduces.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectItems } from '../../../src/app/ingest.js';
import { parseTrailers } from '../../../src/app/check.js';
import { parseJson } from '../../../src/core/input/strict-json.js';
import {
  checkLedgerFindings,
  findingCodes,
  HistoryAudit,
  type LedgerCommit,
} from '../../../src/core/ledger/check.js';
import { parseEntry, serializeManifest, type LedgerEntry } from '../../../src/core/ledger/entry.js';
import { applyMergeRule } from '../../../src/core/ledger/merge.js';
import { parseQueue } from '../../../src/core/ledger/queue.js';
import { isSlsaLedgerError } from '../../../src/errors.js';
import { parseDayFileStrict } from '../../../src/io/ledger-reader.js';
import { makeEntry } from '../../support/ledger.js';

const DAY = 'docs/reports/2025-11-24/manifest.json';
const sha = (t: string | Buffer): string => createHash('sha256').update(t).digest('hex');
const params = { seed: 1313, numRuns: 150 };

/** Runs `fn`; an uncoded exception fails the property with its message. */
function coded(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!isSlsaLedgerError(error)) throw new Error(`uncoded: ${String((error as Error)?.stack ?? error)}`);
  }
}

const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('v1.2.3\ufeff', 'v1\u200b', 'v1\u202e', '\ud800', '', ' ', '../x', '-x', 'a'.repeat(9000)),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(null, true, 3_000_000_000, -1, 2 ** 53, '1', [], {}),
  fc.json().map((j) => JSON.parse(j) as unknown),
);
const entryLike = fc.record(
  {
    run_id: fc.oneof(fc.integer({ min: 1, max: 1000 }), hostileValue),
    tag: fc.oneof(fc.constantFrom('v1.0.0', 'v1.0.1', 'v2'), hostileString),
    sha: fc.oneof(fc.constant('a'.repeat(40)), hostileString),
    artifact_url: fc.oneof(fc.constant('https://github.com/o/r/releases/download/v1/a.tgz'), hostileValue),
    actor: fc.oneof(fc.constant('bot'), hostileString),
    timestamp: fc.oneof(fc.constantFrom('2025-11-24T10:00:00Z', '9999-12-31T23:59:59Z'), hostileString),
    status: fc.oneof(fc.constantFrom('success', 'failure'), hostileValue),
    metrics: hostileValue,
    governance_flag: hostileValue,
  },
  { requiredKeys: ['run_id', 'tag'] },
);

/** Day-file text: canonical, nearly canonical (mutated), or anything. */
const dayText = fc.oneof(
  fc.array(entryLike, { maxLength: 4 }).map((es) => `${JSON.stringify(es, null, 2)}\n`),
  fc
    .tuple(fc.array(entryLike, { maxLength: 3 }), fc.nat(), fc.string({ maxLength: 3 }))
    .map(([es, at, ins]) => {
      const t = JSON.stringify(es, null, 2);
      const i = at % (t.length + 1);
      return t.slice(0, i) + ins + t.slice(i + 1);
    }),
  fc.json(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.nat({ max: 50 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
);

describe('readers answer or refuse with a code, never crash', () => {
  it('day files: parseDayFileStrict, the audit and ingest', () => {
    fc.assert(
      fc.property(dayText, (text) => {
        const bytes = Buffer.from(text);
        coded(() => parseDayFileStrict({ path: DAY, bytes }));
        coded(() => checkLedgerFindings({ files: [{ path: DAY, text, sha256: sha(bytes) }], commits: [] }));
        coded(() => collectItems([{ path: DAY, bytes, sha256: sha(bytes) }], null));
      }),
      params,
    );
  });

  it('entries: parseEntry after the bounded parse', () => {
    fc.assert(
      fc.property(entryLike, (e) => {
        coded(() => parseEntry(parseJson(JSON.stringify(e), 'entry', 'entry')));
      }),
      params,
    );
  });

  it('queue files', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(
            fc.record({
              entry: entryLike,
              reason: hostileValue,
              queued_at: hostileValue,
              attempts: hostileValue,
            }),
          ),
          hostileValue,
        ),
        (q) => {
          const text = JSON.stringify(q) ?? 'null';
          coded(() => {
            parseJson(text, 'queueFile', 'queue'); // the bounded check the queue reader does first
            parseQueue(text, 'queue.json');
          });
        },
      ),
      params,
    );
  });

  it('commit histories: any commits, any trailers, any texts', () => {
    const trailerSet = fc.record({
      'Provenance-Run-Id': fc.array(fc.oneof(fc.constantFrom('1', '2', '01', ' 1', '1e0'), hostileString), {
        maxLength: 2,
      }),
      'Provenance-Tag': fc.array(fc.oneof(fc.constantFrom('v1.0.0', 'v1.0.0\ufeff'), hostileString), {
        maxLength: 2,
      }),
      'Manifest-Path': fc.array(fc.constantFrom(DAY, 'docs/reports/2025-11-25/manifest.json', 'x'), {
        maxLength: 2,
      }),
      'Manifest-Sha256': fc.array(fc.oneof(fc.constant('0'.repeat(64)), hostileString), { maxLength: 2 }),
    });
    const commit = fc.record({
      trailers: trailerSet,
      after: fc.option(dayText, { nil: undefined }),
      refused: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(commit, { minLength: 1, maxLength: 6 }), fc.boolean(), (cs, signed) => {
        const audit = new HistoryAudit(signed);
        cs.forEach((c, i) => {
          const lc: LedgerCommit = {
            commit: String(i).padStart(40, '0'),
            subject: 's',
            trailers: c.trailers,
            changes: [
              c.refused
                ? { path: DAY, afterRefused: { code: 'INPUT_TOO_LARGE', message: 'big' } }
                : {
                    path: DAY,
                    ...(c.after === undefined ? {} : { after: c.after, afterSha256: sha(c.after) }),
                  },
            ],
            signed: i % 2 === 0,
          };
          coded(() => audit.add(lc));
        });
        const last = cs[cs.length - 1]!.after ?? '[]';
        const findings = audit.finish([{ path: DAY, text: last, sha256: sha(last) }]);
        for (const f of findings) expect(Object.keys(findingCodes)).toContain(f.code);
      }),
      params,
    );
  });

  it('trailer parsing keeps values exactly (no trim of U+FEFF, zero-width or RTL characters)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), (value) => {
        fc.pre(!/[\n\r]/.test(value) && !/^[ \t]/.test(value));
        expect(parseTrailers(`Provenance-Tag: ${value}`)['Provenance-Tag']).toEqual([value]);
      }),
      params,
    );
  });
});

describe('no false positives: histories the merge rule allows are clean', () => {
  it('a run recorded, then updated with newer timestamps, by commits with correct trailers', () => {
    const step = fc.record({
      minutes: fc.integer({ min: 0, max: 59 }),
      status: fc.constantFrom('success', 'failure'),
      flag: fc.option(fc.constantFrom('provenance-ready', 'artifact-missing'), { nil: undefined }),
      release: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), (steps) => {
        const commits: LedgerCommit[] = [];
        let minute = 0;
        let current: LedgerEntry | undefined;
        let text = '';
        steps.forEach((s, i) => {
          minute += s.minutes;
          const ts = `2025-11-24T1${Math.floor(minute / 60) % 10}:${String(minute % 60).padStart(2, '0')}:00Z`;
          const incoming = makeEntry({
            run_id: 7,
            tag: 'v1.0.0',
            timestamp: ts,
            status: s.status,
            ...(s.status === 'failure' ? { artifact_url: null, failure_reason: 'upload failed' } : {}),
            ...(s.flag === undefined ? {} : { governance_flag: s.flag }),
            ...(s.release || current?.release_url !== undefined
              ? { release_url: 'https://github.com/o/r/releases/tag/v1.0.0' }
              : {}),
          });
          // what record would store: the merge rule applied to the stored entry
          current =
            current === undefined
              ? parseEntry(incoming)
              : (applyMerge(current, parseEntry(incoming)) ?? current);
          const next = serializeManifest([current]);
          if (next === text) return;
          text = next;
          commits.push({
            commit: String(i).padStart(40, '0'),
            subject: 'provenance: record',
            trailers: {
              'Provenance-Run-Id': ['7'],
              'Provenance-Tag': ['v1.0.0'],
              'Manifest-Path': [DAY],
              'Manifest-Sha256': [sha(text)],
            },
            changes: [{ path: DAY, after: text, afterSha256: sha(text) }],
          });
        });
        const findings = checkLedgerFindings({ files: [{ path: DAY, text, sha256: sha(text) }], commits });
        expect(findings).toEqual([]);
      }),
      params,
    );
  });
});

function applyMerge(stored: LedgerEntry, incoming: LedgerEntry): LedgerEntry | undefined {
  const r = applyMergeRule([{ path: DAY, entries: [stored] }], incoming);
  return r.outcome === 'stale' ? undefined : r.entry;
}
