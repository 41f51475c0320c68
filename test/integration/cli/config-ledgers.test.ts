// `.slsa-ledger.yml` is found from any folder below the repository root; the clones its
// `ingest.ledger` list names are relative to the file, not to the folder the command runs in (from a
// subfolder every ledger failed with INPUT_FILE_MISSING).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { command as ingestCommand } from '../../../src/cli/commands/ingest.js';
import { loadConfigDefaults } from '../../../src/cli/config.js';

const root = mkdtempSync(join(tmpdir(), 'slsa-config-ledgers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('resolves the ledger list against the config file, from any folder below it', async () => {
  mkdirSync(join(root, '.git'));
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(root, '.slsa-ledger.yml'), 'ingest:\n  ledger: [acme/a=../a, acme/b=/srv/b, acme/c]\n');
  for (const cwd of [root, join(root, 'sub', 'deeper')]) {
    const defaults = await loadConfigDefaults(cwd, ingestCommand.spec);
    expect(defaults.ledger).toEqual([`acme/a=${join(root, '..', 'a')}`, 'acme/b=/srv/b', 'acme/c']);
  }
  writeFileSync(join(root, '.slsa-ledger.yml'), 'ingest:\n  ledger: acme/a=widgets\n');
  expect((await loadConfigDefaults(join(root, 'sub'), ingestCommand.spec)).ledger).toEqual([
    `acme/a=${join(root, 'widgets')}`,
  ]);
});
