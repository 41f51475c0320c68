// Integrations bench (issue 7), against dist/: Slack delivery through notifyEvent (message building,
// attempt log) vs a bare fetch POST of the same payload to the same local receiver; the artifact
// download (API 302 to a second origin, unzip, provenance pick) vs a bare fetch of the same zip;
// notification metrics over a large attempt log. BENCH_SCALE=small shrinks the counts.
import { createServer } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, crc32 } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const small = process.env.BENCH_SCALE === 'small';
const work = join(root, 'bench/work/integrations');

function serve(handler) {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => handler(req, res, Buffer.concat(chunks)));
    });
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${server.address().port}` }),
    );
  });
}

function zipOf(name, data) {
  const packed = deflateRawSync(data);
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc32(data), 14);
  local.writeUInt32LE(packed.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc32(data), 16);
  central.writeUInt32LE(packed.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(n.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + n.length, 12);
  end.writeUInt32LE(30 + n.length + packed.length, 16);
  return Buffer.concat([local, n, packed, central, n, end]);
}

export async function runIntegrationsBench({ log }) {
  const { notifyEvent } = await import(join(root, 'dist/app/notify.js'));
  const { buildSlackMessage } = await import(join(root, 'dist/core/notify/events.js'));
  const { downloadProvenance } = await import(join(root, 'dist/io/artifact-download.js'));
  const { computeNotificationMetrics } = await import(join(root, 'dist/core/notify/metrics.js'));
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const rows = [];

  // Slack deliveries
  const slack = await serve((_req, res) => res.writeHead(200).end('ok'));
  const hook = `${slack.url}/services/T/B/bench`;
  const subject = {
    tag: 'v1.2.3',
    run_id: 1,
    status: 'failure',
    failure_reason: 'bench',
    release_url: 'https://github.com/acme/app/releases/tag/v1.2.3',
  };
  const n = small ? 200 : 2000;
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    await fetch(hook, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(buildSlackMessage('provenance-failure', subject)),
    });
  }
  const baseline = n / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < n; i++) {
    await notifyEvent({
      event: 'provenance-failure',
      subject,
      webhookUrl: hook,
      logPath: join(work, 'notifications.jsonl'),
    });
  }
  const ours = n / ((performance.now() - t) / 1000);
  slack.server.close();
  log(`slack: ${ours.toFixed(0)}/s through notifyEvent, ${baseline.toFixed(0)}/s bare fetch`);
  rows.push({ metric: 'notify_deliveries_per_s', value: Math.round(ours), unit: '/s' });
  rows.push({
    metric: 'notify_vs_bare_fetch',
    value: Number((ours / baseline).toFixed(2)),
    unit: 'x',
    goal: '>= 0.5',
    met: ours / baseline >= 0.5,
  });

  // artifact download: 302 to a second origin, unzip
  const size = (small ? 4 : 32) * 1024 * 1024;
  const payload = Buffer.alloc(size, 'provenance line\n');
  const zip = zipOf('app.intoto.jsonl', payload);
  const blob = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/zip' }).end(zip));
  const api = await serve((req, res) => res.writeHead(302, { location: `${blob.url}/blob.zip?sig=x` }).end());
  const runs = small ? 3 : 10;
  let bare = Infinity;
  let mine = Infinity;
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    await (await fetch(`${blob.url}/blob.zip`)).arrayBuffer();
    bare = Math.min(bare, performance.now() - t);
    t = performance.now();
    const files = await downloadProvenance({
      artifactUrl: 'https://github.com/o/r/actions/runs/1/artifacts/2',
      apiUrl: api.url,
      token: 'bench-token',
    });
    if (files[0].bytes.length !== size) throw new Error('bad unzip');
    mine = Math.min(mine, performance.now() - t);
  }
  blob.server.close();
  api.server.close();
  const mib = size / 1024 / 1024;
  log(
    `artifact: ${mib} MiB uncompressed in ${mine.toFixed(1)} ms (bare fetch of the zip ${bare.toFixed(1)} ms)`,
  );
  rows.push({
    metric: 'artifact_download_unzip_mib_per_s',
    value: Math.round(mib / (mine / 1000)),
    unit: 'MiB/s',
  });
  rows.push({
    metric: 'artifact_download_vs_bare_fetch',
    value: Number((bare / mine).toFixed(2)),
    unit: 'x',
  });

  // metrics over a large log
  const count = small ? 50_000 : 1_000_000;
  const records = Array.from({ length: count }, (_, i) => ({
    timestamp: '2026-11-26T00:00:00Z',
    notification_id: `n${i >> 1}`,
    channel: 'slack',
    event: 'provenance-failure',
    tag: 'v1',
    run_id: 1,
    attempt: (i & 1) + 1,
    outcome: i & 1 ? 'delivered' : 'retry',
    status: 200,
    reason: null,
    latency_ms: i % 997,
    elapsed_ms: i % 1999,
  }));
  t = performance.now();
  const m = computeNotificationMetrics(records);
  const ms = performance.now() - t;
  log(`metrics over ${count} attempts: ${ms.toFixed(0)} ms (ratio ${m.notification_success_ratio})`);
  rows.push({ metric: `notification_metrics_ms_${count}`, value: Math.round(ms), unit: 'ms' });
  rmSync(work, { recursive: true, force: true });
  return rows;
}
