import { VerificationError } from '../../errors.js';
import * as generator from './facts/slsa-github-generator.js';
import {
  slsaV1GithubActionsBuildtypesFacts,
  slsaV1GithubWorkflowFacts,
} from './facts/slsa-v1-github-workflow.js';
import type { InTotoStatement, ProvenanceFacts } from './types.js';

export { normalizeRepositoryUri, splitGitUri } from './facts/uri.js';

/** Reads the facts out of one kind of predicate. Throws INPUT_PROVENANCE_MALFORMED for a bad shape. */
export interface FactsExtractor {
  readonly predicateType: string;
  readonly buildType: string;
  extract(predicate: Readonly<Record<string, unknown>>, predicateType: string): ProvenanceFacts;
}

// THE REGISTRY: one line per supported (predicateType, buildType). To support another generator,
// add a module under ./facts/ exporting a FactsExtractor and list it here.
const extractors: readonly FactsExtractor[] = [
  slsaV1GithubWorkflowFacts,
  generator.slsaGeneratorGenericV02Facts,
  generator.slsaGeneratorGoV02Facts,
  generator.slsaGeneratorContainerV02Facts,
  generator.slsaGeneratorDelegatorV1Facts,
  generator.slsaGeneratorDelegatorV02Facts,
  generator.slsaGeneratorLowPermsDelegatorV1Facts,
  generator.slsaContainerBasedV1Facts,
  slsaV1GithubActionsBuildtypesFacts,
  generator.npmCliGhaV2Facts,
  generator.npmCliGhaV1Facts,
];

/** The predicate types `verify` accepts at all (SLSA v1 and v0.2). */
export const SUPPORTED_PREDICATE_TYPES: readonly string[] = [
  'https://slsa.dev/provenance/v1',
  'https://slsa.dev/provenance/v0.2',
];

/** buildType of a SLSA v1 (`buildDefinition.buildType`) or v0.2 (`buildType`) predicate. */
export function buildTypeOf(predicate: Readonly<Record<string, unknown>>): string | undefined {
  const definition = predicate.buildDefinition as { buildType?: unknown } | undefined;
  const candidate = definition?.buildType ?? predicate.buildType;
  return typeof candidate === 'string' ? candidate : undefined;
}

/**
 * Normalises what the statement's predicate says (builder, source, ref, commit, inputs) through the
 * extractor registered for its predicateType and buildType. An unsupported combination is
 * VERIFY_PREDICATE_TYPE_INVALID: we do not guess at fields of a format we do not know.
 */
export function extractFacts(statement: InTotoStatement): ProvenanceFacts {
  const predicate = statement.predicate as Readonly<Record<string, unknown>>;
  const buildType = buildTypeOf(predicate);
  const extractor = extractors.find(
    (e) => e.predicateType === statement.predicateType && e.buildType === buildType,
  );
  if (extractor === undefined) {
    throw new VerificationError(
      'VERIFY_PREDICATE_TYPE_INVALID',
      `unsupported provenance: predicate type ${statement.predicateType} with build type ${buildType ?? '(none)'}`,
      { details: { predicateType: statement.predicateType, buildType: buildType ?? null } },
    );
  }
  return extractor.extract(predicate, statement.predicateType);
}
