import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { buildKeySignedBundle } from '../core/provenance/bundle.js';
import { buildEnvelope, computePae, IN_TOTO_PAYLOAD_TYPE } from '../core/provenance/dsse.js';
import {
  buildProvenanceStatement,
  serializeStatement,
  SLSA_PROVENANCE_V1,
  type BuildContext,
  type Subject,
} from '../core/provenance/statement.js';
import { checkSubjectName, parseSha256Sums } from '../core/provenance/subjects.js';
import { escapeUnprintable } from '../core/text/unprintable.js';
import type { Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import type { InTotoStatement } from '../core/verify/types.js';
import { SlsaLedgerError, UsageError } from '../errors.js';
import { readInputText, writeFileAtomic } from '../io/files.js';
import { expandArtifactPatterns } from '../io/glob.js';
import { hashFiles } from '../io/hash.js';
import { createKeySigner } from '../io/key-signer.js';
import { loadPrivateKey } from '../io/keys.js';
import { fetchIdentityToken } from '../io/oidc.js';

export type { BuildContext } from '../core/provenance/statement.js';

export const PUBLIC_GOOD_FULCIO_URL = 'https://fulcio.sigstore.dev';
export const PUBLIC_GOOD_REKOR_URL = 'https://rekor.sigstore.dev';

/** How to sign: a local private key, or keyless with Sigstore. */
export type AttestSigning =
  | {
      readonly kind: 'key';
      /** PEM private key (ed25519 or ECDSA P-256) */
      readonly keyPath: string;
      /** from SLSA_LEDGER_KEY_PASSPHRASE, passed in by the caller */
      readonly passphrase?: string;
    }
  | {
      readonly kind: 'sigstore';
      readonly fulcioUrl?: string;
      readonly rekorUrl?: string;
      readonly tsaUrl?: string;
      /** environment holding SIGSTORE_ID_TOKEN or ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN */
      readonly env: Readonly<Record<string, string | undefined>>;
    };

export interface AttestOptions {
  /** artifact paths or glob patterns, relative to `cwd` */
  readonly files: readonly string[];
  /** a sha256sum-format file listing more subjects */
  readonly subjectsFrom?: string;
  readonly context: BuildContext;
  readonly signing: AttestSigning;
  /** default: provenance.sigstore.json (bundle) or provenance.intoto.jsonl (dsse) in `cwd` */
  readonly out?: string;
  readonly format?: 'bundle' | 'dsse';
  readonly cwd?: string;
  readonly logger?: Logger;
}

export interface AttestResult {
  readonly out: string;
  readonly format: 'bundle' | 'dsse';
  readonly subjects: readonly Subject[];
  readonly predicateType: string;
  readonly builderId: string;
  /** hex SHA-256 of the signed statement bytes */
  readonly statementDigest: string;
  readonly signer: { readonly kind: 'key'; readonly keyId: string } | { readonly kind: 'sigstore' };
  readonly statement: InTotoStatement;
}

/**
 * Subjects are named by the file's base name, as actions/attest-build-provenance names them; two
 * different files with the same base name are refused rather than silently merged.
 */
export function mergeSubjects(subjects: readonly Subject[]): Subject[] {
  const byName = new Map<string, Subject>();
  for (const s of subjects) {
    const existing = byName.get(s.name);
    if (existing !== undefined && existing.sha256 !== s.sha256) {
      throw new SlsaLedgerError(
        'INPUT_INVALID',
        `two different artifacts are named ${s.name}: rename one or attest them separately`,
        { details: { name: s.name, digests: [existing.sha256, s.sha256] } },
      );
    }
    byName.set(s.name, s);
  }
  return [...byName.values()];
}

/**
 * Hashes the artifacts, builds the in-toto statement with the SLSA v1 predicate for the build
 * context, signs it as DSSE and writes a Sigstore bundle v0.3 or DSSE JSON lines, atomically:
 * on any failure no output file is left behind.
 */
export async function attestArtifacts(options: AttestOptions): Promise<AttestResult> {
  const logger = options.logger ?? silentLogger;
  const cwd = options.cwd ?? process.cwd();
  const format = options.format ?? 'bundle';
  if (options.files.length === 0 && options.subjectsFrom === undefined) {
    throw new UsageError('USAGE_MISSING_ARGUMENT', 'attest needs FILE… or --subjects-from FILE');
  }
  if (options.signing.kind === 'sigstore' && format !== 'bundle') {
    throw new UsageError('USAGE_INVALID_FLAG', '--sigstore writes a sigstore bundle: drop --format dsse', {
      details: { flag: 'format' },
    });
  }
  // load the key before hashing: a bad key should fail fast, not after a gigabyte
  const key =
    options.signing.kind === 'key'
      ? await loadPrivateKey(resolve(cwd, options.signing.keyPath), options.signing.passphrase)
      : undefined;

  const paths = await expandArtifactPatterns(options.files, cwd);
  // a subject is named by the file's base name: refuse one that cannot be a subject name before
  // hashing (a line break forged attest's output; the ledger refuses control characters)
  for (const path of paths) {
    const unfit = checkSubjectName(basename(path));
    if (unfit !== undefined) {
      throw new SlsaLedgerError('INPUT_INVALID', `artifact ${escapeUnprintable(path)}: ${unfit}`, {
        details: { path: escapeUnprintable(path) },
      });
    }
  }
  const listed =
    options.subjectsFrom === undefined
      ? []
      : parseSha256Sums(
          await readInputText(resolve(cwd, options.subjectsFrom), 'subjects file'),
          options.subjectsFrom,
        );
  if (paths.length > 0) logger.debug(`hashing ${paths.length} artifact(s)`);
  const digests = await hashFiles(
    paths.map((p) => resolve(cwd, p)),
    { logger },
  );
  const subjects = mergeSubjects([
    ...digests.map((d) => ({ name: basename(d.path), sha256: d.sha256 })),
    ...listed,
  ]);

  const statement = buildProvenanceStatement(subjects, options.context);
  const payload = serializeStatement(statement);
  const statementDigest = createHash('sha256').update(payload).digest('hex');
  const out = resolve(
    cwd,
    options.out ?? (format === 'bundle' ? 'provenance.sigstore.json' : 'provenance.intoto.jsonl'),
  );

  let text: string;
  let signer: AttestResult['signer'];
  if (key !== undefined) {
    const keySigner = createKeySigner(key);
    const signature = await keySigner.sign(computePae(IN_TOTO_PAYLOAD_TYPE, payload));
    signer = { kind: 'key', keyId: keySigner.keyId };
    text =
      format === 'bundle'
        ? JSON.stringify(
            buildKeySignedBundle({
              payloadType: IN_TOTO_PAYLOAD_TYPE,
              payload,
              signature,
              keyId: keySigner.keyId,
            }),
          )
        : JSON.stringify(
            buildEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, [{ keyid: keySigner.keyId, sig: signature }]),
          );
  } else {
    const signing = options.signing as Extract<AttestSigning, { kind: 'sigstore' }>;
    const identityToken = await fetchIdentityToken(signing.env);
    logger.info('signing with sigstore (fulcio certificate, rekor entry)');
    // loaded only for keyless signing: sigstore's signer pulls in an HTTP stack that costs start-up time
    const { signWithSigstore } = await import('../io/sigstore-signer.js');
    const bundle = await signWithSigstore(payload, IN_TOTO_PAYLOAD_TYPE, {
      fulcioUrl: signing.fulcioUrl ?? PUBLIC_GOOD_FULCIO_URL,
      rekorUrl: signing.rekorUrl ?? PUBLIC_GOOD_REKOR_URL,
      ...(signing.tsaUrl === undefined ? {} : { tsaUrl: signing.tsaUrl }),
      identityToken,
    });
    signer = { kind: 'sigstore' };
    text = JSON.stringify(bundle);
  }
  await writeFileAtomic(out, `${text}\n`);
  logger.debug(`wrote ${out}`);
  return {
    out,
    format,
    subjects,
    predicateType: SLSA_PROVENANCE_V1,
    builderId: options.context.builderId,
    statementDigest,
    signer,
    statement,
  };
}

