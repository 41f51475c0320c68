import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../core/ports.js';
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

/** Runs the whole chain locally on embedded defaults, step by step, reporting each as it goes. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const workDir = options.dir ?? (await mkdtemp(join(tmpdir(), 'slsa-ledger-demo-')));
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
