// The contract between provenance parsing, signature/certificate verification and the policy.
// Verification is pure and synchronous over pre-loaded inputs: the app layer loads files and trust
// material, the envelope/bundle verifiers establish *who signed what*, then `checkProvenance`
// (policy.ts) decides whether that provenance satisfies a VerificationPolicy.

/** DSSE envelope (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md). */
export interface DsseEnvelope {
  readonly payloadType: string;
  /** base64 of the payload bytes */
  readonly payload: string;
  readonly signatures: readonly { readonly keyid?: string; readonly sig: string }[];
}

export interface ResourceDescriptor {
  readonly name?: string;
  readonly uri?: string;
  readonly digest?: Readonly<Record<string, string>>;
}

/** in-toto Statement (v0.1 or v1). */
export interface InTotoStatement {
  readonly _type: string;
  /** in-toto v1.1 ResourceDescriptors: a `digest`, and a `name` or a `uri` (or both) */
  readonly subject: readonly {
    readonly name?: string;
    readonly uri?: string;
    readonly digest: Readonly<Record<string, string>>;
  }[];
  readonly predicateType: string;
  readonly predicate: unknown;
}

/** What a provenance predicate says, normalised across SLSA v0.2 / v1 and the supported buildTypes. */
export interface ProvenanceFacts {
  readonly predicateType: string;
  readonly buildType: string;
  /** runDetails.builder.id (v1) or builder.id (v0.2), e.g. `https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1.2.3` */
  readonly builderId: string;
  /** `github.com/OWNER/REPO` (no scheme, no `git+`, no `.git`) */
  readonly sourceRepository: string | undefined;
  /** full git ref: `refs/tags/v1.2.3`, `refs/heads/main` */
  readonly sourceRef: string | undefined;
  /** commit SHA the build ran on */
  readonly sourceCommit: string | undefined;
  /** workflow_dispatch inputs, stringified */
  readonly workflowInputs: Readonly<Record<string, string>> | undefined;
  /** path of the top-level workflow, e.g. `.github/workflows/release.yml` */
  readonly workflowPath: string | undefined;
}

/** Who signed the envelope, as established by signature / certificate verification. */
export type SignerIdentity =
  | { readonly kind: 'key'; readonly keyId: string }
  | {
      readonly kind: 'certificate';
      /** OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.1 / .8) */
      readonly issuer: string;
      /** certificate SAN: the signing workflow, e.g. `https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1` */
      readonly subjectAlternativeName: string;
      /** Fulcio extensions when present (1.3.6.1.4.1.57264.1.12 / .14 / .13 / .9 / .21) */
      readonly sourceRepositoryUri?: string;
      readonly sourceRepositoryRef?: string;
      readonly sourceRepositoryDigest?: string;
      readonly buildSignerUri?: string;
      readonly runInvocationUri?: string;
      /** Fulcio extension 1.3.6.1.4.1.57264.1.18: the top-level workflow, `https://github.com/o/r/.github/workflows/x.yml@ref` */
      readonly buildConfigUri?: string;
      /** Fulcio 1.3.6.1.4.1.57264.1.10: the signing workflow's commit */
      readonly buildSignerDigest?: string;
      /** Fulcio 1.3.6.1.4.1.57264.1.11: `github-hosted` or `self-hosted` */
      readonly runnerEnvironment?: string;
      /** Fulcio 1.3.6.1.4.1.57264.1.16: `https://github.com/OWNER` */
      readonly sourceRepositoryOwnerUri?: string;
    };

/** One artifact to check against the statement's subjects. */
export interface ArtifactDigest {
  readonly name: string;
  /** lower-case hex SHA-256 (empty when the artifact is given as another digest only) */
  readonly sha256: string;
  /**
   * More digests of the artifact by in-toto algorithm name (`sha512`, `sha384`, `gitCommit`, …),
   * lower-case hex; a subject matches when it has one of these (or `sha256`) with the same value
   */
  readonly digests?: Readonly<Record<string, string>>;
}

/** Plain data: what the verifier must check. Absent fields are not checked. */
export interface VerificationPolicy {
  /** `github.com/OWNER/REPO` (required, as in slsa-verifier) */
  readonly sourceUri: string;
  readonly sourceTag?: string;
  readonly sourceVersionedTag?: string;
  readonly sourceBranch?: string;
  readonly builderId?: string;
  readonly buildWorkflowInputs?: Readonly<Record<string, string>>;
  readonly commit?: string;
  /**
   * The predicate type to verify (`--predicate-type`): SLSA provenance v1 or v0.2 when absent;
   * `https://in-toto.io/attestation/release/v0.1` (or v0.2) selects GitHub's release attestations
   */
  readonly predicateType?: string;
  /** npm: the package the provenance and npm's publish attestation must name (`--package-name`) */
  readonly packageName?: string;
  /** npm: the version they must name (`--package-version`) */
  readonly packageVersion?: string;
}

export interface VerifiedProvenance {
  readonly statement: InTotoStatement;
  readonly facts: ProvenanceFacts;
  readonly signer: SignerIdentity;
  /** the artifacts that matched, with the subject name they matched */
  readonly artifacts: readonly (ArtifactDigest & { readonly subject: string })[];
  /** the builder id that was trusted */
  readonly builderId: string;
}
