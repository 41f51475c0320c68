import { describe, expect, it } from 'vitest';
import { makeEntry } from '../../../test/support/ledger.js';
import {
  keyMaterial,
  keyPolicy,
  LOCATION,
  makeTestKey,
  makeVsa,
  type TestKey,
} from '../../../test/support/trust-ledger.js';
import type { LedgerEntry } from '../ledger/entry.js';
import { applyMergeRule } from '../ledger/merge.js';
import { buildVerdictEntry } from '../validate/validate-plan.js';
import { decideQueuedTransition, type QueueDecision } from './queue-gate.js';
import { signTransition, signVsa } from './sign.js';
import { buildTransitionStatement, type TransitionKind } from './transition.js';

const provenanceKey = makeTestKey();
const validateKey = makeTestKey('p256');
const attacker = makeTestKey();
const policy = keyPolicy({ record: [provenanceKey], update: [provenanceKey], verdict: [validateKey] });
const material = keyMaterial(policy);
const DAY = 'docs/reports/2025-11-24/manifest.json';

const recorded = makeEntry({ governance_flag: 'provenance-ready' });
const merge = (previous: LedgerEntry | undefined, incoming: LedgerEntry): LedgerEntry =>
  applyMergeRule(previous === undefined ? [] : [{ path: DAY, entries: [previous] }], incoming).entry;
const updated = merge(
  recorded,
  makeEntry({
    governance_flag: 'provenance-ready',
    timestamp: '2025-11-24T10:05:00Z',
    metrics: { artifact_upload_latency_s: 2 },
  }),
);

async function queued(
  kind: TransitionKind,
  previous: LedgerEntry | null,
  state: LedgerEntry,
  key: TestKey = provenanceKey,
  over: { path?: string; repository?: string } = {},
): Promise<{ entry: LedgerEntry; transition: unknown }> {
  const st = buildTransitionStatement({
    kind,
    previous,
    state,
    writer: { actor: 'bot', run_id: 1, run_attempt: 1, workflow_ref: null },
    time: new Date('2025-11-24T12:00:00Z'),
    ledger: {
      repository: over.repository ?? LOCATION.repository,
      branch: LOCATION.branch,
      path: over.path ?? DAY,
    },
  });
  return { entry: state, transition: (await signTransition(st, key.signer)).bundle };
}

function decide(item: { entry: LedgerEntry; transition?: unknown }, current?: LedgerEntry): QueueDecision {
  return decideQueuedTransition({
    item,
    current: current === undefined ? undefined : { entry: current, path: DAY },
    policy,
    material,
    location: LOCATION,
  });
}

