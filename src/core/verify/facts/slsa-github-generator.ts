import { SlsaLedgerError, VerificationError } from '../../../errors.js';
import type { FactsExtractor } from '../facts.js';
import type { ProvenanceFacts } from '../types.js';
import { normalizeRepositoryUri, splitGitUri } from './uri.js';

// Predicates written by slsa-github-generator, read from where slsa-verifier reads them
// (verifiers/internal/gha/slsaprovenance/v0.2 and v1.0/byob.go).

const GENERATOR_BUILD_TYPE = 'https://github.com/slsa-framework/slsa-github-generator';

function malformed(problem: string): SlsaLedgerError {
  return new SlsaLedgerError('INPUT_PROVENANCE_MALFORMED', `slsa-github-generator provenance: ${problem}`);
}

function record(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** workflow_dispatch inputs as strings: `true` and `123` as GitHub renders them, objects as JSON. */
function stringifyInputs(inputs: unknown): Readonly<Record<string, string>> | undefined {
  const map = record(inputs);
  if (map === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(map).map(([key, value]) => [
      key,
      typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : JSON.stringify(value),
    ]),
  );
}

/**
 * What both SLSA v0.2 readers start from: the builder id (required), the trigger
 * (`invocation.configSource`) and its environment, and `materials[0]`, with their URIs.
 */
function v02Fields(predicate: Readonly<Record<string, unknown>>) {
  const builderId = optionalString(record(predicate.builder)?.id);
  if (builderId === undefined) throw malformed('builder.id is required');
  const invocation = record(predicate.invocation);
  const configSource = record(invocation?.configSource);
  const materials = Array.isArray(predicate.materials) ? (predicate.materials as unknown[]) : [];
  const material = record(materials[0]);
  return {
    builderId,
    configSource,
    environment: record(invocation?.environment),
    material,
    materialUri: optionalString(material?.uri),
    configUri: optionalString(configSource?.uri),
  };
}

/**
 * SLSA v0.2 from the generic generator and the Go builder (and the container generator): the
 * source is `materials[0]` and must be the repository of `invocation.configSource` (the trigger);
 * the ref is `environment.github_ref`, the commit `configSource.digest.sha1`, the inputs
 * `environment.github_event_payload.inputs`.
 */
function extractV02(
  predicate: Readonly<Record<string, unknown>>,
  predicateType: string,
  buildType: string,
): ProvenanceFacts {
  const { builderId, configSource, environment, material, materialUri, configUri } = v02Fields(predicate);
  if (materialUri === undefined && configUri === undefined) {
    throw malformed('neither materials[0].uri nor invocation.configSource.uri names the source');
  }
  const fromMaterial = materialUri === undefined ? undefined : splitGitUri(materialUri);
  const fromConfig = configUri === undefined ? undefined : splitGitUri(configUri);
  if (
    fromMaterial !== undefined &&
    fromConfig !== undefined &&
    fromMaterial.repository !== fromConfig.repository
  ) {
    // slsa-verifier checks the expected source against both; they can only both match if equal.
    throw new VerificationError(
      'VERIFY_SOURCE_MISMATCH',
      `provenance source ${fromMaterial.repository} differs from its trigger ${fromConfig.repository}`,
      { details: { material: fromMaterial.repository, trigger: fromConfig.repository } },
    );
  }
  const eventPayload = record(environment?.github_event_payload);
  return {
    predicateType,
    buildType,
    builderId,
    sourceRepository: (fromMaterial ?? fromConfig)?.repository,
    sourceRef: optionalString(environment?.github_ref) ?? fromConfig?.ref ?? fromMaterial?.ref,
    sourceCommit:
      optionalString(record(configSource?.digest)?.sha1) ??
      optionalString(record(material?.digest)?.sha1) ??
      optionalString(environment?.github_sha1),
    workflowInputs: stringifyInputs(eventPayload?.inputs),
    workflowPath: optionalString(configSource?.entryPoint),
  };
}

/**
 * SLSA v1 from the BYOB delegators: the source is `resolvedDependencies[0]`, falling back to
 * `internalParameters` (GITHUB_REPOSITORY, GITHUB_REF, GITHUB_SHA); the inputs are the event
 * payload's, the workflow path is read from GITHUB_WORKFLOW_REF.
 */
function extractDelegator(
  predicate: Readonly<Record<string, unknown>>,
  predicateType: string,
  buildType: string,
): ProvenanceFacts {
  const definition = record(predicate.buildDefinition);
  const builderId = optionalString(record(record(predicate.runDetails)?.builder)?.id);
  if (definition === undefined || builderId === undefined) {
    throw malformed('runDetails.builder.id and buildDefinition are required');
  }
  const internal = record(definition.internalParameters);
  const dependencies = Array.isArray(definition.resolvedDependencies)
    ? (definition.resolvedDependencies as unknown[])
    : [];
  const dependency = record(dependencies[0]);
  const dependencyUri = optionalString(dependency?.uri);
  const fromUri = dependencyUri === undefined ? undefined : splitGitUri(dependencyUri);
  const repository = optionalString(internal?.GITHUB_REPOSITORY);
  const workflowRef = optionalString(internal?.GITHUB_WORKFLOW_REF);
  const workflowPath = workflowRef?.split('@')[0]?.split('/').slice(2).join('/');
  return {
    predicateType,
    buildType,
    builderId,
    sourceRepository:
      fromUri?.repository ??
      (repository === undefined ? undefined : normalizeRepositoryUri(`https://github.com/${repository}`)),
    sourceRef: fromUri?.ref ?? optionalString(internal?.GITHUB_REF),
    sourceCommit:
      optionalString(record(dependency?.digest)?.gitCommit) ??
      optionalString(record(dependency?.digest)?.sha1) ??
      optionalString(internal?.GITHUB_SHA),
    workflowInputs: stringifyInputs(record(internal?.GITHUB_EVENT_PAYLOAD)?.inputs),
    workflowPath: workflowPath === '' ? undefined : workflowPath,
  };
}

/**
 * SLSA v0.2 from the BYOB delegators (slsa-github-generator's Node.js builder writes it): read as
 * slsa-verifier reads it (slsaprovenance/v0.2/byob.go). The source is `materials[0]` and the
 * trigger `invocation.configSource`, both required and of one repository; the ref is the one
 * `materials[0]` names — the tool may build another commit than the trigger's, and then names
 * none, so no tag or branch can be claimed for it; when it names one, the trigger must be the same
 * URI. The commit is that of `materials[0]`; the environment is upper-case (GITHUB_*), and workflow
 * inputs count only for a `workflow_dispatch` trigger.
 */
function extractDelegatorV02(
  predicate: Readonly<Record<string, unknown>>,
  predicateType: string,
  buildType: string,
): ProvenanceFacts {
  const { builderId, configSource, environment, material, materialUri, configUri } = v02Fields(predicate);
  if (materialUri === undefined) throw malformed('materials[0].uri (the source) is required');
  if (configUri === undefined) throw malformed('invocation.configSource.uri (the trigger) is required');
  const source = splitGitUri(materialUri);
  const trigger = splitGitUri(configUri);
  if (source.repository !== trigger.repository) {
    throw new VerificationError(
      'VERIFY_SOURCE_MISMATCH',
      `provenance source ${source.repository} differs from its trigger ${trigger.repository}`,
      { details: { material: source.repository, trigger: trigger.repository } },
    );
  }
  if (trigger.ref === undefined || trigger.ref === '')
    throw malformed(`the trigger ${configUri} names no ref`);
  if (source.ref !== undefined && materialUri !== configUri) {
    throw malformed(`source ${materialUri} and trigger ${configUri} differ`);
  }
  const eventPayload = record(environment?.GITHUB_EVENT_PAYLOAD);
  const dispatched = environment?.GITHUB_EVENT_NAME === 'workflow_dispatch';
  const workflowRef = optionalString(environment?.GITHUB_WORKFLOW_REF);
  const workflowPath = workflowRef?.split('@')[0]?.split('/').slice(2).join('/');
  return {
    predicateType,
    buildType,
    builderId,
    sourceRepository: source.repository,
    sourceRef: source.ref === '' ? undefined : source.ref,
    sourceCommit:
      optionalString(record(material?.digest)?.sha1) ??
      optionalString(record(material?.digest)?.gitCommit) ??
      optionalString(record(configSource?.digest)?.sha1),
    workflowInputs: dispatched ? stringifyInputs(eventPayload?.inputs) : undefined,
    workflowPath:
      optionalString(configSource?.entryPoint) ?? (workflowPath === '' ? undefined : workflowPath),
  };
}

function v02(buildType: string): FactsExtractor {
  return {
    predicateType: 'https://slsa.dev/provenance/v0.2',
    buildType,
    extract: (predicate, predicateType) => extractV02(predicate, predicateType, buildType),
  };
}

function delegator(buildType: string): FactsExtractor {
  return {
    predicateType: 'https://slsa.dev/provenance/v1',
    buildType,
    extract: (predicate, predicateType) => extractDelegator(predicate, predicateType, buildType),
  };
}

/** SLSA v0.2, generic generator (`generator_generic_slsa3.yml`). */
export const slsaGeneratorGenericV02Facts = v02(`${GENERATOR_BUILD_TYPE}/generic@v1`);
/** SLSA v0.2, Go builder (`builder_go_slsa3.yml`). */
export const slsaGeneratorGoV02Facts = v02(`${GENERATOR_BUILD_TYPE}/go@v1`);
/** SLSA v0.2, container generator (`generator_container_slsa3.yml`). */
export const slsaGeneratorContainerV02Facts = v02(`${GENERATOR_BUILD_TYPE}/container@v1`);
/**
 * SLSA v0.2, BYOB delegators (the Node.js builder `builder_nodejs_slsa3.yml` writes it; slsa-verifier
 * reads it for both delegators).
 */
export const slsaGeneratorDelegatorV02Facts: FactsExtractor = {
  predicateType: 'https://slsa.dev/provenance/v0.2',
  buildType: `${GENERATOR_BUILD_TYPE}/delegator-generic@v0`,
  extract: (predicate, predicateType) =>
    extractDelegatorV02(predicate, predicateType, `${GENERATOR_BUILD_TYPE}/delegator-generic@v0`),
};
/** SLSA v1, BYOB generic delegator (`delegator_generic_slsa3.yml`). */
export const slsaGeneratorDelegatorV1Facts = delegator(`${GENERATOR_BUILD_TYPE}/delegator-generic@v0`);
/** SLSA v1, BYOB low-permissions delegator (`delegator_lowperms-generic_slsa3.yml`). */
export const slsaGeneratorLowPermsDelegatorV1Facts = delegator(
  `${GENERATOR_BUILD_TYPE}/delegator-lowperms-generic@v0`,
);

/**
 * SLSA v1, slsa-github-generator's container-based builder (`builder_container-based_slsa3.yml`):
 * the source is `resolvedDependencies[0]` (digest `sha1`), falling back to `internalParameters`
 * as the delegators' (slsa-verifier reads it as v1 provenance, container_based.go).
 */
export const slsaContainerBasedV1Facts = delegator('https://slsa.dev/container-based-build/v0.1?draft');
/** SLSA v0.2 written by the npm CLI (`npm publish --provenance`) before SLSA v1 (npm/cli gha/v2). */
export const npmCliGhaV2Facts = v02('https://github.com/npm/cli/gha/v2');
/** SLSA v0.2 written by the npm CLI's first provenance release (npm/cli gha@v1). */
export const npmCliGhaV1Facts = v02('https://github.com/npm/cli/gha@v1');
