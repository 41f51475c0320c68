import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from '../core/ports.js';
import { UsageError } from '../errors.js';
import { demoSteps } from './demo-steps/index.js';
import type { DemoState } from './demo-steps/types.js';

export interface DemoOptions {
  /** where to put the demo's files (default: a new temporary directory) */
  readonly dir?: string;
  readonly serve?: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
}

export interface DemoResult {
  readonly workDir: string;
  readonly steps: readonly { readonly title: string; readonly lines: readonly string[] }[];
}

/** The file that marks a directory as the demo's own: its contents are replaced on the next run. */
export const DEMO_MARKER = '.slsa-ledger-demo';

/**
 * Prepares `--dir`: created when missing; a directory an earlier demo made (it holds the marker)
 * is emptied; any other non-empty directory is refused, so the demo never deletes a user's files.
 * @throws UsageError `USAGE_INVALID_FLAG` for a file, a symlink or a non-empty foreign directory
 */
export async function prepareDemoDir(dir: string): Promise<string> {
  const path = resolve(dir);
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (info !== undefined && !info.isDirectory()) {
    throw new UsageError('USAGE_INVALID_FLAG', `--dir ${dir} exists and is not a directory`, {
      details: { flag: 'dir', path },
    });
  }
  await mkdir(path, { recursive: true });
  const names = await readdir(path);
  if (names.length > 0) {
    if (!names.includes(DEMO_MARKER)) {
      throw new UsageError(
        'USAGE_INVALID_FLAG',
        `--dir ${dir} is not empty and was not made by an earlier demo (no ${DEMO_MARKER} in it): give an empty or new directory`,
        { details: { flag: 'dir', path } },
      );
    }
    for (const name of names) await rm(join(path, name), { recursive: true, force: true });
  }
  await writeFile(
    join(path, DEMO_MARKER),
    'made by `slsa-ledger demo`: the next `demo --dir` here replaces everything in this directory\n',
  );
  return path;
}

/** Runs the whole chain locally on embedded defaults, step by step, reporting each as it goes. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const workDir =
    options.dir === undefined
      ? await mkdtemp(join(tmpdir(), 'slsa-ledger-demo-'))
      : await prepareDemoDir(options.dir);
  const state: DemoState = { workDir, values: new Map() };
  const steps: { title: string; lines: readonly string[] }[] = [];
  options.logger.info(`demo: working in ${workDir}`);
  for (const [i, load] of demoSteps.entries()) {
    const { step } = await load();
    options.logger.info(`\n[${i + 1}/${demoSteps.length}] ${step.title}`);
    const lines = await step.run({
      state,
      logger: options.logger,
      env: options.env,
      serve: options.serve ?? false,
    });
    for (const line of lines) options.logger.info(`    ${line}`);
    steps.push({ title: step.title, lines });
  }
  return { workDir, steps };
}
