import type { AttemptOutcome } from '../core/notify/retry.js';
import { SlsaLedgerError } from '../errors.js';
import { isAllowedScheme } from './github.js';
import { readBodyPrefix } from './http-body.js';
import { redactText } from './redaction.js';

/**
 * Checks a Slack incoming-webhook URL without ever echoing it (its path is the secret): https, or
 * http to a loopback address (a local receiver).
 */
export function checkWebhookUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SlsaLedgerError('CONFIG_INVALID', 'SLACK_WEBHOOK_URL is not a URL');
  }
  if (!isAllowedScheme(url) || url.username !== '' || url.password !== '') {
    throw new SlsaLedgerError(
      'CONFIG_INVALID',
      'SLACK_WEBHOOK_URL must be an https URL (http only to a loopback address)',
    );
  }
  return url;
}

/**
 * One POST of a JSON payload to an incoming webhook. Never throws for transport failures: they are
 * outcomes the retry policy decides on. Redirects are not followed (a webhook never redirects).
 */
export async function postSlackWebhook(
  url: URL,
  payload: unknown,
  timeoutMs = 10_000,
): Promise<AttemptOutcome> {
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(payload),
      redirect: 'manual',
      signal,
    });
    // only the first bytes matter (Slack's answer is a short code such as `no_service`); the rest
    // of a body that does not end is cancelled unread. Redacted before it is cut: a receiver that
    // echoes the webhook's path would otherwise leave the part of it before the cut, which no
    // redaction recognises
    const body = redactText((await readBodyPrefix(response, 64 * 1024, signal)).toString('utf8')).slice(
      0,
      1000,
    );
    const retryAfter = response.headers.get('retry-after');
    return {
      kind: 'response',
      status: response.status,
      body,
      ...(retryAfter === null ? {} : { retryAfter }),
    };
  } catch (error) {
    return { kind: 'network', message: networkReason(error) };
  }
}

/** A transport failure in words that never include the URL. */
export function networkReason(error: unknown): string {
  const e = error as { name?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  return e.cause?.code ?? 'connection failed';
}
