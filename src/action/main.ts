// Entry point of the slsa-ledger GitHub Action (action.yml, `runs.using: node24`): runs the CLI
// in-process with `--json`, prints the human output, and maps the result to step outputs.
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../cli/main.js';
import { readGithubEvent } from '../cli/run.js';
import {
  buildOutputs,
  findEnvelope,
  parseOkExitCodes,
  publicLogRefusal,
  readInput,
  renderGithubOutput,
  splitArgs,
  workflowCommand,
} from './inputs.js';

async function main(): Promise<number> {
  const env = process.env;
  const command = readInput(env, 'command');
  let argv: string[];
  let okCodes: Set<number>;
  try {
    argv = [...(command === '' ? [] : splitArgs(command)), ...splitArgs(readInput(env, 'args'))];
    okCodes = parseOkExitCodes(readInput(env, 'ok-exit-codes'));
  } catch (error) {
    process.stderr.write(workflowCommand('error', {}, (error as Error).message));
    return 2;
  }
  const refusal = publicLogRefusal(argv, await readGithubEvent(env.GITHUB_EVENT_PATH), env);
  if (refusal !== undefined) {
    process.stderr.write(
      workflowCommand('error', { title: `slsa-ledger ${argv[0] ?? ''}` }, `PUBLIC_LOG_REFUSED: ${refusal}`),
    );
    return 2;
  }
  if (!argv.includes('--json')) argv.push('--json');
  const workingDirectory = readInput(env, 'working-directory');
  const cwd = resolve(process.cwd(), workingDirectory === '' ? '.' : workingDirectory);

  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (b: Buffer) => chunks.push(b));
  const code = await runCli(argv, { stdout, stderr: process.stderr, env, cwd, isTty: false });
  const text = Buffer.concat(chunks).toString('utf8');
  process.stdout.write(text);

  const envelope = findEnvelope(text);
  const outputs = buildOutputs(envelope, code);
  const outputFile = env.GITHUB_OUTPUT;
  if (outputFile !== undefined && outputFile !== '') {
    appendFileSync(outputFile, renderGithubOutput(outputs, randomBytes(8).toString('hex')));
  }
  if (!okCodes.has(code)) {
    const message = envelope?.error?.message ?? `exit code ${code}`;
    const lead = envelope?.error?.code ?? 'FAILED';
    process.stderr.write(
      workflowCommand(
        'error',
        { title: `slsa-ledger ${argv[0] ?? ''}` },
        `${lead}: ${message.split('\n')[0] ?? ''}`,
      ),
    );
    return code === 0 ? 1 : code;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      workflowCommand(
        'error',
        {},
        `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      ),
    );
    process.exitCode = 70;
  },
);
