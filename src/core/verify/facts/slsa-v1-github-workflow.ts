import { SlsaLedgerError } from '../../../errors.js';
import { buildTypeOf, type FactsExtractor } from '../facts.js';
import type { ProvenanceFacts } from '../types.js';
import { splitGitUri } from './uri.js';

function malformed(problem: string): SlsaLedgerError {
  return new SlsaLedgerError('INPUT_PROVENANCE_MALFORMED', `slsa v1 provenance: ${problem}`);
}

function record(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * SLSA Provenance v1 with the GitHub Actions workflow buildType, as `actions/attest-build-provenance`
 * writes it (https://github.com/slsa-framework/github-actions-buildtypes/tree/main/workflow/v1).
 * The source is `resolvedDependencies[0]` only (`git+<server>/<repo>@<ref>`, `digest.gitCommit`):
 * one canonical place, so a statement without it has no source and fails the source check.
 */
export const slsaV1GithubWorkflowFacts: FactsExtractor = githubWorkflow(
  'https://actions.github.io/buildtypes/workflow/v1',
);

/**
 * The same buildType under its first URI: `actions/attest-build-provenance` before @actions/attest
 * 1.3.0, and the npm CLI's SLSA v1 provenance (`npm publish --provenance`), whose builder is the
 * runner (`https://github.com/actions/runner/github-hosted`).
 */
export const slsaV1GithubActionsBuildtypesFacts: FactsExtractor = githubWorkflow(
  'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
);

function githubWorkflow(buildType: string): FactsExtractor {
  return { predicateType: 'https://slsa.dev/provenance/v1', buildType, extract };
}

function extract(predicate: Readonly<Record<string, unknown>>, predicateType: string): ProvenanceFacts {
  {
    const definition = record(predicate.buildDefinition);
    const runDetails = record(predicate.runDetails);
    const builderId = optionalString(record(runDetails?.builder)?.id);
    if (definition === undefined || builderId === undefined) {
      throw malformed('runDetails.builder.id and buildDefinition are required');
    }
    const external = record(definition.externalParameters);
    const workflow = record(external?.workflow);
    const dependencies = Array.isArray(definition.resolvedDependencies)
      ? (definition.resolvedDependencies as unknown[])
      : [];
    const source = record(dependencies[0]);
    const sourceUri = optionalString(source?.uri);
    const fromUri = sourceUri === undefined ? undefined : splitGitUri(sourceUri);
    const inputs = record(external?.inputs);
    return {
      predicateType,
      buildType: buildTypeOf(predicate) ?? '',
      builderId,
      sourceRepository: fromUri?.repository,
      sourceRef: fromUri?.ref,
      sourceCommit: optionalString(record(source?.digest)?.gitCommit),
      workflowInputs:
        inputs === undefined
          ? undefined
          : Object.fromEntries(
              Object.entries(inputs).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
            ),
      workflowPath: optionalString(workflow?.path),
    };
  }
}
