import { expect } from 'vitest';
import { isSlsaLedgerError } from '../../src/errors.js';

// `expect(fn).toThrowCode('VERIFY_BUILDER_MISMATCH')` and `await expect(p).rejects.toThrowCode(...)`:
// tests assert stable codes, never message text.
expect.extend({
  toThrowCode(received: unknown, code: string) {
    let error: unknown = received;
    if (typeof received === 'function') {
      try {
        (received as () => unknown)();
        return {
          pass: false,
          message: () => `expected a SlsaLedgerError with code ${code}, but nothing was thrown`,
        };
      } catch (e) {
        error = e;
      }
    }
    const actual = isSlsaLedgerError(error) ? error.code : undefined;
    return {
      pass: actual === code,
      message: () =>
        `expected a SlsaLedgerError with code ${code}, got ${actual ?? String(error instanceof Error ? error.stack : error)}`,
    };
  },
});

interface CodeMatchers<R = unknown> {
  toThrowCode(code: string): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Assertion<T = any> extends CodeMatchers<T> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AsymmetricMatchersContaining extends CodeMatchers {}
}
