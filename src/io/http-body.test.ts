import { describe, expect, it } from 'vitest';
import { BodyTooLargeError, readBodyBounded, readBodyPrefix } from './http-body.js';

/** A response whose body streams the given chunks, then ends or breaks. */
function streamed(
  chunks: string[],
  end: 'close' | 'break' = 'close',
  headers: Record<string, string> = {},
): Response {
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next !== undefined) controller.enqueue(new TextEncoder().encode(next));
      else if (end === 'close') controller.close();
      else controller.error(new Error('connection reset'));
    },
    cancel() {
      cancelled = true;
    },
  });
  const response = new Response(body, { headers });
  Object.defineProperty(response, 'wasCancelled', { get: () => cancelled });
  return response;
}

describe('readBodyBounded', () => {
  it('reads a body up to the limit', async () => {
    expect((await readBodyBounded(streamed(['ab', 'cd']), 4)).toString()).toBe('abcd');
  });

  it('refuses past the limit and cancels the rest', async () => {
    const response = streamed(['ab', 'cd', 'ef', 'gh']);
    const error = await readBodyBounded(response, 5).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect((error as BodyTooLargeError).read).toBe(6);
    expect((response as unknown as { wasCancelled: boolean }).wasCancelled).toBe(true);
  });

  it('refuses a declared length over the limit before reading', async () => {
    const error = await readBodyBounded(streamed(['ab'], 'close', { 'content-length': '100' }), 5).catch(
      (e: unknown) => e,
    );
    expect((error as BodyTooLargeError).read).toBe(0);
  });

  it('throws what a broken stream threw', async () => {
    await expect(readBodyBounded(streamed(['ab'], 'break'), 10)).rejects.toThrow('connection reset');
  });
});

describe('readBodyPrefix', () => {
  it('gives the first bytes and cancels the rest unread', async () => {
    const response = streamed(['abc', 'def', 'ghi']);
    expect((await readBodyPrefix(response, 4)).toString()).toBe('abcd');
    expect((response as unknown as { wasCancelled: boolean }).wasCancelled).toBe(true);
  });

  it('gives a short body whole', async () => {
    expect((await readBodyPrefix(streamed(['ab']), 10)).toString()).toBe('ab');
  });

  it('gives what arrived when the stream breaks', async () => {
    expect((await readBodyPrefix(streamed(['ab', 'cd'], 'break'), 10)).toString()).toBe('abcd');
  });

  it('gives what arrived when the deadline passes', async () => {
    const controller = new AbortController();
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        pulls += 1;
        if (pulls === 1) {
          c.enqueue(new TextEncoder().encode('ab'));
          return Promise.resolve();
        }
        controller.abort(new Error('deadline'));
        return new Promise(() => undefined);
      },
    });
    expect((await readBodyPrefix(new Response(body), 10, controller.signal)).toString()).toBe('ab');
  });
});

// Mutation audit (twentieth session): each case below fails with one mutant of http-body.ts applied.
describe('the limit, exactly', () => {
  const wasCancelled = (r: Response): boolean => (r as unknown as { wasCancelled: boolean }).wasCancelled;

  it('refuses a body whose first chunks fill the limit exactly and that goes on', async () => {
    const response = streamed(['ab', 'cd', 'ef']);
    const error = await readBodyBounded(response, 4).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect(wasCancelled(response)).toBe(true);
  });

  it('takes a declared length equal to the limit, refuses one byte more before reading', async () => {
    expect(
      (await readBodyBounded(streamed(['abcd'], 'close', { 'content-length': '4' }), 4)).toString(),
    ).toBe('abcd');
    const response = streamed(['ab'], 'close', { 'content-length': '5' });
    const error = await readBodyBounded(response, 4).catch((e: unknown) => e);
    expect((error as BodyTooLargeError).read).toBe(0);
    expect(wasCancelled(response)).toBe(true);
  });

  it('a prefix reads no chunk past the limit', async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          pulls += 1;
          c.enqueue(new TextEncoder().encode('ab'));
        },
      },
      { highWaterMark: 0 },
    );
    expect((await readBodyPrefix(new Response(body), 4)).toString()).toBe('abab');
    expect(pulls).toBe(2);
  });
});

describe('readBodyBounded: the deadline', () => {
  /** A body that sends one chunk, then nothing, ever. */
  const stalled = (): Response =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('ab'));
        },
      }),
    );

  it('ends a read that waits with the signal’s reason', async () => {
    const controller = new AbortController();
    const reason = new DOMException('the deadline passed', 'TimeoutError');
    setTimeout(() => controller.abort(reason), 20);
    await expect(readBodyBounded(stalled(), 100, controller.signal)).rejects.toBe(reason);
  }, 2_000);

  it('a signal already aborted ends the read at once', async () => {
    const reason = new Error('deadline');
    await expect(readBodyBounded(stalled(), 100, AbortSignal.abort(reason))).rejects.toBe(reason);
  }, 2_000);
});
