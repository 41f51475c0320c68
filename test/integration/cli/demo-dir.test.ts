import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MARKER, prepareDemoDir } from '../../../src/app/demo.js';
import { makeTempDir } from '../../support/git.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  tmp = await makeTempDir();
});
afterAll(() => tmp?.cleanup());

describe('demo --dir', () => {
  it('creates a missing directory and marks it', async () => {
    const dir = join(tmp.path, 'new');
    await prepareDemoDir(dir);
    expect(await readdir(dir)).toEqual([DEMO_MARKER]);
  });

  it('empties an earlier demo directory, so a second run starts clean (was exit 5)', async () => {
    const dir = join(tmp.path, 'again');
    await prepareDemoDir(dir);
    await mkdir(join(dir, 'ledger.git'));
    await writeFile(join(dir, 'provenance.sigstore.json'), '{}');
    await prepareDemoDir(dir);
    expect(await readdir(dir)).toEqual([DEMO_MARKER]);
  });

  it('refuses a non-empty directory it did not make, and leaves it as it was', async () => {
    const dir = join(tmp.path, 'mine');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'keep me');
    await expect(prepareDemoDir(dir)).rejects.toThrowCode('USAGE_INVALID_FLAG');
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });

  it('refuses a file', async () => {
    const file = join(tmp.path, 'file');
    await writeFile(file, 'x');
    await expect(prepareDemoDir(file)).rejects.toThrowCode('USAGE_INVALID_FLAG');
  });
});
