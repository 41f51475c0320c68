import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
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
    const encrypted = /ENCRYPTED/.test(pem.toString('utf8'));
    const problem = encrypted
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
