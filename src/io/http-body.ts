// Reading an HTTP answer's body within a byte limit. `response.text()`, `.json()` and
// `.arrayBuffer()` read to the end, however long the end is: a hostile or broken server (a proxy, a
// GitHub Enterprise instance, a Jira or a CDN we do not control) that streams without end had the
// process hold everything it sent until the request's timeout (hundreds of MB a second on a fast
// link), or forever where there was no timeout. Here the body is read chunk by chunk and the read
// stops, and the connection is cancelled, as soon as the limit is passed.

/** The body was longer than the limit: `read` bytes had arrived when the read stopped. */
export class BodyTooLargeError extends Error {
  constructor(
    readonly maxBytes: number,
    readonly read: number,
  ) {
    super(`the answer is more than ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * One read of the stream, or the signal's reason as soon as it aborts. The request's signal should
 * end the body's stream too, but a read that waits on a server which stopped sending was seen to
 * outlive its deadline in a loaded test run; racing the signal here holds the deadline whatever the
 * fetch implementation does after the headers.
 */
function readBefore(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  aborted: Promise<never> | undefined,
): Promise<{ done: boolean; value?: Uint8Array | undefined }> {
  return aborted === undefined ? reader.read() : Promise.race([reader.read(), aborted]);
}

function abortedPromise(signal: AbortSignal | undefined): Promise<never> | undefined {
  if (signal === undefined) return undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    const fail = (): void => {
      const reason: unknown = signal.reason;
      reject(reason instanceof Error ? reason : new Error('the request was aborted'));
    };
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => undefined);
  return aborted;
}

/**
 * The one reader loop. `refuse`: past `maxBytes` throws BodyTooLargeError, a broken stream throws
 * what it threw and the signal (the request's deadline) ends the read with its reason; `prefix`:
 * stops at `maxBytes` and gives the first `maxBytes`, or what had arrived when the stream broke or
 * the signal fired. The rest of the body is cancelled unread whenever the read stops early.
 */
async function readChunks(
  response: Response,
  maxBytes: number,
  mode: 'refuse' | 'prefix',
  signal: AbortSignal | undefined,
): Promise<Buffer> {
  const reader = response.body?.getReader();
  if (reader === undefined) return Buffer.alloc(0);
  const aborted = abortedPromise(signal);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (mode === 'refuse' || total < maxBytes) {
      const { done, value } = await readBefore(reader, aborted);
      if (done) return Buffer.concat(chunks, total);
      if (value === undefined) continue;
      total += value.byteLength;
      if (mode === 'refuse' && total > maxBytes) throw new BodyTooLargeError(maxBytes, total);
      chunks.push(value);
    }
  } catch (error) {
    if (mode === 'refuse') {
      await reader.cancel().catch(() => undefined);
      throw error;
    }
    // a prefix is what arrived
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks, total).subarray(0, maxBytes);
}

/**
 * The body's bytes, at most `maxBytes`. A declared `content-length` over the limit is refused before
 * any byte is read. Throws BodyTooLargeError past the limit; a broken stream throws what the stream
 * threw, and `signal` (the request's deadline) ends the read with its reason (a TimeoutError).
 */
export async function readBodyBounded(
  response: Response,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(maxBytes, 0);
  }
  return readChunks(response, maxBytes, 'refuse', signal);
}

/**
 * The first `maxBytes` of the body, the rest cancelled unread: for answers of which only a prefix
 * matters (a Slack error code, a GitHub error message). Never throws; a broken stream gives what
 * had arrived.
 */
export async function readBodyPrefix(
  response: Response,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  return readChunks(response, maxBytes, 'prefix', signal);
}
