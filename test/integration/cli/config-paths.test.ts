// Every file or folder a command reads from `.slsa-ledger.yml` is relative to the file, as its
// ledger list is (config-ledgers.test.ts), not to the folder the command runs in: from a subfolder
// of the repository `ingest: {data-dir: db}` made a second database there, `check: {witness: w.json}`
// a second witness, `verify: {trusted-root: root.json}` was not found. Paths inside the repository
// (`reports-dir`, `init --artifacts-dir`) and names (`dispatch --workflow`) stay as written.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandSpec } from '../../../src/cli/command.js';
import { commands } from '../../../src/cli/commands/index.js';
import { isConfigPath, loadConfigDefaults } from '../../../src/cli/config.js';
import { runCliCaptured } from '../../support/cli.js';

const root = mkdtempSync(join(tmpdir(), 'slsa-config-paths-'));
const sub = join(root, 'sub', 'deeper');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const specs: CommandSpec[] = [];
for (const entry of Object.values(commands)) specs.push((await entry.load()).command.spec);

const pathOptions = specs.flatMap((spec) =>
  Object.entries(spec.options)
    .filter(([key, o]) => key !== 'ledger' && isConfigPath(o))
    .map(([key, o]) => ({ command: spec.name, key, multiple: o.multiple === true, spec })),
);
const repositoryPaths = specs.flatMap((spec) =>
  Object.entries(spec.options)
    .filter(([, o]) => o.isRepositoryPath === true)
    .map(([key]) => ({ command: spec.name, key, spec })),
);

beforeAll(() => {
  mkdirSync(join(root, '.git'));
  mkdirSync(sub, { recursive: true });
});

function writeConfig(command: string, key: string, value: string): void {
  writeFileSync(join(root, '.slsa-ledger.yml'), `${command}:\n  ${key}: ${JSON.stringify(value)}\n`);
}

it('finds the path options (a guard against an empty table)', () => {
  const names = pathOptions.map((p) => `${p.command} --${p.key}`);
  for (const expected of [
    'ingest --data-dir',
    'ingest --repo',
    'check --witness',
    'kpi --data-dir',
    'serve --data-dir',
    'verify --trusted-root',
    'migrate --migrations-dir',
    'record --sign-key',
    'record --queue',
    'keygen --out',
  ])
    expect(names).toContain(expected);
  expect(repositoryPaths.map((p) => `${p.command} --${p.key}`)).toEqual(
    expect.arrayContaining(['ingest --reports-dir', 'check --reports-dir', 'init --artifacts-dir']),
  );
});

describe.each(pathOptions)('$command --$key in .slsa-ledger.yml', ({ command, key, multiple, spec }) => {
  it('is relative to the file, from any folder below it; absolute paths and - stay', async () => {
    writeConfig(command, key, 'files/thing');
    for (const cwd of [root, sub]) {
      const value = (await loadConfigDefaults(cwd, spec))[key];
      expect(value).toEqual(multiple ? [join(root, 'files', 'thing')] : join(root, 'files', 'thing'));
    }
    writeConfig(command, key, '/srv/thing');
    const absolute = (await loadConfigDefaults(sub, spec))[key];
    expect(absolute).toEqual(multiple ? ['/srv/thing'] : '/srv/thing');
  });
});

describe.each(repositoryPaths)('$command --$key in .slsa-ledger.yml', ({ command, key, spec }) => {
  it('is a path inside the repository (or a name): kept as written', async () => {
    writeConfig(command, key, 'docs/ledger');
    expect((await loadConfigDefaults(sub, spec))[key]).toBe('docs/ledger');
  });
});

it('kpi run from a subfolder opens the database the file names, not one beside the folder', async () => {
  writeConfig('kpi', 'data-dir', 'state/db');
  const run = await runCliCaptured(['kpi', '--json'], { cwd: sub });
  expect(run.code).toBe(3);
  expect(run.json().error).toMatchObject({ code: 'DB_NOT_FOUND' });
  expect(run.json().error?.message).toContain(join(root, 'state', 'db'));
  expect(run.json().error?.message).not.toContain(join(sub, 'state'));
});
