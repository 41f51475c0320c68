import { describe, expect, it } from 'vitest';
import { buildVsaStatement, checkVsa, VSA_PREDICATE_TYPE, type BuildVsaOptions } from './vsa.js';

const base: BuildVsaOptions = {
  subjects: [{ name: 'app.tar.gz', digest: { sha256: 'ab'.repeat(32) } }],
  verifierId: 'https://github.com/acme/slsa-ledger-validate',
  timeVerified: new Date('2026-12-01T10:00:00Z'),
  resourceUri: 'git+https://github.com/acme/app@refs/tags/v1.2.3',
  policy: {
    uri: 'https://github.com/acme/app/blob/main/.slsa-ledger.yml',
    digest: { sha256: 'cd'.repeat(32) },
  },
  inputAttestations: [
    {
      uri: 'https://github.com/acme/app/releases/download/v1.2.3/app.sigstore.json',
      digest: { sha256: 'ef'.repeat(32) },
    },
  ],
  passed: true,
  verifiedLevels: ['SLSA_BUILD_LEVEL_3'],
  dependencyLevels: { SLSA_BUILD_LEVEL_2: 1 },
  slsaVersion: '1.0',
};
const expectations = {
  subjectDigests: [`sha256:${'ab'.repeat(32)}`],
  verifierId: base.verifierId,
  resourceUri: base.resourceUri,
};

describe('buildVsaStatement', () => {
  it('has exactly the SLSA v1.0 field list (slsa.dev/spec/v1.0/verification_summary)', () => {
    const st = buildVsaStatement(base);
    expect(st._type).toBe('https://in-toto.io/Statement/v1');
    expect(st.predicateType).toBe(VSA_PREDICATE_TYPE);
    expect(Object.keys(st.predicate)).toEqual([
      'verifier',
      'timeVerified',
      'resourceUri',
      'policy',
      'inputAttestations',
      'verificationResult',
      'verifiedLevels',
      'dependencyLevels',
      'slsaVersion',
    ]);
    expect(st.predicate).toMatchObject({
      verifier: { id: base.verifierId },
      timeVerified: '2026-12-01T10:00:00.000Z',
      verificationResult: 'PASSED',
      verifiedLevels: ['SLSA_BUILD_LEVEL_3'],
    });
  });
  it('a failed verdict says FAILED, in the result and the levels', () => {
    const st = buildVsaStatement({ ...base, passed: false });
    expect(st.predicate).toMatchObject({ verificationResult: 'FAILED', verifiedLevels: ['FAILED'] });
  });
  it.each([
    ['no subject', { subjects: [] }],
    ['a subject without digest', { subjects: [{ name: 'a', digest: {} }] }],
    ['a malformed level', { verifiedLevels: ['level 3'] }],
    ['no verifier id', { verifierId: '' }],
  ])('refuses %s (INPUT_INVALID)', (_n, change) => {
    expect(() => buildVsaStatement({ ...base, ...change })).toThrowCode('INPUT_INVALID');
  });
});

