import { createHash, getHashes, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { inputFileError } from './files.js';

// in-toto digest set names (in-toto attestation spec, digest_set.md) -> node:crypto names, for the
// algorithms a file can be hashed with here. Weak ones (md5, sha1) are left out on purpose: a file
// is never matched to a subject by a digest an attacker can collide; `--digest sha1:…` or
// `--digest gitCommit:…` is the user's explicit choice (a git commit, a release tag's subject).
const NODE_NAMES: Readonly<Record<string, string>> = {
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  sha512_224: 'sha512-224',
  sha512_256: 'sha512-256',
  sha3_224: 'sha3-224',
  sha3_256: 'sha3-256',
  sha3_384: 'sha3-384',
  sha3_512: 'sha3-512',
  blake2b: 'blake2b512',
  blake2s: 'blake2s256',
  sm3: 'sm3',
};

/** The in-toto algorithm names a file can be hashed with (strong ones only). */
export function hashableAlgorithms(): readonly string[] {
  const available = new Set(getHashes());
  return Object.entries(NODE_NAMES)
    .filter(([, node]) => available.has(node))
    .map(([name]) => name);
}

/**
 * Streams a file once through several hash functions (in-toto names), for subjects that name an
 * artifact by another digest than SHA-256 (npm's sha512, in-toto v1.1 digest sets).
 */
export async function digestFile(
  path: string,
  algorithms: readonly string[],
): Promise<Record<string, string>> {
  const wanted = algorithms.filter((a) => NODE_NAMES[a] !== undefined);
  if (wanted.length === 0) return {};
  const hashes: [string, Hash][] = wanted.map((a) => [a, createHash(NODE_NAMES[a] as string)]);
  let handle;
  try {
    handle = await open(path, 'r');
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      for (const [, h] of hashes) h.update(chunk);
    }
  } catch (error) {
    throw inputFileError(path, 'artifact', error);
  } finally {
    await handle?.close();
  }
  return Object.fromEntries(hashes.map(([a, h]) => [a, h.digest('hex')]));
}
