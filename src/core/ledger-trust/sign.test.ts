import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeEntry } from '../../../test/support/ledger.js';
import { makeTestKey, makeVsa } from '../../../test/support/trust-ledger.js';
import { verifyStoredBundle } from './bundle-verify.js';
import {
  decideSigningMode,
  signChange,
  signedDocumentOf,
  signTransition,
  signVsa,
  transitionKindFor,
  writerFromEnvironment,
} from './sign.js';
import { buildTransitionStatement } from './transition.js';
import { parseTransitionStatement } from './transition-parse.js';

const key = makeTestKey();

describe('signTransition and signVsa', () => {
  it('signs the statement payload and gives the log line', async () => {
    const st = buildTransitionStatement({
      kind: 'record',
      previous: null,
      state: makeEntry(),
      writer: { actor: 'a', run_id: null, run_attempt: null, workflow_ref: null },
      time: new Date('2025-11-24T12:00:00Z'),
      ledger: { repository: 'acme/ledger', branch: 'ledger', path: 'docs/reports/2025-11-24/manifest.json' },
    });
    const signed = await signTransition(st, key.signer);
    expect(signed.line).toBe(`${JSON.stringify(signed.bundle)}\n`);
    const verified = verifyStoredBundle(JSON.parse(signed.line), {
      keys: new Map([[key.keyId, key.trusted]]),
    });
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    expect(parseTransitionStatement(verified.payload, 'x')).toEqual(st);
    expect(signed.payloadSha256).toBe(createHash('sha256').update(verified.payload).digest('hex'));
  });

  it('signs a vsa and refuses anything else', async () => {
    const vsa = makeVsa(makeEntry());
    const signed = await signVsa(vsa, key.signer);
    const verified = verifyStoredBundle(signed.bundle, { keys: new Map([[key.keyId, key.trusted]]) });
    expect(verified.ok && JSON.parse(Buffer.from(verified.payload).toString())).toEqual(vsa);
    await expect(
      signVsa({ ...vsa, predicateType: 'https://slsa.dev/provenance/v1' }, key.signer),
    ).rejects.toThrowCode('TRUST_TRANSITION_INVALID');
    await expect(signVsa({ ...vsa, subject: [] }, key.signer)).rejects.toThrowCode(
      'TRUST_TRANSITION_INVALID',
    );
    // mutation audit: a subject that is no list (the statement comes from a caller, typed or not)
    await expect(
      signVsa({ ...vsa, subject: vsa.subject[0] } as unknown as typeof vsa, key.signer),
    ).rejects.toThrowCode('TRUST_TRANSITION_INVALID');
  });

  it('gives a stored bundle back as the document signVsa made, or undefined without a dsse payload', async () => {
    const signed = await signVsa(makeVsa(makeEntry()), key.signer);
    expect(signedDocumentOf(JSON.parse(signed.line))).toEqual(signed);
    expect(signedDocumentOf({ dsseEnvelope: { payload: 7 } })).toBeUndefined();
    expect(signedDocumentOf({ dsseEnvelope: {} })).toBeUndefined();
    expect(signedDocumentOf(null)).toBeUndefined();
  });
});

describe('transitionKindFor', () => {
  it.each([
    ['inserted', 'record', 'record'],
    ['inserted', 'validate', 'record'],
    ['updated', 'record', 'update'],
    ['updated', 'validate', 'verdict'],
    ['unchanged', 'record', undefined],
    ['stale', 'validate', undefined],
  ] as const)('%s by %s is %s', (outcome, writer, kind) => {
    expect(transitionKindFor(outcome, writer)).toBe(kind);
  });
});

describe('decideSigningMode', () => {
  const outside = { githubActions: false };
  const actions = { githubActions: true };
  it.each([
    [{ signKey: 'k.pem' }, outside, { kind: 'key', keyPath: 'k.pem' }],
    [{ signKey: 'k.pem' }, actions, { kind: 'key', keyPath: 'k.pem' }],
    [{ sign: 'sigstore' }, outside, { kind: 'sigstore' }],
    [{}, actions, { kind: 'sigstore' }],
    [{ noSign: true }, actions, { kind: 'none' }],
    [{ noSign: true }, outside, { kind: 'none' }],
    [{ noSign: false }, actions, { kind: 'sigstore' }],
    // `--no-sign` counts only when given: false beside another flag is no contradiction
    [{ sign: 'sigstore', noSign: false }, outside, { kind: 'sigstore' }],
    [{ signKey: 'k.pem', noSign: false }, outside, { kind: 'key', keyPath: 'k.pem' }],
  ] as const)('%j in %j', (flags, env, mode) => {
    expect(decideSigningMode(flags, env)).toEqual(mode);
  });

  it.each([
    [{}, outside, 'TRUST_SIGN_MODE_REQUIRED'],
    [{ sign: 'sigstore', noSign: true }, actions, 'USAGE_INVALID_FLAG'],
    [{ signKey: 'k', sign: 'sigstore' }, actions, 'USAGE_INVALID_FLAG'],
    [{ sign: 'key' }, outside, 'USAGE_INVALID_FLAG'],
    [{ signKey: '' }, outside, 'USAGE_INVALID_FLAG'],
  ] as const)('refuses %j in %j', (flags, env, code) => {
    expect(() => decideSigningMode(flags, env)).toThrowCode(code);
  });
});

