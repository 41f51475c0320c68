// The attestations API (verify --repo/--owner) for one digest: each page and bundle is within its
// own limit, but up to 1,000 attestations of 32 MiB each were held, and every bundle_url fetched at
// once. Now all answers together are within `attestationsBytes` (INPUT_TOO_LARGE past it) and at
// most 8 bundles download at a time.
import { compress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { fetchAttestations } from '../../../src/io/github-attestations.js';
import { mountFake } from '../../support/http-fake.js';

const digest = `sha256:${'a'.repeat(64)}`;
const padding = 'x'.repeat(200 * 1024);

describe('the attestations api answers, together, within a byte budget', () => {
  it('inline bundles on many pages: INPUT_TOO_LARGE once the pages pass the total', async () => {
    let pages = 0;
    const api = await mountFake((request) => {
      pages += 1;
      const n = Number(request.query.get('page') ?? '1');
      return {
        status: 200,
        headers: { link: `<${api.url}${request.path}?per_page=1&page=${n + 1}>; rel="next"` },
        body: { attestations: [{ bundle: { mediaType: 'x', padding }, repository_id: 1 }] },
      };
    });
    const error = await fetchAttestations({
      apiUrl: api.url,
      repo: 'acme/app',
      digest,
      limit: 1000,
      maxTotalBytes: 1024 * 1024,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INPUT_TOO_LARGE' });
    expect(pages).toBeLessThanOrEqual(6);
  });

  it('bundle urls: at most 8 at a time, and INPUT_TOO_LARGE once the bundles pass the total', async () => {
    let open = 0;
    let most = 0;
    const blob = compress(Buffer.from(JSON.stringify({ mediaType: 'x', padding })));
    const blobs = await mountFake(async () => {
      open += 1;
      most = Math.max(most, open);
      await new Promise((resolve) => setTimeout(resolve, 20));
      open -= 1;
      return { status: 200, body: blob };
    });
    const api = await mountFake(() => ({
      status: 200,
      body: {
        attestations: Array.from({ length: 100 }, (_, i) => ({
          bundle: null,
          bundle_url: `${blobs.url}/b/${i}`,
        })),
      },
    }));
    const error = await fetchAttestations({
      apiUrl: api.url,
      repo: 'acme/app',
      digest,
      limit: 100,
      maxTotalBytes: 2 * 1024 * 1024,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INPUT_TOO_LARGE' });
    expect(most).toBeLessThanOrEqual(8);
  });
});