describe('checkVsa (slsa-verifier verify-vsa semantics)', () => {
  const st = buildVsaStatement(base);
  it('passes what it states, and lower levels of a track', () => {
    expect(checkVsa(st, { ...expectations, verifiedLevels: ['SLSA_BUILD_LEVEL_2'] }).verifier.id).toBe(
      base.verifierId,
    );
  });
  it.each([
    ['another subject', { subjectDigests: [`sha256:${'00'.repeat(32)}`] }, 'VERIFY_VSA_MISMATCH'],
    ['another verifier', { verifierId: 'https://evil.example' }, 'VERIFY_VSA_MISMATCH'],
    ['another resource', { resourceUri: 'git+https://github.com/acme/other' }, 'VERIFY_VSA_MISMATCH'],
    ['a higher level', { verifiedLevels: ['SLSA_BUILD_LEVEL_4'] }, 'VERIFY_VSA_MISMATCH'],
    ['a level of another track', { verifiedLevels: ['SLSA_SOURCE_LEVEL_1'] }, 'VERIFY_VSA_MISMATCH'],
    ['a level it does not state', { verifiedLevels: ['BCID_L1'] }, 'VERIFY_VSA_MISMATCH'],
    ['no subject digest', { subjectDigests: [] }, 'USAGE_MISSING_FLAG'],
  ])('fails on %s', (_n, change, code) => {
    expect(() => checkVsa(st, { ...expectations, ...change })).toThrowCode(code);
  });
  it('a FAILED vsa never passes', () => {
    expect(() => checkVsa(buildVsaStatement({ ...base, passed: false }), expectations)).toThrowCode(
      'VERIFY_VSA_MISMATCH',
    );
  });
  it('a PASSED vsa whose levels say FAILED, or are not strings, contradicts itself', () => {
    for (const verifiedLevels of [['FAILED'], ['SLSA_BUILD_LEVEL_3', 'FAILED'], [3], 'SLSA_BUILD_LEVEL_3']) {
      const bad = { ...st, predicate: { ...st.predicate, verifiedLevels } };
      expect(() => checkVsa(bad, expectations)).toThrowCode('VERIFY_VSA_MISMATCH');
    }
  });
  it('another predicate type is VERIFY_PREDICATE_TYPE_INVALID', () => {
    expect(() =>
      checkVsa({ ...st, predicateType: 'https://slsa.dev/provenance/v1' }, expectations),
    ).toThrowCode('VERIFY_PREDICATE_TYPE_INVALID');
  });
});

// Mutation audit (issue 14, seventeenth session): each case fails on a plausible bug no test
// above caught (a result other than PASSED let through, a digest list checked only for its first
// item, a prefix or case-insensitive comparison, a track's lower level hiding its higher one).
describe('checkVsa, mutation audit', () => {
  const st = buildVsaStatement(base);
  const withPredicate = (change: Record<string, unknown>) => ({
    ...st,
    predicate: { ...st.predicate, ...change },
  });

  it.each([
    ['no result', { verificationResult: undefined }],
    ['a lower-case passed', { verificationResult: 'passed' }],
    ['a result of its own', { verificationResult: 'PARTIAL' }],
  ])('passes only PASSED, not %s', (_n, change) => {
    expect(() => checkVsa(withPredicate(change), expectations)).toThrowCode('VERIFY_VSA_MISMATCH');
  });

  it('needs every expected subject digest, not only the first', () => {
    expect(() =>
      checkVsa(st, {
        ...expectations,
        subjectDigests: [...expectations.subjectDigests, `sha256:${'00'.repeat(32)}`],
      }),
    ).toThrowCode('VERIFY_VSA_MISMATCH');
  });

  it('compares the verifier id and the resource uri exactly', () => {
    expect(() => checkVsa(st, { ...expectations, verifierId: base.verifierId.toUpperCase() })).toThrowCode(
      'VERIFY_VSA_MISMATCH',
    );
    expect(() =>
      checkVsa(withPredicate({ resourceUri: `${base.resourceUri}-evil` }), expectations),
    ).toThrowCode('VERIFY_VSA_MISMATCH');
  });

  it("takes a track's highest stated level, whatever the order", () => {
    const both = withPredicate({ verifiedLevels: ['SLSA_BUILD_LEVEL_3', 'SLSA_BUILD_LEVEL_1'] });
    expect(
      checkVsa(both, { ...expectations, verifiedLevels: ['SLSA_BUILD_LEVEL_3'] }).verifiedLevels,
    ).toEqual(['SLSA_BUILD_LEVEL_3', 'SLSA_BUILD_LEVEL_1']);
  });

  it('refuses a malformed SLSA level with its own code', () => {
    expect(() =>
      checkVsa(withPredicate({ verifiedLevels: ['SLSA_BUILD_LEVEL_three'] }), expectations),
    ).toThrowCode('VERIFY_VSA_MISMATCH');
  });

  it('building refuses an empty policy uri', () => {
    expect(() => buildVsaStatement({ ...base, policy: { uri: '' } })).toThrowCode('INPUT_INVALID');
  });
});
