import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeEntry } from '../../../test/support/ledger.js';
import { makeTestKey, makeVsa } from '../../../test/support/trust-ledger.js';
import { verifyStoredBundle } from './bundle-verify.js';
import { decideSigningMode, signTransition, signVsa, transitionKindFor } from './sign.js';
import { buildTransitionStatement, parseTransitionStatement } from './transition.js';

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
