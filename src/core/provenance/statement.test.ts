import { describe, expect, it } from 'vitest';
import { buildProvenanceStatement, serializeStatement, type BuildContext } from './statement.js';

const context: BuildContext = {
  serverUrl: 'https://github.com',
  repository: 'octo-org/octo-repo',
  ref: 'refs/tags/v1.2.3',
  sha: '7d6a2b5d5b7c4e1f0a9b8c7d6e5f4a3b2c1d0e9f',
  workflowPath: '.github/workflows/release.yml',
  workflowRef: 'refs/tags/v1.2.3',
  runId: '1234567890',
  runAttempt: '2',
  eventName: 'push',
  builderId: 'https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v1.2.3',
  repositoryId: '123456',
  repositoryOwnerId: '654321',
  runnerEnvironment: 'github-hosted',
};

// The statement actions/attest-build-provenance (actions/toolkit packages/attest/src/provenance.ts and
// intoto.ts) builds for the same claims, written out by hand from that code: the golden value.
const golden = {
  _type: 'https://in-toto.io/Statement/v1',
  subject: [
    { name: 'app-linux-amd64.tar.gz', digest: { sha256: 'a'.repeat(64) } },
    { name: 'app-darwin-arm64.tar.gz', digest: { sha256: 'b'.repeat(64) } },
  ],
  predicateType: 'https://slsa.dev/provenance/v1',
  predicate: {
    buildDefinition: {
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      externalParameters: {
        workflow: {
          ref: 'refs/tags/v1.2.3',
          repository: 'https://github.com/octo-org/octo-repo',
          path: '.github/workflows/release.yml',
        },
      },
      internalParameters: {
        github: {
          event_name: 'push',
          repository_id: '123456',
          repository_owner_id: '654321',
          runner_environment: 'github-hosted',
        },
      },
      resolvedDependencies: [
        {
          uri: 'git+https://github.com/octo-org/octo-repo@refs/tags/v1.2.3',
          digest: { gitCommit: '7d6a2b5d5b7c4e1f0a9b8c7d6e5f4a3b2c1d0e9f' },
        },
      ],
    },
    runDetails: {
      builder: { id: 'https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v1.2.3' },
      metadata: {
        invocationId: 'https://github.com/octo-org/octo-repo/actions/runs/1234567890/attempts/2',
      },
    },
  },
};

const subjects = [
  { name: 'app-linux-amd64.tar.gz', sha256: 'a'.repeat(64) },
  { name: 'app-darwin-arm64.tar.gz', sha256: 'b'.repeat(64) },
];

describe('buildProvenanceStatement', () => {
  it('matches the golden statement of actions/attest-build-provenance, key order included', () => {
    const statement = buildProvenanceStatement(subjects, context);
    expect(statement).toStrictEqual(golden);
    expect(new TextDecoder().decode(serializeStatement(statement))).toBe(JSON.stringify(golden));
  });

  it('drops the optional github ids when the context has none', () => {
    const { repositoryId: _a, repositoryOwnerId: _b, runnerEnvironment: _c, ...bare } = context;
    const payload = JSON.parse(
      new TextDecoder().decode(serializeStatement(buildProvenanceStatement(subjects, bare))),
    );
    expect(payload.predicate.buildDefinition.internalParameters.github).toStrictEqual({ event_name: 'push' });
  });

  it('keeps a subject named twice once, in first-seen order', () => {
    const statement = buildProvenanceStatement([...subjects, subjects[0]!], context);
    expect(statement.subject.map((s) => s.name)).toStrictEqual(subjects.map((s) => s.name));
  });

  it('strips a trailing slash from the server url', () => {
    const statement = buildProvenanceStatement(subjects, {
      ...context,
      serverUrl: 'https://ghe.example.com/',
    });
    const p = statement.predicate as typeof golden.predicate;
    expect(p.runDetails.metadata.invocationId).toBe(
      'https://ghe.example.com/octo-org/octo-repo/actions/runs/1234567890/attempts/2',
    );
  });

  it('strips every trailing slash from the server url', () => {
    const statement = buildProvenanceStatement(subjects, {
      ...context,
      serverUrl: 'https://ghe.example.com///',
    });
    const p = statement.predicate as typeof golden.predicate;
    expect(p.runDetails.metadata.invocationId).toBe(
      'https://ghe.example.com/octo-org/octo-repo/actions/runs/1234567890/attempts/2',
    );
  });
});
