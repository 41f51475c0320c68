import { describe, expect, it } from 'vitest';
import { makeEntry } from '../../../test/support/ledger.js';
import { buildLevelOf, buildVerdictVsa, verdictResourceUri, VALIDATE_POLICY_URI } from './verdict.js';

const base = {
  artifacts: [{ name: 'app.tgz', sha256: 'a'.repeat(64) }],
  provenance: [{ name: 'app.intoto.json', sha256: 'b'.repeat(64) }],
  policy: { b: 1, a: [{ y: 2, x: 1 }] },
  timeVerified: new Date('2025-11-24T12:30:00Z'),
};

describe('buildVerdictVsa', () => {
  it('fills the SLSA VSA v1 fields from the verdict', () => {
    const st = buildVerdictVsa({ ...base, entry: makeEntry(), passed: true, verifierVersion: '1.0.0' });
    expect(st.subject).toEqual([{ name: 'app.tgz', digest: { sha256: 'a'.repeat(64) } }]);
    expect(st.predicate.verificationResult).toBe('PASSED');
    expect(st.predicate.verifiedLevels).toEqual(['SLSA_BUILD_LEVEL_2']);
    expect(st.predicate.inputAttestations).toEqual([
      { uri: 'app.intoto.json', digest: { sha256: 'b'.repeat(64) } },
    ]);
    expect(st.predicate.policy.uri).toBe(VALIDATE_POLICY_URI);
    expect(st.predicate.verifier.version).toEqual({ 'slsa-ledger': '1.0.0' });
    // the policy digest ignores key order
    const again = buildVerdictVsa({
      ...base,
      policy: { a: [{ x: 1, y: 2 }], b: 1 },
      entry: makeEntry(),
      passed: true,
    });
    expect(again.predicate.policy.digest).toEqual(st.predicate.policy.digest);
  });

  it('a failed verdict is FAILED', () => {
    const st = buildVerdictVsa({ ...base, entry: makeEntry(), passed: false });
    expect(st.predicate.verificationResult).toBe('FAILED');
    expect(st.predicate.verifiedLevels).toEqual(['FAILED']);
  });

  it('levels and resource uri', () => {
    expect(buildLevelOf([])).toBe('SLSA_BUILD_LEVEL_2');
    expect(
      buildLevelOf([
        'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.0.0',
      ]),
    ).toBe('SLSA_BUILD_LEVEL_3');
    // a key-signed provenance names whatever builder its signer writes: never L3
    expect(
      buildLevelOf(
        [
          'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.0.0',
        ],
        true,
      ),
    ).toBe('SLSA_BUILD_LEVEL_2');
    expect(verdictResourceUri(makeEntry({ artifact_url: 'https://x.example/a.tgz' }))).toBe(
      'https://x.example/a.tgz',
    );
    expect(
      verdictResourceUri(
        makeEntry({
          artifact_url: null,
          status: 'failure',
          failure_reason: 'x',
          release_url: 'https://github.com/o/r/releases/tag/v1.2.3',
        }),
      ),
    ).toBe('https://github.com/o/r/releases/tag/v1.2.3');
    expect(
      verdictResourceUri(makeEntry({ artifact_url: null, status: 'failure', failure_reason: 'x' })),
    ).toBe('urn:slsa-ledger:v1.2.3:101');
  });
});

// Mutation audit (issue 14, seventeenth session): L3 only when every builder is the generator's,
// matched up to its own path (not a look-alike repository); the artifact before the release page;
// the tag of a urn escaped.
describe('buildLevelOf and verdictResourceUri, mutation audit', () => {
  const generator =
    'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.0.0';
  it('gives L3 only when every builder is the generator', () => {
    expect(
      buildLevelOf([generator, 'https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main']),
    ).toBe('SLSA_BUILD_LEVEL_2');
    expect(buildLevelOf([generator, generator])).toBe('SLSA_BUILD_LEVEL_3');
  });
  it('does not take a repository named like the generator for it', () => {
    expect(buildLevelOf([generator.replace('slsa-github-generator/', 'slsa-github-generator-evil/')])).toBe(
      'SLSA_BUILD_LEVEL_2',
    );
  });
  it('prefers the artifact to the release page', () => {
    expect(
      verdictResourceUri(
        makeEntry({
          artifact_url: 'https://x.example/a.tgz',
          release_url: 'https://github.com/o/r/releases/tag/v1.2.3',
        }),
      ),
    ).toBe('https://x.example/a.tgz');
  });
  it('escapes the tag in the urn', () => {
    expect(
      verdictResourceUri(
        makeEntry({ tag: 'release/v1:2', artifact_url: null, status: 'failure', failure_reason: 'x' }),
      ),
    ).toBe('urn:slsa-ledger:release%2Fv1%3A2:101');
  });
});
