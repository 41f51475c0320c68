// SLSA Verification Summary Attestations (https://slsa.dev/spec/v1.0/verification_summary): the
// standard, signed form of a verdict. Build one (for `validate --record`, phase 2: sign it with
// the Signer of src/io/key-signer.ts or keyless) and check one as slsa-verifier's `verify-vsa` does
// (verifiers/internal/vsa/verifier.go): subject digests, verifier.id, resourceUri,
// verificationResult PASSED, verified levels (per SLSA track at least the level asked for;
// other levels exactly). Pure.
import { SlsaLedgerError, VerificationError } from '../../errors.js';
import type { InTotoStatement } from '../verify/types.js';

export const VSA_PREDICATE_TYPE = 'https://slsa.dev/verification_summary/v1';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

/** A resource named by a URI and its digests (policy, input attestations). */
export interface VsaResourceRef {
  readonly uri: string;
  readonly digest?: Readonly<Record<string, string>>;
}

/** The predicate's fields, as the SLSA v1.0 specification lists them. */
export interface VsaPredicate {
  readonly verifier: { readonly id: string; readonly version?: Readonly<Record<string, string>> };
  /** RFC 3339 */
  readonly timeVerified: string;
  readonly resourceUri: string;
  readonly policy: VsaResourceRef;
  readonly inputAttestations?: readonly VsaResourceRef[];
  readonly verificationResult: 'PASSED' | 'FAILED';
  /** `SLSA_BUILD_LEVEL_3`, …, or `FAILED`; other tracks and levels (`BCID_L1`) allowed */
  readonly verifiedLevels: readonly string[];
  /** levels of the dependencies → how many were verified at each */
  readonly dependencyLevels?: Readonly<Record<string, number>>;
  /** the SLSA version the levels refer to, e.g. `1.0` */
  readonly slsaVersion?: string;
}

export interface BuildVsaOptions {
  /** the artifacts the verdict is about, with their digests */
  readonly subjects: readonly { readonly name: string; readonly digest: Readonly<Record<string, string>> }[];
  readonly verifierId: string;
  readonly verifierVersion?: Readonly<Record<string, string>>;
  readonly timeVerified: Date;
  readonly resourceUri: string;
  readonly policy: VsaResourceRef;
  readonly inputAttestations?: readonly VsaResourceRef[];
  readonly passed: boolean;
  readonly verifiedLevels: readonly string[];
  readonly dependencyLevels?: Readonly<Record<string, number>>;
  readonly slsaVersion?: string;
}

const LEVEL = /^(SLSA_[A-Z]+_LEVEL_\d+|FAILED|[A-Z][A-Z0-9_]*)$/;

/**
 * Builds the in-toto Statement v1 of a VSA. A failed verdict states `verificationResult: FAILED`
 * and `verifiedLevels: ["FAILED"]`, as the specification asks.
 * @throws INPUT_INVALID for no subject, a subject without digest, a malformed level
 */
export function buildVsaStatement(options: BuildVsaOptions): InTotoStatement & { predicate: VsaPredicate } {
  const invalid = (message: string): never => {
    throw new SlsaLedgerError('INPUT_INVALID', `vsa: ${message}`);
  };
  if (options.subjects.length === 0) invalid('at least one subject is needed');
  for (const s of options.subjects) {
    if (Object.keys(s.digest).length === 0) invalid(`subject ${s.name} has no digest`);
  }
  const levels = options.passed ? [...options.verifiedLevels] : ['FAILED'];
  for (const l of levels)
    if (!LEVEL.test(l)) invalid(`verified level ${l} is not a level (SLSA_BUILD_LEVEL_3)`);
  if (options.verifierId === '' || options.resourceUri === '' || options.policy.uri === '') {
    invalid('verifier id, resource uri and policy uri are required');
  }
  const predicate: VsaPredicate = {
    verifier: {
      id: options.verifierId,
      ...(options.verifierVersion === undefined ? {} : { version: options.verifierVersion }),
    },
    timeVerified: options.timeVerified.toISOString(),
    resourceUri: options.resourceUri,
    policy: options.policy,
    ...(options.inputAttestations === undefined ? {} : { inputAttestations: options.inputAttestations }),
    verificationResult: options.passed ? 'PASSED' : 'FAILED',
    verifiedLevels: levels,
    ...(options.dependencyLevels === undefined ? {} : { dependencyLevels: options.dependencyLevels }),
    ...(options.slsaVersion === undefined ? {} : { slsaVersion: options.slsaVersion }),
  };
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: options.subjects.map((s) => ({ name: s.name, digest: { ...s.digest } })),
    predicateType: VSA_PREDICATE_TYPE,
    predicate,
  };
}

/** What `verify --vsa` expects (slsa-verifier verify-vsa's flags). */
export interface VsaExpectations {
  /** `ALG:VALUE`, each must be a subject digest of the VSA (at least one) */
  readonly subjectDigests: readonly string[];
  readonly verifierId: string;
  readonly resourceUri: string;
  readonly verifiedLevels?: readonly string[];
}

function mismatch(field: string, message: string, details: Record<string, unknown> = {}): never {
  throw new VerificationError('VERIFY_VSA_MISMATCH', message, { details: { field, ...details } });
}

