// One redaction for everything the tool writes (issue 13 item 7): the CLI runs each command inside
// `withSecrets(collectSecrets(env), …)`; the file writers (`writeFileAtomic`, the notification log,
// the step-output and summary files) call `redactText` on the text they write. The secrets travel
// in an AsyncLocalStorage scope, so concurrent in-process runs (tests) never see each other's, and
// library code never reads the environment itself.
import { AsyncLocalStorage } from 'node:async_hooks';
import { redact, redactJson } from '../core/redact/redact.js';

interface SecretScope {
  /** longest first (src/core/redact/redact.ts); grows when a secret is learnt during the run */
  readonly secrets: string[];
  readonly onLearnt: ((value: string) => void) | undefined;
}

const scope = new AsyncLocalStorage<SecretScope>();

/**
 * Runs `fn` with `secrets` redacted from every file written inside it. The array is the scope's
 * own: a secret learnt during the run (`learnSecret`) is added to it, so a caller that redacts its
 * output with the same array (the CLI) hides it too. `onLearnt` hears of each learnt secret (the
 * CLI asks a GitHub runner to mask it).
 */
export function withSecrets<T>(secrets: string[], fn: () => T, onLearnt?: (value: string) => void): T {
  return scope.run({ secrets, onLearnt }, fn);
}

/** The secrets of the current scope (none outside `withSecrets`). */
export function currentSecrets(): readonly string[] {
  return scope.getStore()?.secrets ?? [];
}

/**
 * A secret the tool obtained while running, not from its environment (an OIDC identity token
 * fetched from GitHub's endpoint): from now on redacted wherever the scope's secrets are. As
 * `@actions/core`'s `getIDToken` does, the caller of `withSecrets` is told, to have the runner mask
 * it in the job's log too. Values shorter than 6 characters are ignored (as in `collectSecrets`).
 */
export function learnSecret(value: string): void {
  const current = scope.getStore();
  if (current === undefined || value.length < 6 || current.secrets.includes(value)) return;
  current.secrets.push(value);
  current.secrets.sort((a, b) => b.length - a.length);
  current.onLearnt?.(value);
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
