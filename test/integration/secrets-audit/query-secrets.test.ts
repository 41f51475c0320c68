// A raw.githubusercontent.com link of a private repository carries its token in the query
// (`?token=GHSAT…`); a --manifest-url given without its scheme is refused without quoting it.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';

const token = 'GHSAT0AAAAAAQUERYTOKEN0123456789';

describe('a --manifest-url that is not a url', () => {
  it('is refused without its query', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slsa-secrets-'));
    const url = `raw.githubusercontent.com/acme/app/main/m.json?token=${token}`;
    const argv = ['validate', '--tag', 'v1.0.0', '--manifest-url', url, '--artifact', 'app.tgz'];
    const json = await runCliCaptured([...argv, '--json'], { cwd: dir });
    expect(json.code).toBe(2);
    expect(json.json().error?.code).toBe('USAGE_INVALID_FLAG');
    expect(json.json().error?.message).toContain('raw.githubusercontent.com/acme/app/main/');
    const human = await runCliCaptured([...argv, '--verbose'], { cwd: dir });
    expect(human.code).toBe(2);
    for (const text of [json.stdout, json.stderr, human.stdout, human.stderr])
      expect(text).not.toContain(token);
  });
});