/** Build-context flags of `attest`; each overrides the GitHub Actions variable named beside it. */
export interface BuildContextFlags {
  /** GITHUB_SERVER_URL + GITHUB_REPOSITORY; a URL (`https://github.com/o/r`) or `o/r` */
  readonly repository?: string;
  /** GITHUB_REF */
  readonly ref?: string;
  /** GITHUB_SHA */
  readonly sha?: string;
  /** from GITHUB_WORKFLOW_REF */
  readonly workflowPath?: string;
  /** GITHUB_RUN_ID */
  readonly runId?: string;
  /** GITHUB_RUN_ATTEMPT (default 1) */
  readonly runAttempt?: string;
  /** GITHUB_EVENT_NAME */
  readonly eventName?: string;
  /** default `<server>/<GITHUB_WORKFLOW_REF>` */
  readonly builderId?: string;
}

/**
 * The build context from explicit flags over the GitHub Actions environment (GITHUB_REPOSITORY,
 * GITHUB_REF, GITHUB_SHA, GITHUB_WORKFLOW_REF, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT,
 * GITHUB_EVENT_NAME, GITHUB_SERVER_URL, GITHUB_REPOSITORY_ID, GITHUB_REPOSITORY_OWNER_ID,
 * RUNNER_ENVIRONMENT). Anything missing is one usage error listing every missing flag.
 */
