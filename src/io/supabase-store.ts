// Ingest over Supabase's REST API: `POST /rest/v1/rpc/slsa_ingest_batch` with `apikey` and
// `Authorization: Bearer` set to SLSA_MANIFEST_SERVICE_KEY, a key whose JWT role is
// slsa_manifest_ingest (EXECUTE on that one function, nothing else). Through @supabase/postgrest-js.
import { PostgrestClient } from '@supabase/postgrest-js';
import { SlsaLedgerError, UnavailableError } from '../errors.js';
import { INGEST_FUNCTION } from './db.js';
import type { IngestCall, IngestSink } from './ingest-sink.js';
import { sinkOverCalls } from './ingest-sink.js';

export interface SupabaseSinkOptions {
  /** the project URL, e.g. https://abcd.supabase.co (the REST API is at `<url>/rest/v1`) */
  readonly supabaseUrl: string;
  /** SLSA_MANIFEST_SERVICE_KEY, passed in by the caller (never read from the environment here) */
  readonly serviceKey: string;
  /** per request, default 60 s */
  readonly timeoutMs?: number;
  /** for tests: a fetch implementation */
  readonly fetch?: typeof fetch;
}

/** The REST base of a Supabase project URL; http is allowed only for loopback hosts. */
export function restUrlOf(supabaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(supabaseUrl);
  } catch {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--supabase-url is not a url: '${supabaseUrl}'`, {
      details: { flag: 'supabase-url' },
    });
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `--supabase-url must be https (http only for localhost), got '${url.protocol}//${url.host}'`,
      { details: { flag: 'supabase-url' } },
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', '--supabase-url must not carry credentials', {
      details: { flag: 'supabase-url' },
    });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}/rest/v1`;
}

interface RpcError {
  message?: string;
  code?: string;
  details?: string | null;
  hint?: string | null;
}

/**
 * Maps a PostgREST failure to a coded error: network and 5xx -> SUPABASE_UNAVAILABLE (exit 5);
 * 401/403 -> DB_PERMISSION_DENIED; 404 (no such function) -> DB_NOT_MIGRATED; 4xx from the
 * function's checks -> SUPABASE_REJECTED. The key is never part of a message.
 */
function rpcError(status: number, error: RpcError, host: string, key: string): SlsaLedgerError {
  const text = (error.message ?? 'no message').split(key).join('***');
  const details = { host, status, ...(error.code === undefined ? {} : { code: error.code }) };
  if (status === 0 || status >= 500 || (/fetch failed|network|abort|timeout/i.test(text) && status < 400)) {
    return new UnavailableError('SUPABASE_UNAVAILABLE', `supabase at ${host} is unavailable: ${text}`, {
      details,
    });
  }
  if (status === 401 || status === 403 || error.code === '42501') {
    return new SlsaLedgerError(
      'DB_PERMISSION_DENIED',
      `supabase at ${host} refused the service key (http ${status}): ${text}`,
      { details },
    );
  }
  if (status === 404 || error.code === 'PGRST202' || error.code === '42883') {
    return new SlsaLedgerError(
      'DB_NOT_MIGRATED',
      `supabase at ${host} has no function ${INGEST_FUNCTION}: apply the migrations first (${text})`,
      { details },
    );
  }
  return new SlsaLedgerError(
    'SUPABASE_REJECTED',
    `supabase at ${host} rejected the batch (http ${status}): ${text}`,
    {
      details,
    },
  );
}

/** The REST sink. Each call is one HTTP request and one transaction on the server. */
export function createSupabaseIngestSink(options: SupabaseSinkOptions): IngestSink {
  const rest = restUrlOf(options.supabaseUrl);
  const host = new URL(rest).host;
  const key = options.serviceKey;
  if (key.trim() === '') {
    throw new SlsaLedgerError('USAGE_MISSING_FLAG', 'SLSA_MANIFEST_SERVICE_KEY is empty', {
      details: { env: 'SLSA_MANIFEST_SERVICE_KEY' },
    });
  }
  const client = new PostgrestClient(rest, {
    headers: { apikey: key, Authorization: `Bearer ${key}` },
    timeout: options.timeoutMs ?? 60_000,
    // a POST is not idempotent at the HTTP level; ingest reruns are, so ingest itself is the retry
    retry: false,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const call: IngestCall = async (batch, fn = INGEST_FUNCTION) => {
    let response: { data: unknown; error: RpcError | null; status: number };
    try {
      response = await client.rpc(fn, { batch });
    } catch (error) {
      throw new UnavailableError(
        'SUPABASE_UNAVAILABLE',
        `supabase at ${host} is unavailable: ${(error as Error).message.split(key).join('***')}`,
        { cause: error, details: { host } },
      );
    }
    if (response.error !== null) throw rpcError(response.status, response.error, host, key);
    return response.data;
  };
  return sinkOverCalls('supabase', rest, call, () => Promise.resolve());
}
