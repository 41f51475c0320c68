// `serve --ingest-every` with SLACK_WEBHOOK_URL: a ledger that fails is alerted by name as `ingest`
// alerts it (the scheduled ingest sent nothing before), once an hour, not at every run. The built
// binary, against a local stand-in of the webhook.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { stopChild } from '../../support/child.js';

const bin = join(import.meta.dirname, '../../../dist/bin/slsa-ledger.js');

describe('serve --ingest-every alerts a failing ledger', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'slsa-serve-alert-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sends one alert naming the repository, not one per scheduled run', async () => {
    const posts: string[] = [];
    const slack = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        posts.push(body);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => slack.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => slack.close(() => r())));
    const port = (slack.address() as AddressInfo).port;
    const child = spawn(
      process.execPath,
      [
        bin,
        'serve',
        '--data-dir',
        join(dir, 'db'),
        '--port',
        '0',
        '--ingest-every',
        '10s',
        '--ledger',
        `acme/gone=${join(dir, 'no-such-clone')}`,
      ],
      { env: { ...process.env, SLACK_WEBHOOK_URL: `http://127.0.0.1:${port}/hook` }, stdio: 'pipe' },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    // wait for the exit: the server closes its database on SIGTERM, and removing the directory
    // while it still writes there fails with ENOTEMPTY (seen in CI on Node 24)
    onTestFinished(() => stopChild(child));
    // the first run at start, the second ten seconds after it ends
    const deadline = Date.now() + 90_000;
    while ((stderr.match(/scheduled ingest failed/g) ?? []).length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((stderr.match(/scheduled ingest failed/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toContain('*repository*\\nacme/gone');
    expect(posts[0]).toContain('INPUT_FILE_MISSING');
  }, 120_000);

  it("ingests the ledgers of .slsa-ledger.yml's ingest section (it ingested '.' instead)", async () => {
    const org = join(dir, 'org');
    mkdirSync(org);
    writeFileSync(join(org, '.slsa-ledger.yml'), 'ingest:\n  ledger: [acme/listed=./no-such-clone]\n');
    const child = spawn(
      process.execPath,
      [bin, 'serve', '--data-dir', join(dir, 'db2'), '--port', '0', '--ingest-every', '1h'],
      { cwd: org, env: { ...process.env, SLACK_WEBHOOK_URL: '' }, stdio: 'pipe' },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    // wait for the exit: the server closes its database on SIGTERM, and removing the directory
    // while it still writes there fails with ENOTEMPTY (seen in CI on Node 24)
    onTestFinished(() => stopChild(child));
    const deadline = Date.now() + 90_000;
    while (!stderr.includes('scheduled ingest failed') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(stderr).toContain('ingest acme/listed: failed: INPUT_FILE_MISSING');
    expect(stderr).not.toContain('local/org');
  }, 120_000);
});
