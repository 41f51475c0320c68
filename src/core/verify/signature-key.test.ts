import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSlsaLedgerError } from '../../errors.js';
import { buildEnvelope, computePae, IN_TOTO_PAYLOAD_TYPE } from '../provenance/dsse.js';
import { serializeStatement } from '../provenance/statement.js';
import { ARTIFACT_SHA, makePolicy, makeStatement } from '../../../test/support/provenance-factories.js';
import { checkProvenance } from './policy.js';
import { computeKeyId, isValidSignature, verifyKeySigned } from './signature-key.js';
import type { DsseEnvelope, InTotoStatement } from './types.js';

const ed = generateKeyPairSync('ed25519');
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const trusted = (publicKey: KeyObject) => ({ keyObject: publicKey, keyId: computeKeyId(publicKey) });

function signStatement(
  statement: unknown,
  privateKey: KeyObject,
  payloadType = IN_TOTO_PAYLOAD_TYPE,
): DsseEnvelope {
  const payload = new TextEncoder().encode(JSON.stringify(statement));
  const algorithm = privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  const sig = sign(algorithm, computePae(payloadType, payload), privateKey);
  return buildEnvelope(payloadType, payload, [{ keyid: 'k', sig }]);
}

/** signature + policy: what `verify` does for a key-signed envelope */
function verifyAll(envelope: DsseEnvelope, publicKey: KeyObject = ed.publicKey) {
  const signed = verifyKeySigned(envelope, trusted(publicKey), 'f');
  return checkProvenance({
    ...signed,
    artifacts: [{ name: 'app.tar.gz', sha256: ARTIFACT_SHA }],
    policy: makePolicy({ sourceTag: 'v1.2.3', commit: '0123456789abcdef0123456789abcdef01234567' }),
  });
}

describe('verifyKeySigned', () => {
  it.each([
    ['ed25519', ed],
    ['ecdsa p-256', p256],
  ])('verifies a %s signature over the PAE and returns the statement', (_n, pair) => {
    const statement = makeStatement();
    const result = verifyKeySigned(signStatement(statement, pair.privateKey), trusted(pair.publicKey), 'f');
    expect(result.statement).toStrictEqual(JSON.parse(JSON.stringify(statement)));
    expect(result.signer).toStrictEqual({ kind: 'key', keyId: computeKeyId(pair.publicKey) });
  });

  it('accepts an envelope when any one signature verifies', () => {
    const env = signStatement(makeStatement(), ed.privateKey);
    const withJunk = { ...env, signatures: [{ sig: 'AAAA' }, ...env.signatures] };
    expect(() => verifyKeySigned(withJunk, trusted(ed.publicKey), 'f')).not.toThrow();
  });

  it.each<[string, () => DsseEnvelope, KeyObject?]>([
    [
      'the wrong key',
      () => signStatement(makeStatement(), ed.privateKey),
      generateKeyPairSync('ed25519').publicKey,
    ],
    ['a key of another type', () => signStatement(makeStatement(), ed.privateKey), p256.publicKey],
    [
      'a signature over the bare payload instead of the PAE',
      () => {
        const payload = serializeStatement(makeStatement());
        return buildEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, [
          { keyid: '', sig: sign(null, payload, ed.privateKey) },
        ]);
      },
    ],
    [
      'an empty signature',
      () => ({ ...signStatement(makeStatement(), ed.privateKey), signatures: [{ sig: '' }] }),
    ],
    [
      'a payload type changed after signing',
      () => ({ ...signStatement(makeStatement(), ed.privateKey), payloadType: 'application/json' }),
    ],
  ])('refuses %s with VERIFY_SIGNATURE_INVALID', (_name, make, key) => {
    expect(() => verifyKeySigned(make(), trusted(key ?? ed.publicKey), 'f')).toThrowCode(
      'VERIFY_SIGNATURE_INVALID',
    );
  });

  it('refuses a validly signed non-in-toto payload with VERIFY_PAYLOAD_TYPE_INVALID', () => {
    const env = signStatement(makeStatement(), ed.privateKey, 'application/vnd.example+json');
    expect(() => verifyKeySigned(env, trusted(ed.publicKey), 'f')).toThrowCode('VERIFY_PAYLOAD_TYPE_INVALID');
  });
});

