import { describe, expect, it } from 'vitest';
import { makeEntry } from '../../../test/support/ledger.js';
import type { LedgerEntry } from '../ledger/entry.js';
import { applyMergeRule } from '../ledger/merge.js';
import { buildVerdictEntry } from '../validate/validate-plan.js';
import { checkMergeRule, checkTransitionChange } from './change-rules.js';
import type { TransitionKind } from './transition.js';

const recorded = makeEntry({ governance_flag: 'provenance-ready', metrics: { lock_wait_s: 0.1 } });
const merged = (previous: LedgerEntry, incoming: LedgerEntry, lockWaitS?: number): LedgerEntry =>
  applyMergeRule([{ path: 'p', entries: [previous] }], incoming, lockWaitS === undefined ? {} : { lockWaitS })
    .entry;

const later = merged(
  recorded,
  makeEntry({
    timestamp: '2025-11-24T10:05:00Z',
    governance_flag: 'artifact-missing',
    release_url: 'https://github.com/o/r/releases/tag/v1.2.3',
  }),
);
const verdict = merged(
  later,
  buildVerdictEntry(later, { passed: true, validatedAt: '2025-11-24T12:00:00Z', validatorRunId: 7 }),
  0.25,
);
const failedVerdict = merged(
  later,
  buildVerdictEntry(later, { passed: false, validatedAt: '2025-11-24T12:00:00Z', reason: 'bad' }),
);

// the verdict given again later, failing this time (e.g. its provenance was revoked)
const reJudged = merged(
  verdict,
  buildVerdictEntry(verdict, { passed: false, validatedAt: '2025-11-24T13:00:00Z', reason: 'revoked' }),
);

describe('checkMergeRule', () => {
  it('accepts whatever the merge rule makes', () => {
    expect(checkMergeRule(recorded, later)).toBeUndefined();
    expect(checkMergeRule(later, verdict)).toBeUndefined();
    expect(checkMergeRule(later, later)).toBeUndefined();
  });
});

const cases: readonly [
  string,
  TransitionKind,
  LedgerEntry | null,
  LedgerEntry,
  'merge-rule' | 'kind-exceeded' | undefined,
][] = [
  ['a record', 'record', null, recorded, undefined],
  ['an update', 'update', recorded, later, undefined],
  ['a passing verdict (with lock wait)', 'verdict', later, verdict, undefined],
  ['a failing verdict', 'verdict', later, failedVerdict, undefined],
  ['a changed sha', 'update', recorded, { ...later, sha: 'b'.repeat(40) }, 'merge-rule'],
  ['a changed actor', 'update', recorded, { ...later, actor: 'mallory' }, 'merge-rule'],
  [
    'a changed release_url',
    'update',
    later,
    { ...later, release_url: 'https://evil.example/r' },
    'merge-rule',
  ],
  ['an older timestamp', 'update', later, { ...later, timestamp: '2025-11-24T09:00:00Z' }, 'merge-rule'],
  ['a shrunk governance history', 'update', later, { ...later, governance_history: [] }, 'merge-rule'],
  [
    'a dropped provenance block',
    'update',
    {
      ...recorded,
      provenance: { digest: `sha256:${'a'.repeat(64)}`, predicate_type: 'p', builder_id: 'b', subjects: [] },
    },
    later,
    'merge-rule',
  ],
  [
    'a record with validation',
    'record',
    null,
    { ...recorded, validation: { status: 'passed', validated_at: '2025-11-24T12:00:00Z' } },
    'kind-exceeded',
  ],
  [
    'a record flagged validated',
    'record',
    null,
    { ...recorded, governance_flag: 'validated' },
    'kind-exceeded',
  ],
  ['an update that sets validation', 'update', later, verdict, 'kind-exceeded'],
  [
    'an update that flags validation-failed',
    'update',
    recorded,
    merged(recorded, { ...recorded, governance_flag: 'validation-failed' }),
    'kind-exceeded',
  ],
  [
    'an update of a judged entry keeping its verdict',
    'update',
    verdict,
    merged(verdict, {
      ...verdict,
      timestamp: '2025-11-24T13:00:00Z',
      metrics: { artifact_upload_latency_s: 2 },
    }),
    undefined,
  ],
  ['a verdict without validation', 'verdict', recorded, later, 'kind-exceeded'],
  [
    'a verdict with the wrong flag',
    'verdict',
    later,
    merged(later, { ...verdict, governance_flag: 'validation-failed' }),
    'kind-exceeded',
  ],
  [
    'a verdict that changes status',
    'verdict',
    later,
    merged(later, { ...verdict, status: 'failure', failure_reason: 'x', artifact_url: null }),
    'kind-exceeded',
  ],
  [
    'a verdict that changes other metrics',
    'verdict',
    later,
    merged(later, { ...verdict, metrics: { artifact_upload_latency_s: 5 } }),
    'kind-exceeded',
  ],
  ['a verdict on nothing', 'verdict', null, verdict, 'kind-exceeded'],
  [
    'a verdict that goes back to an older verdict (a superseded passed verdict replayed)',
    'verdict',
    reJudged,
    {
      ...reJudged,
      governance_flag: 'validated',
      validation: verdict.validation!,
      governance_history: [
        ...(reJudged.governance_history ?? []),
        { flag: 'validation-failed', timestamp: reJudged.timestamp, run_id: reJudged.run_id },
      ],
    },
    'merge-rule',
  ],
  ['a newer verdict over an older one', 'verdict', verdict, reJudged, undefined],
  // mutation audit (issue 14): a verdict may change only validation and its flag, so neither a
  // later timestamp nor a swapped provenance block may ride along (the merge rule allows both)
  [
    'a verdict that moves the timestamp forward',
    'verdict',
    later,
    merged(later, { ...verdict, timestamp: '2025-11-24T11:00:00Z' }),
    'kind-exceeded',
  ],
  [
    'a verdict that swaps the provenance block',
    'verdict',
    later,
    merged(later, {
      ...verdict,
      provenance: {
        digest: `sha256:${'e'.repeat(64)}`,
        predicate_type: 'p',
        builder_id: 'evil',
        subjects: [],
      },
    }),
    'kind-exceeded',
  ],
  // a record whose previous state exists (the callers never pass one; the public API may) still
  // answers to the merge rule
  [
    'a record that rewrites an existing run',
    'record',
    later,
    { ...later, sha: 'b'.repeat(40) },
    'merge-rule',
  ],
];

describe('checkMergeRule messages', () => {
  it('names a timestamp that went back, not just a state it cannot make', () => {
    expect(checkMergeRule(later, { ...later, timestamp: '2025-11-24T09:00:00Z' })?.message).toContain(
      'the timestamp went back from 2025-11-24T10:05:00Z to 2025-11-24T09:00:00Z',
    );
  });
});

describe('checkTransitionChange', () => {
  it.each(cases)('%s', (_name, kind, previous, next, rule) => {
    expect(checkTransitionChange(kind, previous, next)?.rule).toBe(rule);
  });
});