describe('writerFromEnvironment', () => {
  it('reads the GitHub Actions context', () => {
    expect(
      writerFromEnvironment(
        {
          GITHUB_ACTOR: 'octocat',
          GITHUB_RUN_ID: '123',
          GITHUB_RUN_ATTEMPT: '2',
          GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/p.yml@refs/heads/main',
        },
        'me',
      ),
    ).toEqual({
      actor: 'octocat',
      run_id: 123,
      run_attempt: 2,
      workflow_ref: 'o/r/.github/workflows/p.yml@refs/heads/main',
    });
  });

  it('falls back outside it, and refuses numbers that are not run ids', () => {
    expect(
      writerFromEnvironment(
        { GITHUB_RUN_ID: '01', GITHUB_RUN_ATTEMPT: '99999999999999999', GITHUB_ACTOR: '' },
        'me',
      ),
    ).toEqual({
      actor: 'me',
      run_id: null,
      run_attempt: null,
      workflow_ref: null,
    });
  });

  it('takes run ids up to the largest safe integer, and nothing that only starts like one', () => {
    const ids = (GITHUB_RUN_ID: string, GITHUB_RUN_ATTEMPT: string) => {
      const w = writerFromEnvironment({ GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT }, 'me');
      return [w.run_id, w.run_attempt];
    };
    expect(ids('9007199254740991', '1000000000000000')).toEqual([9007199254740991, 1000000000000000]);
    expect(ids('9007199254740992', '9999999999999999')).toEqual([null, null]);
    expect(ids('1e3', '12 ')).toEqual([null, null]);
  });

  it('falls back on an absent actor, and an empty workflow ref is none', () => {
    expect(writerFromEnvironment({ GITHUB_WORKFLOW_REF: '' }, 'me')).toEqual({
      actor: 'me',
      run_id: null,
      run_attempt: null,
      workflow_ref: null,
    });
  });
});

describe('signChange', () => {
  const DAY = 'docs/reports/2025-11-24/manifest.json';
  const base = {
    context: { actor: 'bot', run_id: 1, run_attempt: 1, workflow_ref: null },
    time: new Date('2025-11-24T12:00:00Z'),
    ledger: { repository: 'acme/ledger', branch: 'ledger' },
    signer: key.signer,
  };

  it('signs an insert as a record and appends it to the day log', async () => {
    const entry = makeEntry();
    const signed = await signChange({
      ...base,
      merge: { outcome: 'inserted', path: DAY, entry },
      writer: 'record',
      log: undefined,
    });
    expect(signed?.kind).toBe('record');
    expect(signed?.files).toEqual({ 'docs/reports/2025-11-24/transitions.jsonl': signed?.line });
    expect(signed?.statement.predicate.ledger).toEqual({
      repository: 'acme/ledger',
      branch: 'ledger',
      path: DAY,
    });
    expect(signed?.statement.predicate.writer).toEqual(base.context);
    expect(signed?.statement.predicate.time).toBe('2025-11-24T12:00:00.000Z');
  });

  it('signs for the day file the merge wrote, whatever else the ledger identity carries', async () => {
    const ledger = { ...base.ledger, path: 'docs/reports/2025-11-23/manifest.json' };
    const signed = await signChange({
      ...base,
      ledger,
      merge: { outcome: 'inserted', path: DAY, entry: makeEntry() },
      writer: 'record',
      log: undefined,
    });
    expect(signed?.statement.predicate.ledger.path).toBe(DAY);
  });

  it('signs a verdict with its vsa, appending to both logs', async () => {
    const previous = makeEntry();
    const entry = {
      ...previous,
      governance_flag: 'validated',
      validation: { status: 'passed' as const, validated_at: '2025-11-24T12:00:00Z' },
    };
    const vsa = await signVsa(makeVsa(entry), key.signer);
    const signed = await signChange({
      ...base,
      merge: { outcome: 'updated', path: DAY, entry, previous },
      writer: 'validate',
      log: 'x\n',
      vsa,
      vsaLog: undefined,
    });
    expect(signed?.kind).toBe('verdict');
    // the bundle queued with the entry is the transition's, not the vsa's
    expect(signed?.bundle).toEqual(JSON.parse(signed!.line));
    expect(signed?.bundle).not.toEqual(vsa.bundle);
    expect(signed?.statement.predicate.vsa).toEqual({ sha256: vsa.payloadSha256 });
    expect(signed?.files['docs/reports/2025-11-24/transitions.jsonl']).toBe(`x\n${signed?.line}`);
    expect(signed?.files['docs/reports/2025-11-24/vsa.jsonl']).toBe(vsa.line);
  });

  it('signs nothing when the merge changed nothing', async () => {
    const entry = makeEntry();
    expect(
      await signChange({
        ...base,
        merge: { outcome: 'unchanged', path: DAY, entry, previous: entry },
        writer: 'record',
        log: 'x\n',
      }),
    ).toBeUndefined();
  });
});
