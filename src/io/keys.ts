import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { link, lstat, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SlsaLedgerError } from '../errors.js';
import { computeKeyId } from '../core/verify/key-id.js';
import type { TrustedPublicKey } from '../core/verify/signature-key.js';
import { readInputFile } from './files.js';

/** Key types slsa-ledger signs and verifies with. */
export type KeyType = 'ed25519' | 'ecdsa-p256';

function keyError(path: string, problem: string, cause?: unknown): SlsaLedgerError {
  return new SlsaLedgerError('INPUT_KEY_INVALID', `${path}: ${problem}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { path },
  });
}

/** Ed25519 or ECDSA P-256; anything else (RSA, P-384, …) is INPUT_KEY_INVALID naming the file. */
export function checkKeyType(key: KeyObject, path: string): KeyType {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'ecdsa-p256';
  }
  const found =
    key.asymmetricKeyType === 'ec'
      ? `ec ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown curve'}`
      : (key.asymmetricKeyType ?? 'unknown');
  throw keyError(path, `unsupported key type ${found}: use an ed25519 or ecdsa p-256 key`);
}

function isPem(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]+-----/.test(text);
}

export interface LoadedPrivateKey {
  readonly keyObject: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyType: KeyType;
  readonly keyId: string;
}

/**
 * Loads a PEM private key (PKCS#8, SEC1 or encrypted PKCS#8). The passphrase is passed in by the
 * caller (the CLI reads SLSA_LEDGER_KEY_PASSPHRASE); it never appears in an error.
 */
export async function loadPrivateKey(path: string, passphrase?: string): Promise<LoadedPrivateKey> {
  const pem = await readInputFile(path, 'private key');
  if (!isPem(pem.toString('utf8'))) throw keyError(path, 'not a pem private key');
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({
      key: pem,
      format: 'pem',
      ...(passphrase === undefined ? {} : { passphrase }),
    });
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    const text = pem.toString('utf8');
    const encrypted = /ENCRYPTED/.test(text);
    const problem = /-----BEGIN PUBLIC KEY-----/.test(text)
      ? 'a public key, where the private key is needed (keygen writes KEY and KEY.pub: pass the one without .pub)'
      : /-----BEGIN CERTIFICATE-----/.test(text)
        ? 'a certificate, where a private key is needed'
        : encrypted
          ? passphrase === undefined
            ? 'the key is encrypted: set SLSA_LEDGER_KEY_PASSPHRASE'
            : 'cannot decrypt the key with the passphrase from SLSA_LEDGER_KEY_PASSPHRASE'
          : `not a valid pem private key (${code || 'unreadable'})`;
    // the cause is dropped on purpose: openssl messages can echo key material
    throw keyError(path, problem);
  }
  const keyType = checkKeyType(keyObject, path);
  const publicKey = createPublicKey(keyObject);
  return { keyObject, publicKey, keyType, keyId: computeKeyId(publicKey) };
}

/** Loads a PEM public key (SPKI) for `verify --key`; a certificate or private key is refused. */
export async function loadPublicKey(path: string): Promise<TrustedPublicKey & { keyType: KeyType }> {
  const pem = (await readInputFile(path, 'public key')).toString('utf8');
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem)) {
    throw keyError(path, 'not a pem public key (expected -----BEGIN PUBLIC KEY-----)');
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw keyError(path, 'not a valid pem public key', error);
  }
  const keyType = checkKeyType(keyObject, path);
  return { keyObject, keyId: computeKeyId(keyObject), keyType };
}

/** A freshly generated key pair for key-signed mode, as PEM, with its key id. */
export interface GeneratedKeyPair {
  readonly keyType: KeyType;
  /** PKCS#8 PEM, encrypted (AES-256-CBC, PBES2) when a passphrase was given */
  readonly privateKeyPem: string;
  /** SPKI PEM */
  readonly publicKeyPem: string;
  /** hex SHA-256 of the SPKI DER: what bundles carry as `publicKey.hint`, DSSE as `keyid` */
  readonly keyId: string;
}

/**
 * Generates an Ed25519 or ECDSA P-256 key pair. The passphrase (from the environment, never a
 * flag) encrypts the private key; it is not kept. Library API for `keygen` and for ledger signing.
 */
export function generateSigningKeyPair(keyType: KeyType, passphrase?: string): GeneratedKeyPair {
  const { privateKey, publicKey } =
    keyType === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privateKeyPem = privateKey.export({
    type: 'pkcs8',
    format: 'pem',
    ...(passphrase === undefined || passphrase === '' ? {} : { cipher: 'aes-256-cbc', passphrase }),
  }) as string;
  return {
    keyType,
    privateKeyPem,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    keyId: computeKeyId(publicKey),
  };
}

