// The artifact ZIP reader (yauzl) on a real GitHub Actions artifact and on hostile archives
// (issue 13 item 6): zip-slip names, a deflate bomb, encryption, too many entries, truncation.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { defaultZipLimits, readZip } from './artifact-download.js';

const fixture = (name: string): Buffer =>
  readFileSync(fileURLToPath(new URL(`../../test/fixtures/zip/${name}`, import.meta.url)));

async function makeZip(
  files: readonly { name: string; bytes: Buffer; compress?: boolean }[],
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const f of files) zip.addBuffer(f.bytes, f.name, { compress: f.compress ?? true });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('readZip', () => {
  it('reads a real GitHub Actions artifact zip (data descriptor, deflate)', async () => {
    const files = await readZip(fixture('github-actions-artifact.zip'));
    expect(files.map((f) => f.name)).toEqual(['sha']);
    expect(files[0]!.bytes.toString('utf8').trim()).toBe('7cda2a460a97719cd147d41bf5cd8cf1a6c9cb22');
  });

  it("refuses @actions/artifact's own zip-slip fixture", async () => {
    await expect(readZip(fixture('actions-toolkit-evil.zip'))).rejects.toThrowCode(
      'ARTIFACT_ARCHIVE_INVALID',
    );
  });

  it("refuses gh's fixture with an entry ../LICENSE", async () => {
    await expect(readZip(fixture('gh-cli-myproject.zip'))).rejects.toThrowCode('ARTIFACT_ARCHIVE_INVALID');
  });

  it('reads what yazl writes, directories skipped', async () => {
    const zip = await makeZip([
      { name: 'provenance/v1.sigstore.json', bytes: Buffer.from('{"a":1}') },
      { name: 'plain.txt', bytes: Buffer.from('x'), compress: false },
    ]);
    const files = await readZip(zip);
    expect(files.map((f) => [f.name, f.bytes.toString()])).toEqual([
      ['provenance/v1.sigstore.json', '{"a":1}'],
      ['plain.txt', 'x'],
    ]);
  });

  it('refuses a deflate bomb by its ratio before inflating it', async () => {
    const zip = await makeZip([{ name: 'bomb.json', bytes: Buffer.alloc(8 * 1024 * 1024) }]);
    expect(zip.length).toBeLessThan(100_000);
    await expect(readZip(zip)).rejects.toThrowCode('ARTIFACT_ARCHIVE_INVALID');
  });

  it('refuses a file over the per-file and total limits', async () => {
    const zip = await makeZip([
      { name: 'a', bytes: Buffer.alloc(3000, 1), compress: false },
      { name: 'b', bytes: Buffer.alloc(3000, 2), compress: false },
    ]);
    await expect(readZip(zip, { ...defaultZipLimits, maxEntryBytes: 2000 })).rejects.toThrowCode(
      'ARTIFACT_ARCHIVE_INVALID',
    );
    await expect(readZip(zip, { ...defaultZipLimits, maxTotalBytes: 5000 })).rejects.toThrowCode(
      'ARTIFACT_ARCHIVE_INVALID',
    );
    await expect(readZip(zip, { ...defaultZipLimits, maxEntries: 1 })).rejects.toThrowCode(
      'ARTIFACT_ARCHIVE_INVALID',
    );
  });

  it('refuses an absolute path and a backslash path', async () => {
    for (const name of ['/etc/passwd', 'a\\..\\..\\b']) {
      const zip = await makeZip([{ name: 'placeholder-name', bytes: Buffer.from('x') }]);
      // rewrite the name in both headers (same length is not needed: build with the hostile name)
      const raw = Buffer.from(
        zip.toString('latin1').replaceAll('placeholder-name', name.padEnd(16, '_').slice(0, 16)),
        'latin1',
      );
      await expect(readZip(raw)).rejects.toThrowCode('ARTIFACT_ARCHIVE_INVALID');
    }
  });

  it('refuses an encrypted entry', async () => {
    const zip = await makeZip([{ name: 'secret.json', bytes: Buffer.from('{}'), compress: false }]);
    const raw = Buffer.from(zip);
    // general-purpose flag bit 0 in the local header (offset 6) and the central header (offset 8)
    raw.writeUInt16LE(raw.readUInt16LE(6) | 1, 6);
    const central = raw.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    raw.writeUInt16LE(raw.readUInt16LE(central + 8) | 1, central + 8);
    await expect(readZip(raw)).rejects.toThrowCode('ARTIFACT_ARCHIVE_INVALID');
  });

  it('refuses a truncated archive and bytes that are not a zip', async () => {
    const zip = await makeZip([{ name: 'a.json', bytes: Buffer.from('{"x":1}') }]);
    await expect(readZip(zip.subarray(0, zip.length - 10))).rejects.toThrowCode('ARTIFACT_ARCHIVE_INVALID');
    await expect(readZip(Buffer.from('not a zip at all, not even close'))).rejects.toThrowCode(
      'ARTIFACT_ARCHIVE_INVALID',
    );
  });
});
