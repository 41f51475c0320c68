// One redaction for everything the tool writes (issue 13 item 7): the CLI runs each command inside
// `withSecrets(collectSecrets(env), …)`; the file writers (`writeFileAtomic`, the notification log,
// the step-output and summary files) call `redactText` on the text they write. The secrets travel
// in an AsyncLocalStorage scope, so concurrent in-process runs (tests) never see each other's, and
// library code never reads the environment itself.
import { AsyncLocalStorage } from 'node:async_hooks';
import { redact, redactJson } from '../core/redact/redact.js';

const scope = new AsyncLocalStorage<readonly string[]>();

/** Runs `fn` with `secrets` redacted from every file written inside it. */
export function withSecrets<T>(secrets: readonly string[], fn: () => T): T {
  return scope.run(secrets, fn);
}

/** The secrets of the current scope (none outside `withSecrets`). */
export function currentSecrets(): readonly string[] {
  return scope.getStore() ?? [];
}

/** `text` with the current scope's secrets (and URL passwords) replaced by `***`. */
export function redactText(text: string): string {
  return redact(text, currentSecrets());
}

/**
 * File data with the current scope's secrets redacted. Text (a string) is redacted; bytes
 * (a Buffer or Uint8Array: copies of files, archives, signatures) are written as they are, since
 * replacing bytes in them would corrupt them — the tool composes every text file it writes as a string.
 */
export function redactFileData<T extends string | Uint8Array>(data: T): T {
  return (typeof data === 'string' ? redactText(data) : data) as T;
}

/**
 * JSON data with the current scope's secrets (and URL passwords) redacted in every string: what
 * leaves the tool as data rather than as text (a notification's payload, an entry's free text).
 */
export function redactValue<T>(value: T): T {
  return redactJson(value, currentSecrets());
}
