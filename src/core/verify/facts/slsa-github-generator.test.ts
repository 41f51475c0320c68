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

// slsa-github-generator's Node.js builder writes SLSA v0.2 through the BYOB delegator (buildType
// delegator-generic@v0); slsa-verifier reads it with slsaprovenance/v0.2/byob.go.
describe('slsa-github-generator facts: SLSA v0.2 from a BYOB delegator (the Node.js builder)', () => {
  const NPM = 'slsa-verifier/npm/gha/provenance-npm-test-ossf.tgz.json';
  const REPO = 'git+https://github.com/laurentsimon/provenance-npm-test';
  const COMMIT = '34490b44db557f009617bcb92b8780f972c189ab';
  const nodejs = (mutate: (p: any) => void = () => undefined): InTotoStatement => {
    const doc = readVector(NPM);
    const bundle = doc.attestations.find(
      (a: any) => a.predicateType === 'https://slsa.dev/provenance/v0.2',
    ).bundle;
    const st = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    mutate(st.predicate);
    return st as InTotoStatement;
  };

  it('reads the npm registry copy of provenance-npm-test@1.0.5', () => {
    expect(extractFacts(nodejs())).toEqual({
      predicateType: 'https://slsa.dev/provenance/v0.2',
      buildType: `${GEN}/delegator-generic@v0`,
      builderId: `${GEN}/.github/workflows/builder_nodejs_slsa3.yml@refs/tags/v1.6.0`,
      sourceRepository: 'github.com/laurentsimon/provenance-npm-test',
      sourceRef: 'refs/heads/main',
      sourceCommit: COMMIT,
      workflowInputs: undefined,
      workflowPath: '.github/workflows/release-slsa3.yml',
    });
  });

  it('the ref and commit are those of materials[0]: a build of another commit names no ref', () => {
    const facts = extractFacts(
      nodejs((p) => {
        p.materials[0] = { uri: REPO, digest: { sha1: 'e'.repeat(40) } };
      }),
    );
    expect(facts).toMatchObject({ sourceRef: undefined, sourceCommit: 'e'.repeat(40) });
  });

  it('workflow inputs from GITHUB_EVENT_PAYLOAD, for a workflow_dispatch trigger only', () => {
    const withInputs = (event: string) =>
      extractFacts(
        nodejs((p) => {
          p.invocation.environment.GITHUB_EVENT_NAME = event;
          p.invocation.environment.GITHUB_EVENT_PAYLOAD = { inputs: { version: '1.0.5', dry: true } };
        }),
      ).workflowInputs;
    expect(withInputs('workflow_dispatch')).toEqual({ version: '1.0.5', dry: 'true' });
    expect(withInputs('push')).toBeUndefined();
  });

  it.each([
    [
      'a source of another repository than the trigger',
      (p: any) => {
        p.materials[0].uri = 'git+https://github.com/mallory/provenance-npm-test@refs/heads/main';
      },
      'VERIFY_SOURCE_MISMATCH',
    ],
    [
      'a source at another ref than the trigger',
      (p: any) => {
        p.materials[0].uri = `${REPO}@refs/heads/evil`;
      },
      'INPUT_PROVENANCE_MALFORMED',
    ],
    [
      'a trigger without a ref',
      (p: any) => {
        p.invocation.configSource.uri = REPO;
      },
      'INPUT_PROVENANCE_MALFORMED',
    ],
    [
      'no materials',
      (p: any) => {
        p.materials = [];
      },
      'INPUT_PROVENANCE_MALFORMED',
    ],
    [
      'no trigger',
      (p: any) => {
        delete p.invocation.configSource;
      },
      'INPUT_PROVENANCE_MALFORMED',
    ],
    [
      'no builder id',
      (p: any) => {
        delete p.builder;
      },
      'INPUT_PROVENANCE_MALFORMED',
    ],
  ] as const)('%s -> %s', (_name, mutate, code) => {
    expect(() => extractFacts(nodejs(mutate))).toThrowCode(code);
  });
});