function trackLevels(levels: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const l of levels) {
    if (!l.startsWith('SLSA_')) continue;
    const m = /^SLSA_([A-Z]+)_LEVEL_(\d+)$/.exec(l);
    if (m === null) mismatch('verifiedLevels', `invalid slsa level ${l}`, { level: l });
    const track = m[1] as string;
    map.set(track, Math.max(map.get(track) ?? 0, Number(m[2])));
  }
  return map;
}

/**
 * Checks a VSA statement whose signature is verified, with slsa-verifier's semantics and order:
 * statement and predicate type, subject digests, verifier id, resource uri, PASSED, levels.
 * @throws VERIFY_STATEMENT_TYPE_INVALID, VERIFY_PREDICATE_TYPE_INVALID, VERIFY_VSA_MISMATCH
 *   (details.field), USAGE_MISSING_FLAG without subject digests
 */
export function checkVsa(statement: InTotoStatement, expected: VsaExpectations): VsaPredicate {
  if (statement._type !== IN_TOTO_STATEMENT_V1) {
    throw new VerificationError(
      'VERIFY_STATEMENT_TYPE_INVALID',
      `statement type ${statement._type} is not ${IN_TOTO_STATEMENT_V1}`,
    );
  }
  if (statement.predicateType !== VSA_PREDICATE_TYPE) {
    throw new VerificationError(
      'VERIFY_PREDICATE_TYPE_INVALID',
      `predicate type ${statement.predicateType} is not ${VSA_PREDICATE_TYPE}`,
      {
        details: { expected: VSA_PREDICATE_TYPE, actual: statement.predicateType },
      },
    );
  }
  const p = statement.predicate as Partial<VsaPredicate> | null;
  if (p === null || typeof p !== 'object')
    throw new SlsaLedgerError('INPUT_PROVENANCE_MALFORMED', 'the vsa has no predicate');
  if (expected.subjectDigests.length === 0) {
    throw new SlsaLedgerError(
      'USAGE_MISSING_FLAG',
      'verify --vsa needs the subject: --digest ALG:VALUE or the artifact file',
      {
        details: { flag: 'digest' },
      },
    );
  }
  const present = new Set(
    statement.subject.flatMap((s) => Object.entries(s.digest).map(([a, v]) => `${a}:${v}`)),
  );
  for (const d of expected.subjectDigests) {
    if (!present.has(d)) mismatch('subject', `the vsa is not about ${d}`, { expected: d });
  }
  const verifierId = p.verifier?.id;
  if (typeof verifierId !== 'string' || verifierId === '')
    mismatch('verifier.id', 'the vsa names no verifier');
  if (verifierId !== expected.verifierId) {
    mismatch('verifier.id', `verifier id mismatch: wanted ${expected.verifierId}, got ${verifierId}`, {
      expected: expected.verifierId,
      actual: verifierId,
    });
  }
  if (typeof p.resourceUri !== 'string' || p.resourceUri === '')
    mismatch('resourceUri', 'the vsa names no resource');
  if (p.resourceUri !== expected.resourceUri) {
    mismatch('resourceUri', `resource uri mismatch: wanted ${expected.resourceUri}, got ${p.resourceUri}`, {
      expected: expected.resourceUri,
      actual: p.resourceUri,
    });
  }
  if (p.verificationResult !== 'PASSED') {
    mismatch(
      'verificationResult',
      `the vsa's verification result is ${String(p.verificationResult)}, not PASSED`,
      {
        actual: p.verificationResult ?? null,
      },
    );
  }
  // the levels must say what the result says: a PASSED vsa whose levels are `FAILED`, or are not a
  // list of strings, contradicts itself (slsa-verifier skips what it cannot read; we refuse it)
  const rawLevels: unknown = p.verifiedLevels;
  if (
    rawLevels !== undefined &&
    (!Array.isArray(rawLevels) || !rawLevels.every((l): l is string => typeof l === 'string'))
  ) {
    mismatch('verifiedLevels', "the vsa's verifiedLevels is not a list of levels");
  }
  const got: readonly string[] = rawLevels ?? [];
  if (got.includes('FAILED')) {
    mismatch('verifiedLevels', 'the vsa says PASSED but its verified levels say FAILED', { actual: got });
  }
  const wanted = expected.verifiedLevels ?? [];
  const gotTracks = trackLevels(got);
  for (const [track, level] of trackLevels(wanted)) {
    const have = gotTracks.get(track);
    if (have === undefined) mismatch('verifiedLevels', `the vsa states no SLSA ${track} level`, { track });
    if (have < level)
      mismatch('verifiedLevels', `SLSA ${track} level ${have} is below ${level}`, {
        track,
        expected: level,
        actual: have,
      });
  }
  for (const l of wanted) {
    if (!l.startsWith('SLSA_') && !got.includes(l))
      mismatch('verifiedLevels', `the vsa does not state ${l}`, { expected: l });
  }
  // the levels as read (none stated: an empty list), so callers never meet a missing field
  return { ...(p as VsaPredicate), verifiedLevels: [...got] };
}