describe('decideQueuedTransition', () => {
  it('lands a signed record of a new key with its bundle as the log line', async () => {
    const item = await queued('record', null, recorded);
    const d = decide(item);
    expect(d).toMatchObject({ kind: 'land', transitionKind: 'record', path: DAY, entry: recorded });
    expect(d.kind === 'land' && JSON.parse(d.line)).toEqual(item.transition);
  });

  it('lands a record signed for this GitHub OWNER/NAME in another letter case (GitHub names ignore case)', async () => {
    const item = await queued('record', null, recorded, provenanceKey, {
      repository: LOCATION.repository.toUpperCase(),
    });
    expect(decide(item)).toMatchObject({ kind: 'land', transitionKind: 'record' });
  });

  it('lands a signed update that follows the head', async () => {
    expect(decide(await queued('update', recorded, updated), recorded)).toMatchObject({
      kind: 'land',
      transitionKind: 'update',
    });
  });

  it('drops an item the head already holds, or a newer state of', async () => {
    expect(decide(await queued('record', null, recorded), recorded)).toEqual({
      kind: 'landed',
      outcome: 'unchanged',
    });
    const newer = merge(updated, makeEntry({ timestamp: '2025-11-24T11:00:00Z' }));
    expect(decide(await queued('update', recorded, updated), newer)).toEqual({
      kind: 'landed',
      outcome: 'stale',
    });
  });

  it('rebases an item signed against an older head (flush signs the new change)', async () => {
    const judged = merge(
      recorded,
      buildVerdictEntry(recorded, { passed: true, validatedAt: '2025-11-24T12:00:00Z' }),
    );
    const d = decide(await queued('verdict', recorded, judged, validateKey), updated);
    expect(d).toMatchObject({ kind: 'rebase', transitionKind: 'verdict', previous: updated });
    if (d.kind !== 'rebase') return;
    // the verdict brings only its verdict: the head's newer metrics stay
    expect(d.entry.metrics?.artifact_upload_latency_s).toBe(2);
    expect(d.entry.validation?.status).toBe('passed');
    expect(d.authorizedBy.signer).toContain(validateKey.keyId.slice(0, 12));
  });

  it('rebases a record onto a key that now exists as an update', async () => {
    const other = makeEntry({ timestamp: '2025-11-24T10:01:00Z', governance_flag: 'provenance-ready' });
    expect(decide(await queued('record', null, other), recorded)).toMatchObject({
      kind: 'rebase',
      transitionKind: 'update',
    });
  });

  it('leaves a conflicting item as a conflict', async () => {
    const item = await queued('record', null, makeEntry({ sha: 'b'.repeat(40) }));
    expect(decide(item, recorded)).toMatchObject({ kind: 'conflict' });
  });

  const untrusted: readonly [
    string,
    () => Promise<{ entry: LedgerEntry; transition?: unknown }>,
    LedgerEntry?,
  ][] = [
    ['an item queued unsigned (queue-branch injection)', () => Promise.resolve({ entry: recorded })],
    ['an item signed by an unknown key', () => queued('record', null, recorded, attacker)],
    [
      'a bundle that does not verify',
      async () => {
        const item = await queued('record', null, recorded);
        const b = item.transition as { dsseEnvelope: { payload: string } };
        return {
          ...item,
          transition: {
            ...b,
            dsseEnvelope: { ...b.dsseEnvelope, payload: Buffer.from('{}').toString('base64') },
          },
        };
      },
    ],
    [
      'a signed statement that is not a transition',
      async () => {
        const b = (await provenanceKey.signer.signDsse(
          'application/vnd.in-toto+json',
          Buffer.from('{"_type":"x"}'),
        )) as object;
        return { entry: recorded, transition: b };
      },
    ],
    [
      'an entry other than the one signed (validated flag slipped in)',
      async () => {
        const item = await queued('record', null, recorded);
        return { ...item, entry: { ...recorded, governance_flag: 'validated' } };
      },
    ],
    [
      'a state for another day file',
      () =>
        queued('record', null, recorded, provenanceKey, { path: 'docs/reports/2025-11-23/manifest.json' }),
    ],
    [
      'a state for another ledger',
      () => queued('record', null, recorded, provenanceKey, { repository: 'acme/other' }),
    ],
    [
      'a state for the same OWNER/NAME on another host',
      () =>
        queued('record', null, recorded, provenanceKey, {
          repository: `gitlab.example/${LOCATION.repository}`,
        }),
    ],
    [
      'a verdict signed by the provenance key',
      () => {
        const judged = merge(
          recorded,
          buildVerdictEntry(recorded, { passed: true, validatedAt: '2025-11-24T12:00:00Z' }),
        );
        return queued('verdict', recorded, judged);
      },
      recorded,
    ],
    [
      'a record carrying a validation block',
      () =>
        queued('record', null, {
          ...recorded,
          governance_flag: 'validated',
          validation: { status: 'passed', validated_at: '2025-11-24T12:00:00Z' },
        }),
    ],
    [
      'an update carrying a validation block, rebased',
      () =>
        queued(
          'update',
          recorded,
          merge(recorded, {
            ...updated,
            validation: { status: 'passed', validated_at: '2025-11-24T12:00:00Z' },
          }),
        ),
      updated,
    ],
  ];
  it.each(untrusted)('refuses %s: FLUSH_ENTRY_UNTRUSTED', async (_name, make, current) => {
    const d = decide(await make(), current);
    expect(d).toMatchObject({ kind: 'untrusted', code: 'FLUSH_ENTRY_UNTRUSTED' });
    expect(d.kind === 'untrusted' && d.reason).toMatch(/v1\.2\.3|transition/);
  });

  it('refuses a record that, rebased, becomes an update its signer may not make', async () => {
    const recorder = makeTestKey();
    const narrow = keyPolicy({ record: [recorder], update: [provenanceKey], verdict: [validateKey] });
    const item = await queued('record', null, makeEntry({ timestamp: '2025-11-24T10:01:00Z' }), recorder);
    const d = decideQueuedTransition({
      item,
      current: { entry: recorded, path: DAY },
      policy: narrow,
      material: keyMaterial(narrow),
    });
    expect(d).toMatchObject({ kind: 'untrusted', code: 'FLUSH_ENTRY_UNTRUSTED' });
    expect(d.kind === 'untrusted' && d.reason).toContain('rebased onto the head it becomes an update');
  });
});

