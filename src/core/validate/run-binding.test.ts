import { describe, expect, it } from 'vitest';
import type { InTotoStatement, SignerIdentity } from '../verify/types.js';
import { checkRunBinding, parseRunReference, runNamedBy } from './run-binding.js';

// The values are the ones real provenance carries (test/fixtures/vectors, each with a SOURCE.md):
// actions/attest-build-provenance (certificate run invocation URI and runDetails.metadata.invocationId,
// other-tools/github-instance), slsa-github-generator v2.1.0's SLSA v0.2 `buildInvocationID`
// (slsa-verifier/gha_generic/v2.1.0/binary-linux-amd64-push-v14: `13530999509-1`, its
// github_run_id 13530999509) and the npm CLI's v0.2 `buildInvocationId` (other-tools/npm).

const v1 = (invocationId?: unknown): InTotoStatement => ({
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: 'app.tgz', digest: { sha256: 'a'.repeat(64) } }],
  predicateType: 'https://slsa.dev/provenance/v1',
  predicate: {
    buildDefinition: { buildType: 'https://actions.github.io/buildtypes/workflow/v1' },
    runDetails: {
      builder: { id: 'https://github.com/acme/app/.github/workflows/slsa-provenance.yml@refs/tags/v1.2.3' },
      metadata: invocationId === undefined ? {} : { invocationId },
    },
  },
});

const v02 = (metadata: Record<string, unknown>): InTotoStatement => ({
  _type: 'https://in-toto.io/Statement/v0.1',
  subject: [{ name: 'app.tgz', digest: { sha256: 'a'.repeat(64) } }],
  predicateType: 'https://slsa.dev/provenance/v0.2',
  predicate: {
    builder: {
      id: 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0',
    },
    buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
    metadata,
  },
});

const key: SignerIdentity = { kind: 'key', keyId: 'SHA256:abc' };
const cert = (runInvocationUri?: string): SignerIdentity => ({
  kind: 'certificate',
  issuer: 'https://token.actions.githubusercontent.com',
  subjectAlternativeName:
    'https://github.com/acme/app/.github/workflows/slsa-provenance.yml@refs/tags/v1.2.3',
  ...(runInvocationUri === undefined ? {} : { runInvocationUri }),
});

const runUrl = (run: number | string, repo = 'acme/app') =>
  `https://github.com/${repo}/actions/runs/${run}/attempts/1`;

const bind = (
  provenance: { statement: InTotoStatement; signer: SignerIdentity }[],
  o: { entryRunId?: number; provenanceRun?: number; requireRun?: boolean; sourceUri?: string } = {},
) =>
  checkRunBinding({
    tag: 'v1.2.3',
    entryRunId: o.entryRunId ?? 55,
    ...(o.provenanceRun === undefined ? {} : { provenanceRun: o.provenanceRun }),
    ...(o.requireRun === undefined ? {} : { requireRun: o.requireRun }),
    sourceUri: o.sourceUri ?? 'github.com/acme/app',
    provenance: provenance.map((p, i) => ({ ...p, source: `p${i}.json` })),
  });

describe('parseRunReference', () => {
  it('reads run URLs (with and without the attempt) and RUN-ATTEMPT pairs', () => {
    expect(
      parseRunReference(
        'https://github.com/actions/attest-build-provenance/actions/runs/19458472622/attempts/1',
      ),
    ).toEqual({
      runId: '19458472622',
      attempt: '1',
      repository: 'github.com/actions/attest-build-provenance',
    });
    expect(parseRunReference('https://GHE.example.com:8443/Acme/App/actions/runs/7')).toEqual({
      runId: '7',
      repository: 'ghe.example.com:8443/acme/app',
    });
    expect(parseRunReference('13530999509-1')).toEqual({ runId: '13530999509', attempt: '1' });
  });

  it('reads nothing else', () => {
    for (const value of [
      '',
      '13530999509',
      '0-1',
      'https://github.com/acme/app/actions/runs/0/attempts/1',
      'http://github.com/acme/app/actions/runs/5/attempts/1',
      'https://github.com/acme/app/actions/runs/5/jobs/1',
      'https://gitlab.com/acme/app/-/pipelines/5',
      'https://github.com/acme/app\u001b[2J/actions/runs/5/attempts/1',
      'https://github.com/acme/a pp/actions/runs/5',
    ]) {
      expect(parseRunReference(value), value).toBeUndefined();
    }
  });
});

