import { describe, expect, it } from 'vitest';
import { inTotoAlgorithmName, parseDigestArgument } from './verify.js';

describe('parseDigestArgument', () => {
  it('names the algorithm as in-toto does, whatever its case or dashes', () => {
    const hex = 'AB'.repeat(32);
    // PowerShell's Get-FileHash prints `SHA512` and an upper-case hash; `SHA512:…` matched nothing
    expect(parseDigestArgument(`SHA256:${hex}`)).toEqual({
      name: `sha256:${hex.toLowerCase()}`,
      sha256: hex.toLowerCase(),
      digests: { sha256: hex.toLowerCase() },
    });
    expect(parseDigestArgument(`SHA-512:${hex}`).digests).toEqual({ sha512: hex.toLowerCase() });
    expect(inTotoAlgorithmName('SHA3-256')).toBe('sha3_256');
    expect(inTotoAlgorithmName('sha512-256')).toBe('sha512_256');
    expect(inTotoAlgorithmName('GITCOMMIT')).toBe('gitCommit');
    expect(inTotoAlgorithmName('gitCommit')).toBe('gitCommit');
    // a name in-toto does not define is kept as given
    expect(inTotoAlgorithmName('gce_image_id')).toBe('gce_image_id');
    expect(inTotoAlgorithmName('Custom-Alg')).toBe('Custom-Alg');
  });
});
