// Loading the trust policy for `check`, `flush` and `ingest` (issue 14 item 4): the `trust:` section
// of the checker's own `.slsa-ledger.yml` (bounded YAML, duplicate keys refused), the public keys it
// names and `--trust-key PUB` (each parsed once), and Sigstore trust when a keyless signer is allowed.
import { dirname, isAbsolute, join } from 'node:path';
import type { TrustMaterial } from '../core/ledger-trust/bundle-verify.js';
import {
  parseTrustPolicy,
  resolveTrustPolicy,
  type ResolvedTrustPolicy,
  type TrustPolicyDocument,
} from '../core/ledger-trust/policy.js';
import type { TrustedPublicKey } from '../core/verify/signature-key.js';
import type { Logger } from '../core/ports.js';
import { configSection, readConfigFile } from './config-file.js';
import { loadPublicKey } from './keys.js';
import { loadSigstoreTrust } from './trust.js';

/**
 * Reads the `trust:` section of a config file; undefined when the file has none.
 * @throws SlsaLedgerError `CONFIG_INVALID` (not YAML, duplicate keys, not a mapping), `TRUST_POLICY_INVALID`,
 *   the INPUT_FILE_* codes
 */
export async function readTrustPolicyFile(configPath: string): Promise<TrustPolicyDocument | undefined> {
  const section = configSection(await readConfigFile(configPath), 'trust');
  if (section === undefined || section === null) return undefined;
  return parseTrustPolicy(section, configPath);
}

export interface LoadLedgerTrustOptions {
  /** `.slsa-ledger.yml` of the checker (never a file of the ledger ref being checked) */
  readonly configPath?: string;
  /** a policy already parsed (instead of `configPath`); key paths relative to `baseDir` */
  readonly document?: TrustPolicyDocument;
  readonly baseDir?: string;
  /** `--trust-key PUB`, repeatable */
  readonly trustKeyPaths?: readonly string[];
  /** `--trusted-root FILE` (offline keyless verification, like `verify`) */
  readonly trustedRootPath?: string;
  readonly offline?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
}

export interface LedgerTrust {
  readonly policy: ResolvedTrustPolicy;
  readonly material: TrustMaterial;
}

/**
 * Loads everything the trust audit needs, or undefined when neither a `trust:` policy nor a
 * `--trust-key` is given (the caller then skips the trust audit and reports `unverified`).
 * Sigstore trust is loaded only when the policy allows a keyless signer.
 */
export async function loadLedgerTrust(options: LoadLedgerTrustOptions): Promise<LedgerTrust | undefined> {
  const document =
    options.document ??
    (options.configPath === undefined ? undefined : await readTrustPolicyFile(options.configPath));
  const trustKeyPaths = options.trustKeyPaths ?? [];
  if (document === undefined && trustKeyPaths.length === 0) return undefined;
  const baseDir = options.baseDir ?? (options.configPath === undefined ? '.' : dirname(options.configPath));
  const keyFiles = new Map<string, TrustedPublicKey>();
  for (const spec of Object.values(document?.signers ?? {})) {
    if (spec.key === undefined || keyFiles.has(spec.key)) continue;
    keyFiles.set(spec.key, await loadPublicKey(isAbsolute(spec.key) ? spec.key : join(baseDir, spec.key)));
  }
  const trustKeys: TrustedPublicKey[] = [];
  for (const path of trustKeyPaths) trustKeys.push(await loadPublicKey(path));
  const policy = resolveTrustPolicy(document, {
    keyFiles,
    trustKeys,
    source: options.configPath ?? (document === undefined ? '--trust-key' : 'trust policy'),
  });
  const sigstore = policy.needsSigstore
    ? await loadSigstoreTrust({
        ...(options.trustedRootPath === undefined ? {} : { trustedRootPath: options.trustedRootPath }),
        ...(options.offline === undefined ? {} : { offline: options.offline }),
        ...(options.env === undefined ? {} : { env: options.env }),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      })
    : undefined;
  return { policy, material: { keys: policy.keys, ...(sigstore === undefined ? {} : { sigstore }) } };
}