/**
 * Writes a generated key pair: the private key with mode 0600 and the public key 0644. Both are
 * written to temporary files beside their targets first, then put in place: without `overwrite`
 * by a hard link, which fails if anything is at the path (a dangling symlink too) and never
 * replaces it; with `overwrite` by a rename, which replaces the path itself, never the file a
 * symlink there points to. A failure leaves every path as it was: no partial key, and with
 * `overwrite` the old pair is still there (the old private key is kept under a temporary name
 * until the new public key is in place).
 * @throws `OUTPUT_EXISTS` (exit 2), `OUTPUT_WRITE_FAILED` (exit 5)
 */
export async function writeKeyPair(
  pair: GeneratedKeyPair,
  paths: { readonly privateKey: string; readonly publicKey: string },
  overwrite = false,
): Promise<void> {
  const exists = (path: string): SlsaLedgerError =>
    new SlsaLedgerError('OUTPUT_EXISTS', `${path} exists: pass --force to replace it`, {
      details: { path },
    });
  const failed = (path: string, error: unknown): SlsaLedgerError =>
    error instanceof SlsaLedgerError
      ? error
      : new SlsaLedgerError('OUTPUT_WRITE_FAILED', `cannot write ${path}: ${(error as Error).message}`, {
          cause: error,
          details: { path },
        });
  for (const p of [paths.privateKey, paths.publicKey]) {
    // lstat: a symlink at the path exists, dangling or not
    const info = await lstat(p).catch(() => undefined);
    if (info !== undefined && (!overwrite || info.isDirectory())) throw exists(p);
    // --force replaces a key file or a symbolic link (the link, never what it names), never a
    // device, FIFO or socket (as root, a rename over /dev/null would replace the system's)
    if (info !== undefined && !info.isFile() && !info.isSymbolicLink())
      throw new SlsaLedgerError(
        'INPUT_FILE_NOT_REGULAR',
        `${p} is not a regular file: --force replaces only a key file or a link, it is left as it is`,
        {
          details: { path: p },
        },
      );
  }
  const temporary = (path: string): string =>
    join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const staged: string[] = [];
  const removeStaged = async (): Promise<void> => {
    await Promise.all(staged.map((t) => rm(t, { force: true })));
  };
  const stage = async (path: string, data: string, mode: number): Promise<string> => {
    const tmp = temporary(path);
    const handle = await open(tmp, 'wx', mode).catch((error: unknown) => {
      throw failed(path, error);
    });
    staged.push(tmp);
    try {
      await handle.writeFile(data);
      await handle.chmod(mode);
      await handle.sync();
    } catch (error) {
      throw failed(path, error);
    } finally {
      await handle.close();
    }
    return tmp;
  };
  const place = async (tmp: string, path: string): Promise<void> => {
    try {
      if (overwrite) await rename(tmp, path);
      else await link(tmp, path);
    } catch (error) {
      if ((error as { code?: string }).code === 'EEXIST') throw exists(path);
      throw failed(path, error);
    }
  };
  let backup: string | undefined;
  try {
    const privateTmp = await stage(paths.privateKey, pair.privateKeyPem, 0o600);
    const publicTmp = await stage(paths.publicKey, pair.publicKeyPem, 0o644);
    if (overwrite && (await lstat(paths.privateKey).catch(() => undefined)) !== undefined) {
      // the old private key (or the symlink there, not its target) under a temporary name
      backup = temporary(paths.privateKey);
      await link(paths.privateKey, backup).catch((error: unknown) => {
        backup = undefined;
        throw failed(paths.privateKey, error);
      });
    }
    await place(privateTmp, paths.privateKey);
    try {
      await place(publicTmp, paths.publicKey);
    } catch (error) {
      // put the private key path back as it was
      if (backup !== undefined) await rename(backup, paths.privateKey);
      else await rm(paths.privateKey, { force: true });
      backup = undefined;
      throw error;
    }
  } finally {
    await removeStaged();
    if (backup !== undefined) await rm(backup, { force: true });
  }
}

/** Loads several public keys (`--key` repeated, `--trust-key` repeated), each checked as loadPublicKey. */
export async function loadPublicKeys(
  paths: readonly string[],
): Promise<(TrustedPublicKey & { keyType: KeyType })[]> {
  return Promise.all(paths.map((p) => loadPublicKey(p)));
}
