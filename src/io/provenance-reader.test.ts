import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandProvenancePaths, readProvenanceFile } from './provenance-reader.js';

describe('expandProvenancePaths', () => {
  it('lists a symbolic link of a provenance name (refused when read), not subdirectories', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'provenance-dir-'));
    writeFileSync(join(dir, 'a.json'), '{}');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    symlinkSync(join(dir, 'a.json'), join(dir, 'b.json'));
    mkdirSync(join(dir, 'c.json'));
    const { files, hadDirectory } = await expandProvenancePaths([dir]);
    expect(hadDirectory).toBe(true);
    // the link was dropped without a word: a directory of links "held no provenance files"
    expect(files).toEqual([join(dir, 'a.json'), join(dir, 'b.json')]);
    await expect(readProvenanceFile(join(dir, 'b.json'))).rejects.toMatchObject({
      code: 'INPUT_FILE_NOT_REGULAR',
    });
  });
});
