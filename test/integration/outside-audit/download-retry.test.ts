// validate's downloads (the artifact zip, a provenance file, --manifest-url) follow the one retry
// policy (src/core/retry, `retryPolicies.download`): a 503, a 429 within its Retry-After cap and a
// network failure are tried again within the one deadline; a 404 never is. Before, the first 503
// of a CDN ended validate with ARTIFACT_UNAVAILABLE and an escalation.
import { describe, expect, it } from 'vitest';
import { fetchBytes } from '../../../src/io/artifact-download.js';
import { mountFake, type FakeResponse } from '../../support/http-fake.js';

async function download(script: readonly FakeResponse[]) {
  let n = 0;
  const server = await mountFake(() => script[Math.min(n++, script.length - 1)]!);
  const result = await fetchBytes(`${server.url}/provenance.intoto.jsonl`, {
    code: 'ARTIFACT_UNAVAILABLE',
    what: 'provenance download',
    timeoutMs: 20_000,
  }).catch((e: unknown) => e);
  return { result, requests: n };
}

describe('downloads follow the one retry policy', () => {
  it('a 503, then the file', async () => {
    const { result, requests } = await download([
      { status: 503, body: 'busy' },
      { status: 200, body: 'line\n' },
    ]);
    expect((result as { bytes: Buffer }).bytes.toString()).toBe('line\n');
    expect(requests).toBe(2);
  });

  it('a 429 with Retry-After: 1, then the file', async () => {
    const { result, requests } = await download([
      { status: 429, headers: { 'retry-after': '1' }, body: '' },
      { status: 200, body: 'line\n' },
    ]);
    expect((result as { bytes: Buffer }).bytes.toString()).toBe('line\n');
    expect(requests).toBe(2);
  });

  it('503 every time: ARTIFACT_UNAVAILABLE after 3 attempts; a 404 is never retried', async () => {
    const failing = await download([{ status: 503, body: '' }]);
    expect(failing.result).toMatchObject({
      code: 'ARTIFACT_UNAVAILABLE',
      details: { status: 503, attempts: 3 },
    });
    expect(failing.requests).toBe(3);
    const gone = await download([
      { status: 404, body: '' },
      { status: 200, body: 'x' },
    ]);
    expect(gone.result).toMatchObject({ code: 'ARTIFACT_UNAVAILABLE', details: { status: 404 } });
    expect(gone.requests).toBe(1);
  });
});