describe('runNamedBy', () => {
  it('prefers the certificate run invocation URI to the predicate', () => {
    expect(runNamedBy(v1(runUrl(56)), cert(runUrl(55)))).toMatchObject({ runId: '55', from: 'certificate' });
  });

  it('falls back to the predicate when the certificate names no run it can read', () => {
    expect(runNamedBy(v1(runUrl(56)), cert())).toMatchObject({ runId: '56', from: 'predicate' });
    expect(runNamedBy(v1(runUrl(56)), cert('urn:something'))).toMatchObject({
      runId: '56',
      from: 'predicate',
    });
  });

  it('reads SLSA v1 invocationId and both spellings of SLSA v0.2 buildInvocationId', () => {
    expect(runNamedBy(v1(runUrl(55)), key)).toMatchObject({ runId: '55', repository: 'github.com/acme/app' });
    expect(runNamedBy(v02({ buildInvocationID: '13530999509-1' }), key)).toEqual({
      runId: '13530999509',
      attempt: '1',
      from: 'predicate',
      value: '13530999509-1',
    });
    expect(runNamedBy(v02({ buildInvocationId: '4735384265-1' }), key)).toMatchObject({
      runId: '4735384265',
    });
  });

  it("falls back to a v0.2 predicate's recorded environment", () => {
    const withEnvironment = (environment: Record<string, unknown>): InTotoStatement => {
      const st = v02({});
      return { ...st, predicate: { ...(st.predicate as object), invocation: { environment } } };
    };
    expect(runNamedBy(withEnvironment({ github_run_id: '13530999509' }), key)).toMatchObject({
      runId: '13530999509',
      value: 'invocation.environment.github_run_id 13530999509',
    });
    expect(runNamedBy(withEnvironment({ GITHUB_RUN_ID: '4735384265' }), key)).toMatchObject({
      runId: '4735384265',
    });
    expect(runNamedBy(withEnvironment({ github_run_id: 5 }), key)).toBeUndefined();
    expect(runNamedBy(withEnvironment({ github_run_id: '05' }), key)).toBeUndefined();
  });

  it('names no run when nothing readable is signed', () => {
    expect(runNamedBy(v1(), key)).toBeUndefined();
    expect(runNamedBy(v1(42), key)).toBeUndefined();
    expect(runNamedBy(v1('a build'), cert())).toBeUndefined();
    expect(runNamedBy(v02({}), key)).toBeUndefined();
    expect(runNamedBy({ ...v1(), predicate: null }, key)).toBeUndefined();
  });
});

describe('checkRunBinding', () => {
  it("passes the entry's own run", () => {
    const r = bind([{ statement: v1(runUrl(55)), signer: cert(runUrl(55)) }]);
    expect(r.runs).toMatchObject([{ runId: '55', from: 'certificate', source: 'p0.json' }]);
    expect(r.unbound).toEqual([]);
    expect(bind([{ statement: v02({ buildInvocationID: '55-2' }), signer: key }]).runs).toHaveLength(1);
  });

  it('refuses the provenance of another run of the tag (VALIDATE_RUN_MISMATCH)', () => {
    expect(() =>
      bind([{ statement: v1(runUrl(55)), signer: cert(runUrl(55)) }], { entryRunId: 999999 }),
    ).toThrowCode('VALIDATE_RUN_MISMATCH');
    expect(() =>
      bind([{ statement: v02({ buildInvocationID: '55-1' }), signer: key }], { entryRunId: 56 }),
    ).toThrowCode('VALIDATE_RUN_MISMATCH');
    // the certificate wins over what the predicate claims
    expect(() => bind([{ statement: v1(runUrl(55)), signer: cert(runUrl(56)) }])).toThrowCode(
      'VALIDATE_RUN_MISMATCH',
    );
    // every document is checked
    expect(() =>
      bind([
        { statement: v1(runUrl(55)), signer: key },
        { statement: v1(runUrl(54)), signer: key },
      ]),
    ).toThrowCode('VALIDATE_RUN_MISMATCH');
  });

  it('names both runs and suggests --provenance-run', () => {
    try {
      bind([{ statement: v1(runUrl(55)), signer: cert(runUrl(55)) }], { entryRunId: 999999 });
      expect.unreachable();
    } catch (error) {
      const e = error as { message: string; details: Record<string, unknown> };
      expect(e.details).toMatchObject({
        expected_run_id: '999999',
        actual_run_id: '55',
        from: 'certificate',
      });
      expect(e.message).toContain('run 55');
      expect(e.message).toContain('run 999999');
      expect(e.message).toContain('--provenance-run 55');
    }
  });

  it("refuses the same run number in another repository (the run URL's repository)", () => {
    expect(() => bind([{ statement: v1(runUrl(55)), signer: cert(runUrl(55, 'evil/app')) }])).toThrowCode(
      'VALIDATE_RUN_MISMATCH',
    );
    // case-insensitive, as GitHub's names are
    expect(bind([{ statement: v1(), signer: cert(runUrl(55, 'Acme/App')) }]).runs).toHaveLength(1);
  });

  it('checks --provenance-run instead of the entry run when given', () => {
    expect(bind([{ statement: v1(runUrl(70)), signer: key }], { provenanceRun: 70 }).runs).toHaveLength(1);
    expect(() => bind([{ statement: v1(runUrl(55)), signer: key }], { provenanceRun: 70 })).toThrowCode(
      'VALIDATE_RUN_MISMATCH',
    );
    expect(() =>
      bind([{ statement: v1(runUrl(70, 'evil/app')), signer: key }], { provenanceRun: 70 }),
    ).toThrowCode('VALIDATE_RUN_MISMATCH');
  });

  it('accepts provenance naming no run unless required (VALIDATE_RUN_UNBOUND)', () => {
    expect(bind([{ statement: v1(), signer: key }]).unbound).toEqual(['p0.json']);
    expect(() => bind([{ statement: v1(), signer: key }], { requireRun: true })).toThrowCode(
      'VALIDATE_RUN_UNBOUND',
    );
    expect(() =>
      bind([{ statement: v1(), signer: key }], { requireRun: true, provenanceRun: 3 }),
    ).toThrowCode('VALIDATE_RUN_UNBOUND');
    expect(bind([{ statement: v1(runUrl(55)), signer: key }], { requireRun: true }).unbound).toEqual([]);
  });
});