describe('decideQueuedTransition: a replayed old verdict', () => {
  const passed = merge(
    recorded,
    buildVerdictEntry(recorded, { passed: true, validatedAt: '2025-11-24T12:00:00Z' }),
  );
  const failed = merge(
    passed,
    buildVerdictEntry(passed, { passed: false, validatedAt: '2025-11-24T13:00:00Z', reason: 'revoked' }),
  );

  it('never rolls a newer verdict back: the superseded verdict is landed already, nothing is written', async () => {
    // the passed verdict's bundle, copied from the ledger's own log onto the queue branch: it
    // verifies, its signer gives verdicts, and rebased it would have been signed anew by flush
    const replay = await queued('verdict', recorded, passed, validateKey);
    expect(decide(replay, failed)).toMatchObject({ kind: 'landed' });
  });

  it('still rebases a verdict newer than the one the head holds', async () => {
    const later = merge(
      passed,
      buildVerdictEntry(passed, { passed: false, validatedAt: '2025-11-24T14:00:00Z', reason: 'revoked' }),
    );
    const d = decide(await queued('verdict', passed, later, validateKey), { ...failed });
    expect(d).toMatchObject({ kind: 'rebase', transitionKind: 'verdict' });
  });
});

describe('decideQueuedTransition: two states of one run in the same second', () => {
  // record and update signed within one second: the timestamps tie, the hash chain orders them
  const failedSameSecond = merge(
    recorded,
    makeEntry({
      governance_flag: 'provenance-ready',
      status: 'failure',
      artifact_url: null,
      failure_reason: 'upload timed out',
    }),
  );

  it('the later state, signed against the earlier one, lands: the chain orders it, not the clock', async () => {
    expect(failedSameSecond.timestamp).toBe(recorded.timestamp);
    const d = decide(await queued('update', recorded, failedSameSecond), recorded);
    expect(d).toMatchObject({ kind: 'land', transitionKind: 'update', entry: failedSameSecond });
  });

  it('the earlier state replayed over the later one is landed already: the run is not rolled back', async () => {
    // the record's bundle, copied from the ledger's own log onto the queue branch: it verifies and
    // its signer may update, but its state is as old as the head's, not newer
    const d = decide(await queued('record', null, recorded), failedSameSecond);
    expect(d).toEqual({ kind: 'landed', outcome: 'stale' });
  });

  it('a same-second update signed against another state loses to the head, whichever came first', async () => {
    const other = merge(recorded, makeEntry({ governance_flag: 'artifact-missing' }));
    expect(decide(await queued('update', recorded, other), failedSameSecond)).toEqual({
      kind: 'landed',
      outcome: 'stale',
    });
    expect(decide(await queued('update', recorded, failedSameSecond), other)).toEqual({
      kind: 'landed',
      outcome: 'stale',
    });
  });

  it('two verdicts given in the same second: the earlier replayed never replaces the later', async () => {
    const passed = merge(
      recorded,
      buildVerdictEntry(recorded, { passed: true, validatedAt: '2025-11-24T12:00:00Z' }),
    );
    const failed = merge(
      passed,
      buildVerdictEntry(passed, { passed: false, validatedAt: '2025-11-24T12:00:00Z', reason: 'revoked' }),
    );
    expect(failed.validation?.status).toBe('failed');
    // in chain order the second verdict follows the first
    expect(decide(await queued('verdict', passed, failed, validateKey), passed)).toMatchObject({
      kind: 'land',
      transitionKind: 'verdict',
    });
    // replayed after it, the first is as old as the head's verdict
    expect(decide(await queued('verdict', recorded, passed, validateKey), failed)).toEqual({
      kind: 'landed',
      outcome: 'stale',
    });
  });

  it('a state a second newer than the head still rebases', async () => {
    const later = makeEntry({ governance_flag: 'provenance-ready', timestamp: '2025-11-24T10:00:01Z' });
    expect(decide(await queued('record', null, later), failedSameSecond)).toMatchObject({
      kind: 'rebase',
      transitionKind: 'update',
    });
  });
});

