#!/usr/bin/env node
// The executable. Kept tiny: a bare `--version` is answered before the CLI loads, so it costs no
// more than Node's own start-up; everything else goes through runCli (commands load lazily).
// `attest` starts its hashing workers first, so they boot while the CLI loads.
import { readFileSync } from 'node:fs';
import nodeModule from 'node:module';

// Node 22.1+ keeps V8's compiled code of the CLI's modules on disk between runs (in the OS temp
// dir, or NODE_COMPILE_CACHE); Node 20 has no such cache, so it is feature-detected. A cache that
// cannot be written is reported by Node as a status, never thrown.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  process.stdout.write(`${pkg.version}\n`);
} else {
  if (argv[0] === 'attest' && !argv.includes('--help') && !argv.includes('-h')) {
    // attest hashes on every core: boot the worker thread(s) now, while the CLI loads
    const [{ availableParallelism }, { prestartHashWorkers }] = await Promise.all([
      import('node:os'),
      import('../io/hash-worker.js'),
    ]);
    prestartHashWorkers(availableParallelism() - 1);
  }
  const help = argv.includes('--help') || argv.includes('-h');
  const record = argv[0] === 'record';
  if ((record || argv[0] === 'flush') && !help) {
    // the first git processes of record and flush (the clone's config and paths, and its object
    // reader) run while the CLI loads; record asks through the probe its own bundle shares
    // (record-runner.ts, issue 14 performance), so the clone is asked once
    const { prestartCloneProbe, repoDirOfArgs } = record
      ? await import('./record-probe.js')
      : await import('../io/clone-probe.js');
    const dir = repoDirOfArgs(argv.slice(1));
    if (dir !== undefined) prestartCloneProbe(dir);
  }
  if (record) {
    const { runRecord } = await import('./record-runner.js');
    const code = await runRecord(argv);
    process.exitCode = code;
    // a record has awaited everything it started (its git processes, lock, witness, queue) when
    // runRecord returns: once what it printed is written, it exits without tearing down V8's heap
    // and Node's objects one by one (~300 page faults on the measuring VM, 5–8 ms a record: issue 14
    // performance, docs/ledger.md "Twenty-seventh session"). A write's callback comes after every
    // write queued before it; an error (a closed pipe) calls it too.
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  } else {
    const { runCli } = await import('./main.js');
    process.exitCode = await runCli(argv);
  }
}
