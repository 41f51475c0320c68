// Supabase Edge Function (Deno): POST a batch of ledger entries with the service key and they are
// upserted through the same database function `slsa_ingest_batch` that `slsa-ledger ingest` calls.
// Only web APIs (fetch, Request, Response, crypto), so it runs on Supabase's edge runtime, under
// `deno run`, and its handler under Node.
//
//   POST /functions/v1/provenance-manifest-sync
//   Authorization: Bearer <SLSA_MANIFEST_SERVICE_KEY>
//   {"entries": [{"entry": {...}, "manifest_path": "...", "manifest_hash": "...", "git_commit": "..."}],
//    "ledger": "default", "watermark": "<commit>"}
//
// The key is compared with SLSA_MANIFEST_SERVICE_KEY (constant time) and then forwarded to the REST
// API as `apikey` and `Authorization`: the database sees the key's role, slsa_manifest_ingest,
// which may EXECUTE that one function and nothing else. Set the secret with
// `supabase secrets set SLSA_MANIFEST_SERVICE_KEY=…`; SUPABASE_URL is provided by the platform.

const FUNCTION = 'slsa_ingest_batch';
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MAX_ENTRIES = 50_000;
const BATCH = 1000;

export interface SyncDeps {
  readonly serviceKey: string | undefined;
  readonly supabaseUrl: string | undefined;
  readonly fetch: typeof fetch;
}