// Mutation audit (issue 14, seventeenth session): each case is caught by exactly one check of the
// gate, so removing that check lets it land (the cases above are each caught by several).
describe('decideQueuedTransition, mutation audit', () => {
  const judged = merge(
    recorded,
    buildVerdictEntry(recorded, { passed: true, validatedAt: '2025-11-24T12:00:00Z' }),
  );
  async function verdictItem(
    over: {
      vsaResult?: 'PASSED' | 'FAILED';
      vsaKey?: TestKey;
      queuedVsa?: (signed: { bundle: unknown }) => unknown;
    } = {},
  ): Promise<{ entry: LedgerEntry; transition: unknown; vsa: unknown }> {
    const vsa = await signVsa(
      makeVsa(judged, over.vsaResult ?? 'PASSED'),
      (over.vsaKey ?? validateKey).signer,
    );
    const st = buildTransitionStatement({
      kind: 'verdict',
      previous: recorded,
      state: judged,
      writer: { actor: 'bot', run_id: 1, run_attempt: 1, workflow_ref: null },
      time: new Date('2025-11-24T12:00:00Z'),
      ledger: { ...LOCATION, path: DAY },
      vsaSha256: vsa.payloadSha256,
    });
    return {
      entry: judged,
      transition: (await signTransition(st, validateKey.signer)).bundle,
      vsa: over.queuedVsa === undefined ? vsa.bundle : await over.queuedVsa(vsa),
    };
  }
  const decideWithVsa = (
    item: { entry: LedgerEntry; transition: unknown; vsa?: unknown },
    current?: LedgerEntry,
  ) =>
    decideQueuedTransition({
      item,
      current: current === undefined ? undefined : { entry: current, path: DAY },
      policy,
      material,
      location: LOCATION,
    });

  it('lands a verdict queued with its own VSA (the baseline of the cases below)', async () => {
    expect(decideWithVsa(await verdictItem(), recorded)).toMatchObject({
      kind: 'land',
      transitionKind: 'verdict',
    });
  });

  it.each<[string, () => Promise<{ entry: LedgerEntry; transition: unknown; vsa?: unknown }>, LedgerEntry?]>([
    [
      'an entry other than the one signed, in a way its kind may change (another artifact url)',
      async () => {
        const item = await queued('record', null, recorded);
        return { ...item, entry: { ...recorded, artifact_url: 'https://evil.example/app.tgz' } };
      },
    ],
    [
      'a state signed for another branch of the same ledger',
      async () => {
        const st = buildTransitionStatement({
          kind: 'record',
          previous: null,
          state: recorded,
          writer: { actor: 'bot', run_id: 1, run_attempt: 1, workflow_ref: null },
          time: new Date('2025-11-24T12:00:00Z'),
          ledger: { repository: LOCATION.repository, branch: 'other', path: DAY },
        });
        return { entry: recorded, transition: (await signTransition(st, provenanceKey.signer)).bundle };
      },
    ],
    [
      'a VSA queued with a statement that names none',
      async () => ({
        ...(await queued('update', recorded, updated)),
        vsa: (await signVsa(makeVsa(judged), validateKey.signer)).bundle,
      }),
      recorded,
    ],
    [
      'the named VSA signed by a key the policy does not allow to give verdicts',
      () => verdictItem({ vsaKey: provenanceKey }),
      recorded,
    ],
    [
      'another VSA than the one named (signed by the verdict key, saying PASSED)',
      () =>
        verdictItem({
          queuedVsa: async () =>
            (
              await signVsa(
                {
                  ...makeVsa(judged),
                  predicate: {
                    ...(makeVsa(judged).predicate as Record<string, unknown>),
                    timeVerified: '2025-11-24T12:31:00Z',
                  },
                },
                validateKey.signer,
              )
            ).bundle,
        }),
      recorded,
    ],
    [
      'the named VSA saying FAILED for a passed verdict',
      () => verdictItem({ vsaResult: 'FAILED' }),
      recorded,
    ],
    [
      'the named VSA with a signature that does not verify',
      () =>
        verdictItem({
          queuedVsa: (signed) => {
            const b = signed.bundle as { dsseEnvelope: { signatures: { sig: string }[] } };
            const sig = Buffer.from(b.dsseEnvelope.signatures[0]!.sig, 'base64');
            sig[0] = sig[0]! ^ 1;
            return {
              ...b,
              dsseEnvelope: {
                ...b.dsseEnvelope,
                signatures: [{ ...b.dsseEnvelope.signatures[0]!, sig: sig.toString('base64') }],
              },
            };
          },
        }),
      recorded,
    ],
  ])('refuses %s: FLUSH_ENTRY_UNTRUSTED', async (_name, make, current) => {
    expect(decideWithVsa(await make(), current)).toMatchObject({
      kind: 'untrusted',
      code: 'FLUSH_ENTRY_UNTRUSTED',
    });
  });
});