export function resolveBuildContext(
  flags: BuildContextFlags,
  env: Readonly<Record<string, string | undefined>>,
): BuildContext {
  const e = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  let serverUrl = (e('GITHUB_SERVER_URL') ?? 'https://github.com').replace(/\/+$/, '');
  let repository = e('GITHUB_REPOSITORY');
  if (flags.repository !== undefined) {
    const url = /^(https?:\/\/[^/]+)\/(.+?)(?:\.git)?\/?$/.exec(flags.repository);
    if (url !== null) {
      serverUrl = url[1] ?? serverUrl;
      repository = url[2];
    } else {
      repository = flags.repository.replace(/^github\.com\//, '');
    }
  }
  // GITHUB_WORKFLOW_REF: OWNER/REPO/.github/workflows/x.yml@refs/heads/main (a ref may hold '@')
  const workflowRefEnv = e('GITHUB_WORKFLOW_REF');
  const [workflowPathEnv, ...refChunks] = (
    workflowRefEnv === undefined || repository === undefined
      ? ''
      : workflowRefEnv.replace(`${repository}/`, '')
  ).split('@');
  const ref = flags.ref ?? e('GITHUB_REF');
  const workflowPath = flags.workflowPath ?? (workflowPathEnv === '' ? undefined : workflowPathEnv);
  const sha = flags.sha ?? e('GITHUB_SHA');
  const runId = flags.runId ?? e('GITHUB_RUN_ID');
  const eventName = flags.eventName ?? e('GITHUB_EVENT_NAME');
  const missing = [
    ['repository', repository, 'GITHUB_REPOSITORY'],
    ['ref', ref, 'GITHUB_REF'],
    ['sha', sha, 'GITHUB_SHA'],
    ['workflow-path', workflowPath, 'GITHUB_WORKFLOW_REF'],
    ['run-id', runId, 'GITHUB_RUN_ID'],
    ['event-name', eventName, 'GITHUB_EVENT_NAME'],
  ].filter(([, value]) => value === undefined);
  if (missing.length > 0 || repository === undefined || ref === undefined || sha === undefined) {
    throw new UsageError(
      'USAGE_MISSING_FLAG',
      `missing build context: ${missing.map(([flag, , v]) => `--${flag} (or ${v})`).join(', ')}; run in github actions or pass the flags`,
      { details: { missing: missing.map(([flag]) => flag) } },
    );
  }
  const invalid = (flag: string, value: string, expected: string): never => {
    throw new UsageError('USAGE_INVALID_FLAG', `--${flag} must be ${expected}, got '${value}'`, {
      details: { flag, value },
    });
  };
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository))
    invalid('repository', repository, 'OWNER/REPO or a repository url');
  if (!/^refs\/[^\s]+$/.test(ref)) invalid('ref', ref, 'a full git ref such as refs/tags/v1.2.3');
  if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(sha))
    invalid('sha', sha, 'a 40 or 64 character lower-case hex commit sha');
  const runAttempt = flags.runAttempt ?? e('GITHUB_RUN_ATTEMPT') ?? '1';
  if (!/^[1-9][0-9]*$/.test(runId ?? '')) invalid('run-id', runId ?? '', 'a positive whole number');
  if (!/^[1-9][0-9]*$/.test(runAttempt)) invalid('run-attempt', runAttempt, 'a positive whole number');
  const workflowRef =
    workflowRefEnv !== undefined && flags.workflowPath === undefined && refChunks.length > 0
      ? refChunks.join('@')
      : ref;
  const builderId =
    flags.builderId ??
    (workflowRefEnv !== undefined && flags.repository === undefined && flags.workflowPath === undefined
      ? `${serverUrl}/${workflowRefEnv}`
      : `${serverUrl}/${repository}/${workflowPath ?? ''}@${ref}`);
  const repositoryId = e('GITHUB_REPOSITORY_ID');
  const repositoryOwnerId = e('GITHUB_REPOSITORY_OWNER_ID');
  const runnerEnvironment = e('RUNNER_ENVIRONMENT');
  return {
    serverUrl,
    repository,
    ref,
    sha,
    workflowPath: workflowPath ?? '',
    workflowRef,
    runId: runId ?? '',
    runAttempt,
    eventName: eventName ?? '',
    builderId,
    ...(repositoryId === undefined ? {} : { repositoryId }),
    ...(repositoryOwnerId === undefined ? {} : { repositoryOwnerId }),
    ...(runnerEnvironment === undefined ? {} : { runnerEnvironment }),
  };
}
