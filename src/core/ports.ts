// Interfaces the core needs from the outside world. Adapters in src/io implement them; time,
// randomness, environment and credentials enter the core only through these or as arguments.
// Each domain may keep its own ports next to its code (e.g. src/core/ledger/ports.ts) and re-export here.

/** Where the library reports what it is doing; the CLI renders it on stderr. The library never logs to the console. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
  /** Progress of long work; `total` undefined when unknown. Rendered only on a TTY. */
  progress(label: string, done: number, total?: number): void;
  /** The progress line is finished. */
  progressDone(label: string): void;
}

export interface Clock {
  now(): Date;
}

/** Signs bytes (the DSSE PAE); the key never leaves the adapter. */
export interface Signer {
  /** Identifies the key or certificate in the signature (DSSE `keyid`); may be empty. */
  readonly keyId: string;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
  progress: () => undefined,
  progressDone: () => undefined,
};
