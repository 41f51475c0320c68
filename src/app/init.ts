// `init`: install the workflows, the slsa-ledger action, the config, the migrations and the
// operations docs into a repository. Every target is checked before anything is written, so a
// refusal (INIT_FILE_EXISTS) leaves the directory exactly as it was.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { SlsaLedgerError } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';

export interface InitOptions {
  /** the repository to install into (default: process.cwd()); created when missing */
  readonly dir?: string;
  /** overwrite files that exist */
  readonly force?: boolean;
  readonly logger?: Logger;
  /** the package to copy from (default: the installed slsa-ledger package); for tests */
  readonly packageRoot?: string;
}

export interface InitSetting {
  readonly name: string;
  readonly kind: 'secret' | 'variable';
  readonly required: boolean;
  readonly usedBy: readonly string[];
  readonly purpose: string;
  /** the command that creates it with the GitHub CLI */
  readonly command: string;
}

export interface InitResult {
  readonly dir: string;
  readonly files: readonly { readonly path: string; readonly action: 'created' | 'overwritten' }[];
  readonly settings: readonly InitSetting[];
}

/** The secrets and variables the workflows read; `init` prints them as the next step. */
export const initSettings: readonly InitSetting[] = [
  {
    name: 'PROVENANCE_DISPATCH_TOKEN',
    kind: 'secret',
    required: true,
    usedBy: ['release.yml (dispatch step only)'],
    purpose:
      'fine-grained personal access token for this repository with Actions: read and write (workflow_dispatch) and Contents: read; rotate it quarterly',
    command: 'gh secret set PROVENANCE_DISPATCH_TOKEN',
  },
  {
    name: 'PROVENANCE_DISPATCH_TOKEN_ROTATED_AT',
    kind: 'variable',
    required: true,
    usedBy: ['release.yml'],
    purpose:
      'when the dispatch token was last rotated (RFC 3339, e.g. 2025-11-15T00:00:00Z): feeds the token-age audit',
    command: 'gh variable set PROVENANCE_DISPATCH_TOKEN_ROTATED_AT --body "$(date -u +%Y-%m-%dT%H:%M:%SZ)"',
  },
  {
    name: 'SLACK_WEBHOOK_URL',
    kind: 'secret',
    required: false,
    usedBy: ['release.yml', 'slsa-provenance.yml', 'provenance-validate.yml', 'notify-on-failure.yml'],
    purpose:
      'Slack incoming webhook for alerts (without it, notify still opens GitHub issues where configured)',
    command: 'gh secret set SLACK_WEBHOOK_URL',
  },
  {
    name: 'SLSA_MANIFEST_SERVICE_KEY',
    kind: 'secret',
    required: false,
    usedBy: ['manifest-ingest.yml'],
    purpose: 'Supabase key mapped to the slsa_manifest_ingest role (EXECUTE on the ingest function only)',
    command: 'gh secret set SLSA_MANIFEST_SERVICE_KEY',
  },
  {
    name: 'SUPABASE_URL',
    kind: 'variable',
    required: false,
    usedBy: ['manifest-ingest.yml'],
    purpose: 'your Supabase project URL, e.g. https://abcd1234.supabase.co',
    command: 'gh variable set SUPABASE_URL --body https://YOUR-PROJECT.supabase.co',
  },
];

const configTemplate = `# slsa-ledger configuration: flag defaults per command (flags given on the command line win).
# Secrets never go here: they come from the environment (GitHub secrets in the workflows).
# See docs/ops/workflow-summary.md for what each workflow runs.

audit-workflows:
  format: text

# record:
#   remote: origin
#   branch: main
#   reports-dir: docs/reports
#   max-attempts: 5
#   via-pr: false        # true when main only takes pull requests
`;

/** Finds the slsa-ledger package root above this module (dist/app, src/app or the action bundle). */
export function findPackageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'slsa-ledger') return dir;
      } catch {
        // not our package.json; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new SlsaLedgerError('INIT_TEMPLATE_MISSING', `cannot find the slsa-ledger package above ${from}`);
    }
    dir = parent;
  }
}

interface PlannedFile {
  readonly target: string;
  readonly content: () => Promise<Buffer>;
}

async function listDir(dir: string, pattern: RegExp): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => pattern.test(n)).sort();
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw error;
  }
}