describe('isValidSignature', () => {
  const pae = computePae(IN_TOTO_PAYLOAD_TYPE, new TextEncoder().encode('{}'));

  it('takes an ECDSA P-256 signature as DER or as r||s (IEEE P1363), and nothing else', () => {
    const der = sign('sha256', pae, p256.privateKey);
    const p1363 = sign('sha256', pae, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' });
    expect(isValidSignature(p256.publicKey, pae, der)).toBe(true);
    expect(isValidSignature(p256.publicKey, pae, p1363)).toBe(true);
    expect(isValidSignature(p256.publicKey, pae, Buffer.concat([p1363, Buffer.from([0])]))).toBe(false);
    expect(
      isValidSignature(p256.publicKey, computePae('text/plain', new TextEncoder().encode('{}')), p1363),
    ).toBe(false);
  });

  it('a key the verifier cannot use is no valid signature, whatever the signature', () => {
    // node's verify throws for an X25519 key: that is a "no", never a pass
    const x = generateKeyPairSync('x25519').publicKey;
    for (const sig of [new Uint8Array(), new Uint8Array(64), sign(null, pae, ed.privateKey)]) {
      expect(isValidSignature(x, pae, sig)).toBe(false);
    }
  });
});

// Property tests: no random mutation of a valid envelope, or of the statement it carries, verifies.
describe('mutations never verify', () => {
  const valid = signStatement(makeStatement(), ed.privateKey);
  const rejects = (envelope: DsseEnvelope): boolean => {
    try {
      verifyAll(envelope);
      return false;
    } catch (error) {
      // a coded error, never an internal one
      return isSlsaLedgerError(error) && error.code !== 'INTERNAL';
    }
  };

  it('the valid envelope verifies (the baseline the properties mutate)', () => {
    expect(() => verifyAll(valid)).not.toThrow();
    expect(() => verifyAll(signStatement(makeStatement(), p256.privateKey), p256.publicKey)).not.toThrow();
  });

  it('flipping any bit of the payload or the signature', () => {
    const payload = Buffer.from(valid.payload, 'base64');
    const sig = Buffer.from(valid.signatures[0]!.sig, 'base64');
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 7 }), (inPayload, at, bit) => {
        const target = Buffer.from(inPayload ? payload : sig);
        target[at % target.length]! ^= 1 << bit;
        const mutated: DsseEnvelope = inPayload
          ? { ...valid, payload: target.toString('base64') }
          : { ...valid, signatures: [{ keyid: 'k', sig: target.toString('base64') }] };
        return rejects(mutated);
      }),
      { numRuns: 300 },
    );
  });

  it('replacing the payload type with any other string', () => {
    fc.assert(
      fc.property(fc.string(), (payloadType) => {
        fc.pre(payloadType !== IN_TOTO_PAYLOAD_TYPE);
        return rejects({ ...valid, payloadType });
      }),
      { numRuns: 200 },
    );
  });

  // Paths into the statement whose values the policy checks; changing any of them, even when the
  // signer re-signs the result, must be caught by the policy.
  const checkedPaths: readonly (readonly (string | number)[])[] = [
    ['_type'],
    ['predicateType'],
    ['subject', 0, 'digest', 'sha256'],
    ['predicate', 'buildDefinition', 'buildType'],
    ['predicate', 'buildDefinition', 'resolvedDependencies', 0, 'uri'],
    ['predicate', 'buildDefinition', 'resolvedDependencies', 0, 'digest', 'gitCommit'],
    ['predicate', 'runDetails', 'builder', 'id'],
  ];
  const setPath = (value: unknown, path: readonly (string | number)[], leaf: unknown): unknown => {
    const copy = structuredClone(value) as Record<string | number, unknown>;
    let node = copy;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
    node[path[path.length - 1]!] = leaf;
    return copy;
  };

  it('changing a checked field of the statement, signed or not', () => {
    const statement = makeStatement();
    const builderPolicy = makePolicy({
      sourceTag: 'v1.2.3',
      commit: '0123456789abcdef0123456789abcdef01234567',
      builderId: 'https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.2.3',
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...checkedPaths),
        fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(undefined)),
        fc.boolean(),
        (path, leaf, resign) => {
          const mutated = setPath(statement, path, leaf) as InTotoStatement;
          fc.pre(JSON.stringify(mutated) !== JSON.stringify(statement));
          const envelope = resign
            ? signStatement(mutated, ed.privateKey)
            : { ...valid, payload: Buffer.from(JSON.stringify(mutated)).toString('base64') };
          try {
            const signed = verifyKeySigned(envelope, trusted(ed.publicKey), 'f');
            checkProvenance({
              ...signed,
              artifacts: [{ name: 'app.tar.gz', sha256: ARTIFACT_SHA }],
              policy: builderPolicy,
            });
            return false;
          } catch (error) {
            return isSlsaLedgerError(error) && error.code !== 'INTERNAL';
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
