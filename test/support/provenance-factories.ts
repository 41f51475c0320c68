// Factories for the verify unit tests: a valid statement from actions/attest-build-provenance's shape.
import { buildProvenanceStatement, type BuildContext } from '../../src/core/provenance/statement.js';
import type { InTotoStatement, VerificationPolicy } from '../../src/core/verify/types.js';

export const ARTIFACT_SHA = '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03';
export const COMMIT = '0123456789abcdef0123456789abcdef01234567';

export function makeContext(overrides: Partial<BuildContext> = {}): BuildContext {
  return {
    serverUrl: 'https://github.com',
    repository: 'o/r',
    ref: 'refs/tags/v1.2.3',
    sha: COMMIT,
    workflowPath: '.github/workflows/release.yml',
    workflowRef: 'refs/tags/v1.2.3',
    runId: '42',
    runAttempt: '1',
    eventName: 'push',
    builderId: 'https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.2.3',
    ...overrides,
  };
}

export function makeStatement(overrides: Partial<BuildContext> = {}): InTotoStatement {
  return buildProvenanceStatement([{ name: 'app.tar.gz', sha256: ARTIFACT_SHA }], makeContext(overrides));
}

export function makePolicy(overrides: Partial<VerificationPolicy> = {}): VerificationPolicy {
  return { sourceUri: 'github.com/o/r', ...overrides };
}
