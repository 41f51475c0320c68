// Stopping a spawned child in a test's cleanup: SIGTERM, then wait for its 'exit' event. A child
// that is only signalled may still be writing (a `serve` closing its PGlite database, a Deno
// server answering) when the test removes its directory, drops its database or ends the file:
// removing the directory then fails with ENOTEMPTY (seen in CI on Node 24, serve-alert.test.ts).
import type { ChildProcess } from 'node:child_process';

/** Sends SIGTERM (unless the child has already exited) and resolves once it has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