interface Item {
  entry: Record<string, unknown>;
  manifest_path: string;
  manifest_hash: string;
  git_commit: string | null;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

function failure(status: number, code: string, message: string): Response {
  return json(status, { ok: false, error: { code, message } });
}

/** Constant-time comparison of two strings. */
function sameKey(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function itemProblem(value: unknown, index: number): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return `entries[${index}] must be an object`;
  const v = value as Record<string, unknown>;
  const entry = v.entry as Record<string, unknown> | undefined;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
    return `entries[${index}].entry must be an object`;
  if (typeof entry.tag !== 'string' || typeof entry.run_id !== 'number') {
    return `entries[${index}].entry needs tag and run_id`;
  }
  if (typeof v.manifest_path !== 'string' || !/^[\w./-]+\/manifest\.json$/.test(v.manifest_path)) {
    return `entries[${index}].manifest_path must be a path ending in manifest.json`;
  }
  if (typeof v.manifest_hash !== 'string' || !/^[0-9a-f]{64}$/.test(v.manifest_hash)) {
    return `entries[${index}].manifest_hash must be 64 lower-case hex digits`;
  }
  if (
    v.git_commit !== undefined &&
    v.git_commit !== null &&
    (typeof v.git_commit !== 'string' || !/^[0-9a-f]{40,64}$/.test(v.git_commit))
  ) {
    return `entries[${index}].git_commit must be a commit id`;
  }
  return undefined;
}

/** Handles one request; `Deno.serve` below wires it to the platform. */
export async function handleSyncRequest(request: Request, deps: SyncDeps): Promise<Response> {
  if (request.method !== 'POST') return failure(405, 'METHOD_NOT_ALLOWED', 'use POST');
  if (deps.serviceKey === undefined || deps.serviceKey === '' || deps.supabaseUrl === undefined) {
    return failure(500, 'NOT_CONFIGURED', 'SLSA_MANIFEST_SERVICE_KEY and SUPABASE_URL must be set');
  }
  const bearer = /^Bearer (.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1] ?? '';
  if (!sameKey(bearer, deps.serviceKey))
    return failure(401, 'UNAUTHORIZED', 'a valid service key is required');
  const length = Number(request.headers.get('content-length') ?? '0');
  if (length > MAX_BODY_BYTES) return failure(413, 'TOO_LARGE', `at most ${MAX_BODY_BYTES} bytes`);
  let body: unknown;
  try {
    const text = await request.text();
    if (text.length > MAX_BODY_BYTES) return failure(413, 'TOO_LARGE', `at most ${MAX_BODY_BYTES} bytes`);
    body = JSON.parse(text);
  } catch {
    return failure(400, 'INVALID_JSON', 'the body must be json');
  }
  const doc = body as { entries?: unknown; ledger?: unknown; repository?: unknown; watermark?: unknown };
  if (body === null || typeof body !== 'object' || !Array.isArray(doc.entries)) {
    return failure(400, 'INVALID_BODY', 'the body must be {"entries": [...]}');
  }
  if (doc.entries.length > MAX_ENTRIES) return failure(413, 'TOO_LARGE', `at most ${MAX_ENTRIES} entries`);
  for (const [i, item] of doc.entries.entries()) {
    const problem = itemProblem(item, i);
    if (problem !== undefined) return failure(400, 'INVALID_ENTRY', problem);
  }
  // the runs' repository (`owner/name`; `ledger` is its older name); the database checks the format
  const named = typeof doc.repository === 'string' && doc.repository !== '' ? doc.repository : doc.ledger;
  const repository = typeof named === 'string' && named !== '' ? named : 'default';
  if (!/^[A-Za-z0-9_.-]{1,100}(\/[A-Za-z0-9_.-]{1,100})?$/.test(repository)) {
    return failure(400, 'INVALID_BODY', 'repository must be owner/name');
  }
  const watermark =
    typeof doc.watermark === 'string' && /^[0-9a-f]{40,64}$/.test(doc.watermark) ? doc.watermark : null;
  const items = doc.entries as Item[];
  // the commit the entries were read at: the watermark when given, else the one commit they all name
  const commits = new Set(items.map((i) => i.git_commit ?? null));
  const toCommit = watermark ?? (commits.size === 1 ? [...commits][0]! : null);

  const rpcUrl = `${deps.supabaseUrl.replace(/\/+$/, '')}/rest/v1/rpc/${FUNCTION}`;
  const call = async (batch: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const res = await deps.fetch(rpcUrl, {
      method: 'POST',
      headers: {
        apikey: deps.serviceKey!,
        authorization: `Bearer ${deps.serviceKey!}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ batch }),
    });
    const reply = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) {
      const message = typeof reply.message === 'string' ? reply.message : `http ${res.status}`;
      throw Object.assign(new Error(message), { status: res.status, code: reply.code });
    }
    return reply;
  };

  const ingestId = crypto.randomUUID();
  const totals = { seen: 0, inserted: 0, updated: 0, unchanged: 0, restored: 0 };
  // entries the database refused (each with its reason); the others land
  const refused: unknown[] = [];
  try {
    await call({
      op: 'begin',
      ingest_id: ingestId,
      repository,
      engine: 'edge-function',
      to_commit: toCommit,
    });
  } catch (error) {
    const e = error as Error & { status?: number; code?: unknown };
    return failure(e.status !== undefined && e.status < 500 ? e.status : 502, 'UPSTREAM_FAILED', e.message);
  }
  try {
    for (let i = 0; i < items.length; i += BATCH) {
      const counts = await call({ op: 'upsert', ingest_id: ingestId, entries: items.slice(i, i + BATCH) });
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += Number(counts[k] ?? 0);
      if (Array.isArray(counts.failed)) {
        for (const f of counts.failed as { index?: number }[])
          refused.push({ ...f, index: Number(f.index ?? 0) + i });
      }
    }
  } catch (error) {
    const e = error as Error & { status?: number };
    await call({
      op: 'finish',
      ingest_id: ingestId,
      status: 'failed',
      error: e.message,
      entries_failed: 0,
      watermark: null,
    }).catch(() => undefined);
    const status =
      e.status === 400 || e.status === 409 ? 400 : e.status === 401 || e.status === 403 ? 403 : 502;
    return failure(status, 'UPSERT_FAILED', e.message);
  }
  // the watermark moves only when every entry landed
  const finished: Record<string, unknown> = await call({
    op: 'finish',
    ingest_id: ingestId,
    status: refused.length === 0 ? 'succeeded' : 'failed',
    ...(refused.length === 0 ? {} : { error: `${refused.length} entries refused` }),
    entries_failed: 0,
    watermark: refused.length === 0 ? toCommit : null,
  }).catch((error: Error) => ({ error: error.message }));
  return json(200, {
    ok: refused.length === 0,
    result: { ingest_id: ingestId, ...totals, failed: refused, watermark: finished.watermark ?? null },
  });
}

// Deno's globals, declared here so the file also type-checks without Deno's own types.
declare const Deno: {
  env: { get(name: string): string | undefined };
  serve(
    options: {
      port?: number;
      hostname?: string;
      onListen?: (addr: { port: number; hostname: string }) => void;
    },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown;
};

if ((import.meta as { main?: boolean }).main === true) {
  const port = Number(Deno.env.get('PORT') ?? '8000');
  Deno.serve(
    {
      port,
      hostname: Deno.env.get('HOSTNAME') ?? '0.0.0.0',
      onListen: ({ hostname, port: p }) =>
        console.log(`provenance-manifest-sync listening on http://${hostname}:${p}/`),
    },
    (request) =>
      handleSyncRequest(request, {
        serviceKey: Deno.env.get('SLSA_MANIFEST_SERVICE_KEY'),
        supabaseUrl: Deno.env.get('SUPABASE_URL'),
        fetch,
      }),
  );
}
