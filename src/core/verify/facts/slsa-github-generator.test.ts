import { describe, expect, it } from 'vitest';
import { readVector } from '../../../../test/support/vectors.js';
import { extractFacts } from '../facts.js';
import type { InTotoStatement } from '../types.js';

function statementOf(path: string): InTotoStatement {
  const raw = readVector(`slsa-verifier/${path}`);
  const envelope = raw.dsseEnvelope ?? raw;
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as InTotoStatement;
}

const GEN = 'https://github.com/slsa-framework/slsa-github-generator';

describe('slsa-github-generator facts (read where slsa-verifier reads them)', () => {
  it('v0.2 generic: source from materials/configSource, ref from the environment', () => {
    expect(
      extractFacts(statementOf('gha_generic/v2.1.0/binary-linux-amd64-push-v13.0.30.intoto.jsonl')),
    ).toEqual({
      predicateType: 'https://slsa.dev/provenance/v0.2',
      buildType: `${GEN}/generic@v1`,
      builderId: `${GEN}/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0`,
      sourceRepository: 'github.com/slsa-framework/example-package',
      sourceRef: 'refs/tags/v13.0.30',
      sourceCommit: '4d329c75e7ec1725f7c9ce917a8799d408d06be3',
      workflowInputs: undefined,
      workflowPath: '.github/workflows/verifier-e2e.all.workflow_dispatch.main.all.slsa3.yml',
    });
  });

  it('v0.2 generic: workflow_dispatch inputs from the event payload', () => {
    expect(extractFacts(statementOf('workflow-inputs.intoto.jsonl')).workflowInputs).toEqual({
      release_version: '(for example, 0.1.0)',
      some_bool: 'true',
      some_integer: '123',
    });
  });

  it('v0.2 go builder', () => {
    const facts = extractFacts(statementOf('binary-linux-amd64-untrusted-builder.intoto.jsonl'));
    expect(facts.buildType).toBe(`${GEN}/go@v1`);
    expect(facts.sourceRepository).toBe('github.com/asraa/slsa-on-github-test');
    expect(facts.sourceRef).toBe('refs/heads/main');
  });

  it('v1 delegator: builder is the tool workflow, source from resolvedDependencies and internalParameters', () => {
    expect(
      extractFacts(statementOf('gha_delegator/v2.1.0/binary-linux-amd64-push-v14.2.build.slsa')),
    ).toMatchObject({
      predicateType: 'https://slsa.dev/provenance/v1',
      buildType: `${GEN}/delegator-generic@v0`,
      builderId:
        'https://github.com/slsa-framework/example-trw/.github/workflows/builder_high-perms_slsa3.yml@refs/tags/v2.1.0',
      sourceRepository: 'github.com/slsa-framework/example-package',
      sourceRef: 'refs/tags/v14.2',
      sourceCommit: '4d329c75e7ec1725f7c9ce917a8799d408d06be3',
      workflowPath: '.github/workflows/verifier-e2e.all.workflow_dispatch.main.all.slsa3.yml',
    });
  });

  it('v1 delegator without resolvedDependencies falls back to internalParameters', () => {
    const st = statementOf('gha_delegator/v2.1.0/binary-linux-amd64-push-v14.2.build.slsa') as any;
    delete st.predicate.buildDefinition.resolvedDependencies;
    expect(extractFacts(st)).toMatchObject({
      sourceRepository: 'github.com/slsa-framework/example-package',
      sourceRef: 'refs/tags/v14.2',
      sourceCommit: '4d329c75e7ec1725f7c9ce917a8799d408d06be3',
    });
  });

  it.each([
    [
      'v0.2 without builder.id',
      'gha_generic/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl',
      (p: any): void => {
        delete p.builder;
      },
      'INPUT_PROVENANCE_MALFORMED',
    ],
    [
      'v0.2 without any source',
      'gha_generic/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl',
      (p: any): void => {
        delete p.materials;
        delete p.invocation.configSource;
      },
      'INPUT_PROVENANCE_MALFORMED',
    ],
    [
      'v0.2 whose materials and trigger name different repositories',
      'gha_generic/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl',
      (p: any): void => {
        p.materials[0].uri = 'git+https://github.com/mallory/example-package@refs/tags/v14';
      },
      'VERIFY_SOURCE_MISMATCH',
    ],
    [
      'v1 delegator without runDetails',
      'gha_delegator/v2.1.0/binary-linux-amd64-push-v14.2.build.slsa',
      (p: any): void => {
        delete p.runDetails;
      },
      'INPUT_PROVENANCE_MALFORMED',
    ],
  ] as const)('%s -> %s', (_name, path, mutate, code) => {
    const st = statementOf(path) as any;
    mutate(st.predicate);
    expect(() => extractFacts(st)).toThrowCode(code);
  });
});

// Mutation audit of the verify policy (nineteenth session, docs/status.md issue 16): where each
// fact is read when two places could give it, each case missed by a mutant before.
describe('slsa-github-generator facts: which field wins', () => {
  const V02 = 'gha_generic/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl';
  const V1 = 'gha_delegator/v2.1.0/binary-linux-amd64-push-v14.2.build.slsa';
  const COMMIT = '4d329c75e7ec1725f7c9ce917a8799d408d06be3';
  const read = (path: string, mutate: (p: any) => void) => {
    const st = statementOf(path) as any;
    mutate(st.predicate);
    return extractFacts(st);
  };

  it('v0.2: the ref is environment.github_ref, the commit configSource.digest.sha1', () => {
    const facts = read(V02, (p) => {
      p.invocation.configSource.uri = 'git+https://github.com/slsa-framework/example-package@refs/heads/evil';
      p.materials[0].uri = 'git+https://github.com/slsa-framework/example-package@refs/heads/evil';
      p.materials[0].digest.sha1 = 'f'.repeat(40);
    });
    expect(facts).toMatchObject({ sourceRef: 'refs/tags/v14', sourceCommit: COMMIT });
  });

  it('v0.2: an empty github_ref is no ref (the trigger names it)', () => {
    const facts = read(V02, (p) => {
      p.invocation.environment.github_ref = '';
    });
    expect(facts.sourceRef).toBe('refs/tags/v14');
  });

  it('v0.2: workflow inputs that are a list are no inputs', () => {
    const facts = read(V02, (p) => {
      p.invocation.environment.github_event_payload.inputs = ['a'];
    });
    expect(facts.workflowInputs).toBeUndefined();
  });

  it('v1 delegator: resolvedDependencies[0] before internalParameters, the first dependency only', () => {
    const facts = read(V1, (p) => {
      const internal = p.buildDefinition.internalParameters;
      internal.GITHUB_REPOSITORY = 'mallory/example-package';
      internal.GITHUB_REF = 'refs/heads/evil';
      internal.GITHUB_SHA = 'f'.repeat(40);
      p.buildDefinition.resolvedDependencies.push({
        uri: 'git+https://github.com/mallory/other@refs/heads/evil',
        digest: { gitCommit: 'e'.repeat(40) },
      });
    });
    expect(facts).toMatchObject({
      sourceRepository: 'github.com/slsa-framework/example-package',
      sourceRef: 'refs/tags/v14.2',
      sourceCommit: COMMIT,
    });
  });

  it('v1 delegator: a GITHUB_WORKFLOW_REF without a path names no workflow', () => {
    const facts = read(V1, (p) => {
      p.buildDefinition.internalParameters.GITHUB_WORKFLOW_REF =
        'slsa-framework/example-package@refs/tags/v14.2';
    });
    expect(facts.workflowPath).toBeUndefined();
  });
});
