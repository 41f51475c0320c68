// flushRemainderError: what a flush that left items behind means (exit code and error), one case
// per branch. Pure: a FlushResult in, an error (or nothing) out.
import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError, VerificationError, exitCodeOf } from '../errors.js';
import { flushRemainderError, type FlushItemResult, type FlushResult } from './flush.js';

const item = (overrides: Partial<FlushItemResult> = {}): FlushItemResult => ({
  tag: 'v1.2.3',
  run_id: 101,
  outcome: 'committed',
  ...overrides,
});

const makeResult = (overrides: Partial<FlushResult> = {}): FlushResult => ({
  outcome: 'queued',
  items: [],
  landed: 1,
  remaining: 1,
  conflicts: 0,
  invalid: 0,
  untrusted: 0,
  unauthenticated: 0,
  queue_path: '.slsa-ledger/queue.jsonl',
  queue_branch: true,
  lock_wait_s: 0,
  ...overrides,
});

describe('flushRemainderError', () => {
  it.each<FlushResult['outcome']>(['flushed', 'empty'])(
    'nothing remains (%s): no error, even with counts',
    (outcome) => {
      expect(flushRemainderError(makeResult({ outcome, conflicts: 1, unauthenticated: 1 }))).toBeUndefined();
    },
  );

  it('an unreadable queue file waits for a retry (exit 75): no error', () => {
    const result = makeResult({
      queue_file_error: { code: 'LEDGER_QUEUE_INVALID', message: 'not json' },
      conflicts: 1,
      items: [item({ outcome: 'conflict' })],
    });
    expect(flushRemainderError(result)).toBeUndefined();
  });

  it('no trust policy is said even beside an unreadable queue file', () => {
    const result = makeResult({
      queue_file_error: { code: 'LEDGER_QUEUE_INVALID', message: 'not json' },
      unauthenticated: 2,
      items: [item({ outcome: 'unauthenticated' }), item({ outcome: 'unauthenticated', run_id: 102 })],
    });
    const error = flushRemainderError(result)!;
    expect(error.code).toBe('FLUSH_NO_TRUST_POLICY');
    expect(exitCodeOf(error.code)).toBe(2);
    expect(error.details).toEqual({ result });
  });

  it.each<FlushItemResult['outcome']>(['refused', 'skipped'])(
    'a %s item waits for a retry (exit 75): no error, whatever else remains',
    (outcome) => {
      const result = makeResult({
        conflicts: 1,
        untrusted: 1,
        items: [item({ outcome }), item({ outcome: 'conflict' }), item({ outcome: 'untrusted' })],
      });
      expect(flushRemainderError(result)).toBeUndefined();
    },
  );

  it('no trust policy is the worst kind: FLUSH_NO_TRUST_POLICY (exit 2) before untrusted, conflicts, invalid', () => {
    const result = makeResult({
      unauthenticated: 1,
      untrusted: 1,
      conflicts: 1,
      invalid: 1,
      items: [
        item({ outcome: 'conflict' }),
        item({ outcome: 'unauthenticated', tag: 'v9\u0007', run_id: 9, reason: 'no policy\u001b[2J' }),
      ],
    });
    const error = flushRemainderError(result)!;
    expect(error.code).toBe('FLUSH_NO_TRUST_POLICY');
    expect(exitCodeOf(error.code)).toBe(2);
    // the first such item, its tag and reason with unprintable characters escaped
    expect(error.message).toContain('run 9');
    expect(error.message).not.toContain('\u0007');
    expect(error.message).not.toContain('\u001b');
    expect(error.message).toContain('1 landed, 1 remain in the queue');
  });

  it('untrusted before conflicts: FLUSH_ENTRY_UNTRUSTED (exit 1), a VerificationError', () => {
    const result = makeResult({
      untrusted: 1,
      conflicts: 1,
      items: [item({ outcome: 'untrusted', run_id: 7 }), item({ outcome: 'conflict' })],
    });
    const error = flushRemainderError(result)!;
    expect(error).toBeInstanceOf(VerificationError);
    expect(error.code).toBe('FLUSH_ENTRY_UNTRUSTED');
    expect(exitCodeOf(error.code)).toBe(1);
    // without a reason, the outcome says why
    expect(error.message).toContain('run 7: untrusted');
  });

  it('conflicts before invalid: LEDGER_CONFLICT (exit 4), a ConflictError', () => {
    const result = makeResult({
      conflicts: 2,
      invalid: 1,
      items: [item({ outcome: 'conflict', reason: 'sha differs' }), item({ outcome: 'invalid' })],
    });
    const error = flushRemainderError(result)!;
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.code).toBe('LEDGER_CONFLICT');
    expect(exitCodeOf(error.code)).toBe(4);
    expect(error.message).toContain('sha differs');
  });

  it('an invalid entry: LEDGER_ENTRY_INVALID (exit 3), a ValidationError', () => {
    const result = makeResult({
      invalid: 1,
      items: [item({ outcome: 'invalid', code: 'LEDGER_ENTRY_INVALID', reason: 'tag missing' })],
    });
    const error = flushRemainderError(result)!;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('LEDGER_ENTRY_INVALID');
    expect(exitCodeOf(error.code)).toBe(3);
  });

  it('an invalid queue item that is not an entry: LEDGER_QUEUE_INVALID (exit 3)', () => {
    const result = makeResult({
      invalid: 1,
      items: [item({ outcome: 'invalid', code: 'INPUT_JSON_MALFORMED' })],
    });
    const error = flushRemainderError(result)!;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('LEDGER_QUEUE_INVALID');
    expect(exitCodeOf(error.code)).toBe(3);
  });

  it('a count without its item: the message names no first item', () => {
    const error = flushRemainderError(makeResult({ conflicts: 1, items: [] }))!;
    expect(error.code).toBe('LEDGER_CONFLICT');
    expect(error.message).not.toContain('first:');
  });

  it('queued items of no failing kind (stale, unchanged): no error', () => {
    const result = makeResult({ items: [item({ outcome: 'stale' }), item({ outcome: 'unchanged' })] });
    expect(flushRemainderError(result)).toBeUndefined();
  });
});
