import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { renderGithubOutput } from '../core/dispatch/dispatch-plan.js';
import { SlsaLedgerError } from '../errors.js';
import { redactText } from './redaction.js';

/** Appends step outputs to the `$GITHUB_OUTPUT` file (values with newlines use a random delimiter). */
export async function appendGithubOutput(
  path: string,
  outputs: Readonly<Record<string, string>>,
): Promise<void> {
  await appendOrFail(path, renderGithubOutput(outputs, `slsa_ledger_${randomBytes(8).toString('hex')}`));
}

/** Appends Markdown to the `$GITHUB_STEP_SUMMARY` file. */
export async function appendStepSummary(path: string, markdown: string): Promise<void> {
  await appendOrFail(path, markdown);
}

async function appendOrFail(path: string, text: string): Promise<void> {
  try {
    await appendFile(path, redactText(text), 'utf8');
  } catch (error) {
    throw new SlsaLedgerError(
      'OUTPUT_WRITE_FAILED',
      `cannot append to ${path}: ${(error as Error).message}`,
      {
        cause: error,
        details: { path },
      },
    );
  }
}
