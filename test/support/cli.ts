import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli/main.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as the --json envelope */
  json(): {
    ok: boolean;
    result?: any;
    error?: { code: string; message: string; details: Record<string, unknown> };
  };
}

/** Runs the CLI in-process and captures its streams. */
export async function runCliCaptured(
  argv: readonly string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; stdin?: string | Readable } = {},
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  const code = await runCli(argv, {
    stdout,
    stderr,
    stdin: typeof options.stdin === 'object' ? options.stdin : Readable.from([options.stdin ?? '']),
    env: options.env ?? { PATH: process.env.PATH, HOME: process.env.HOME },
    cwd: options.cwd ?? process.cwd(),
    isTty: false,
  });
  const o = Buffer.concat(out).toString('utf8');
  const e = Buffer.concat(err).toString('utf8');
  return {
    code,
    stdout: o,
    stderr: e,
    json() {
      return JSON.parse(o);
    },
  };
}