// mutation audit (nineteenth session): each case below failed a mutant the tests above let through
describe('run binding, exact matches (mutation audit)', () => {
  it('reads a run reference only as the whole value', () => {
    for (const value of [
      // a run URL quoted inside another value, or after other text
      'https://evil.example/?https://github.com/acme/app/actions/runs/55/attempts/1',
      'x https://github.com/acme/app/actions/runs/55',
      // credentials or other characters in the host, a control character in the owner
      'https://user@github.com/acme/app/actions/runs/55/attempts/1',
      'https://github.com/ac\u001bme/app/actions/runs/55/attempts/1',
      // attempt 0, a RUN-ATTEMPT pair with text around it or attempt 0
      'https://github.com/acme/app/actions/runs/55/attempts/0',
      '55-0',
      '55-1x',
      'x55-1',
    ]) {
      expect(parseRunReference(value), value).toBeUndefined();
    }
  });

  it('reads the next candidate when an invocation id names no run it can read', () => {
    const st = v02({ buildInvocationID: 'not a run' });
    const withEnvironment: InTotoStatement = {
      ...st,
      predicate: { ...(st.predicate as object), invocation: { environment: { github_run_id: '55' } } },
    };
    expect(runNamedBy(withEnvironment, key)).toMatchObject({ runId: '55' });
    const env = (github_run_id: string): InTotoStatement => ({
      ...st,
      predicate: { ...(v02({}).predicate as object), invocation: { environment: { github_run_id } } },
    });
    expect(runNamedBy(env('55x'), key)).toBeUndefined();
  });

  it('compares the run id exactly, never as a prefix or suffix', () => {
    // entry run 5, provenance of run 55; entry run 55, provenance of run 155
    expect(() => bind([{ statement: v1(runUrl(55)), signer: key }], { entryRunId: 5 })).toThrowCode(
      'VALIDATE_RUN_MISMATCH',
    );
    expect(() => bind([{ statement: v1(runUrl(155)), signer: key }], { entryRunId: 55 })).toThrowCode(
      'VALIDATE_RUN_MISMATCH',
    );
  });

  it("compares the whole HOST/OWNER/REPO with the entry's source, in any letter case", () => {
    const at = (url: string) => () => bind([{ statement: v1(url), signer: key }]);
    // a look-alike host, another host, a repository whose name begins with the entry's, another name
    expect(at('https://evilgithub.com/acme/app/actions/runs/55/attempts/1')).toThrowCode(
      'VALIDATE_RUN_MISMATCH',
    );
    expect(at('https://ghe.example.com/acme/app/actions/runs/55/attempts/1')).toThrowCode(
      'VALIDATE_RUN_MISMATCH',
    );
    expect(at('https://github.com/acme/app-evil/actions/runs/55/attempts/1')).toThrowCode(
      'VALIDATE_RUN_MISMATCH',
    );
    expect(at('https://github.com/acme/other/actions/runs/55/attempts/1')).toThrowCode(
      'VALIDATE_RUN_MISMATCH',
    );
    // the source as the release URL spells it (`Acme/App`) is the same repository
    expect(
      bind([{ statement: v1(runUrl(55)), signer: key }], { sourceUri: 'github.com/Acme/App' }).runs,
    ).toHaveLength(1);
  });

  it('checks every document, whatever comes before it', () => {
    // a document naming no run, then one of another run
    expect(() =>
      bind([
        { statement: v1(), signer: key },
        { statement: v1(runUrl(54)), signer: key },
      ]),
    ).toThrowCode('VALIDATE_RUN_MISMATCH');
    // a certificate bound to the entry's run, then a document of another run
    expect(() =>
      bind([
        { statement: v1(runUrl(55)), signer: cert(runUrl(55)) },
        { statement: v1(runUrl(54)), signer: key },
      ]),
    ).toThrowCode('VALIDATE_RUN_MISMATCH');
    // with --require-run-binding, one document naming no run fails the lot, even beside a bound one
    expect(() =>
      bind(
        [
          { statement: v1(runUrl(55)), signer: key },
          { statement: v1(), signer: key },
        ],
        { requireRun: true },
      ),
    ).toThrowCode('VALIDATE_RUN_UNBOUND');
  });
});