/** Every file under `rel` (forward-slash paths relative to root), sorted. */
async function listTree(root: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(root, sub), { withFileTypes: true });
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return;
      throw error;
    }
    for (const e of entries) {
      const child = `${sub}/${e.name}`;
      if (e.isDirectory()) await walk(child);
      else if (e.isFile()) out.push(child);
    }
  };
  await walk(rel);
  if (!out.includes(`${rel}/index.js`)) {
    throw new SlsaLedgerError(
      'INIT_TEMPLATE_MISSING',
      `the package has no ${rel}/index.js (the action bundle)`,
      {
        details: { file: `${rel}/index.js` },
      },
    );
  }
  return out.sort();
}

function copy(root: string, source: string, target: string): PlannedFile {
  const path = join(root, source);
  if (!existsSync(path)) {
    throw new SlsaLedgerError('INIT_TEMPLATE_MISSING', `the package has no ${source} (looked in ${root})`, {
      details: { file: source },
    });
  }
  return { target, content: () => readFile(path) };
}

async function planFiles(root: string): Promise<PlannedFile[]> {
  const workflows = await listDir(join(root, 'workflows'), /\.ya?ml$/);
  if (workflows.length === 0) {
    throw new SlsaLedgerError(
      'INIT_TEMPLATE_MISSING',
      `the package has no workflow templates in ${root}/workflows`,
    );
  }
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
    .version;
  const actionDir = '.github/actions/slsa-ledger';
  const migrations = await listDir(join(root, 'supabase', 'migrations'), /\.sql$/);
  return [
    ...workflows.map((n) => copy(root, `workflows/${n}`, `.github/workflows/${n}`)),
    copy(root, 'action.yml', `${actionDir}/action.yml`),
    ...(await listTree(root, 'action/dist')).map((f) => copy(root, f, `${actionDir}/${f}`)),
    {
      target: `${actionDir}/package.json`,
      content: () =>
        Promise.resolve(
          Buffer.from(
            `${JSON.stringify({ name: 'slsa-ledger', version, private: true, type: 'module' }, null, 2)}\n`,
          ),
        ),
    },
    { target: '.slsa-ledger.yml', content: () => Promise.resolve(Buffer.from(configTemplate)) },
    ...migrations.map((n) => copy(root, `supabase/migrations/${n}`, `supabase/migrations/${n}`)),
    ...['docs/ops/workflows.mmd', 'docs/ops/workflow-summary.md', 'docs/ops/failure-recovery.md'].map((p) =>
      copy(root, p, p),
    ),
    copy(root, 'docs/governance/role-matrix.md', 'docs/governance/role-matrix.md'),
  ];
}

/**
 * Installs the workflows, the action, `.slsa-ledger.yml`, the migrations and the docs.
 * @throws INIT_FILE_EXISTS (exit 4, nothing written) when a target exists and `force` is not set;
 *   INIT_TEMPLATE_MISSING when the package is incomplete; OUTPUT_WRITE_FAILED
 */
export async function initRepository(options: InitOptions = {}): Promise<InitResult> {
  const logger = options.logger ?? silentLogger;
  const dir = resolve(options.dir ?? process.cwd());
  const root = options.packageRoot ?? findPackageRoot();
  const plan = await planFiles(root);
  const existing: string[] = [];
  for (const f of plan) {
    if (existsSync(join(dir, f.target))) existing.push(f.target);
  }
  if (existing.length > 0 && options.force !== true) {
    throw new SlsaLedgerError(
      'INIT_FILE_EXISTS',
      `${existing.length} file(s) exist in ${dir} (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', …' : ''}); nothing was written; use --force to overwrite`,
      { details: { dir, existing } },
    );
  }
  const info = await stat(dir).catch(() => undefined);
  if (info !== undefined && !info.isDirectory()) {
    throw new SlsaLedgerError('INPUT_INVALID', `${dir} is not a directory`, { details: { dir } });
  }
  // read every source before the first write, so a read failure writes nothing
  const contents = await Promise.all(plan.map((f) => f.content()));
  await mkdir(dir, { recursive: true });
  const files: { path: string; action: 'created' | 'overwritten' }[] = [];
  for (const [i, f] of plan.entries()) {
    await writeFileAtomic(join(dir, f.target), contents[i]!);
    files.push({ path: f.target, action: existing.includes(f.target) ? 'overwritten' : 'created' });
    logger.info(`${existing.includes(f.target) ? 'overwrote' : 'created'} ${f.target}`);
  }
  return { dir, files, settings: initSettings };
}
